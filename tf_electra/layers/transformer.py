"""ElectraLayer (one transformer block) and ElectraEncoder (the stack)."""

import keras
from keras import ops

from tf_electra.layers.activations import get_activation
from tf_electra.layers.attention import ElectraAttention
from tf_electra.layers.initializers import dense
from tf_electra.layers.residual import ResidualLayerNorm


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraIntermediate(keras.layers.Layer):
    """The feed-forward expansion `act(dense(h))` (scope `intermediate`).

    Args:
        intermediate_size: Output width.
        hidden_size: Input width H.
        hidden_act: Activation (Hugging Face's names; "gelu" is the exact erf GELU).
        initializer_range: Stddev of the kernel's initializer.
    """

    def __init__(self, intermediate_size, hidden_size, hidden_act="gelu", initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.intermediate_size = intermediate_size
        self.hidden_size = hidden_size
        self.hidden_act = hidden_act
        self.initializer_range = initializer_range
        self.dense = dense(intermediate_size, initializer_range, "dense", self.dtype_policy)
        self.activation = get_activation(hidden_act)

    def build(self, input_shape=None):
        self.dense.build((None, None, self.hidden_size))

    def call(self, hidden_states):
        return self.activation(self.dense(hidden_states))

    def get_config(self):
        config = super().get_config()
        config.update(
            intermediate_size=self.intermediate_size,
            hidden_size=self.hidden_size,
            hidden_act=self.hidden_act,
            initializer_range=self.initializer_range,
        )
        return config


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraLayer(keras.layers.Layer):
    """One post-LN BERT block (scope `encoder/layer_<i>`): attention, then feed-forward.

    Args:
        hidden_size, num_attention_heads, intermediate_size, hidden_act: The block's sizes and activation.
        hidden_dropout, attention_dropout: Dropout rates after sublayers and on attention probabilities.
        layer_norm_eps, position_embedding_type, max_position_embeddings, initializer_range,
        attn_implementation: As in ElectraSelfAttention.
    """

    def __init__(
        self,
        hidden_size,
        num_attention_heads,
        intermediate_size,
        hidden_act="gelu",
        hidden_dropout=0.1,
        attention_dropout=0.1,
        layer_norm_eps=1e-12,
        position_embedding_type="absolute",
        max_position_embeddings=512,
        initializer_range=0.02,
        attn_implementation="eager",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.block_config = dict(
            hidden_size=hidden_size,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            hidden_act=hidden_act,
            hidden_dropout=hidden_dropout,
            attention_dropout=attention_dropout,
            layer_norm_eps=layer_norm_eps,
            position_embedding_type=position_embedding_type,
            max_position_embeddings=max_position_embeddings,
            initializer_range=initializer_range,
            attn_implementation=attn_implementation,
        )
        self.attention = ElectraAttention(
            hidden_size,
            num_attention_heads,
            hidden_dropout,
            layer_norm_eps,
            attention_dropout,
            position_embedding_type,
            max_position_embeddings,
            initializer_range,
            attn_implementation,
            name="attention",
            dtype=self.dtype_policy,
        )
        self.intermediate = ElectraIntermediate(
            intermediate_size, hidden_size, hidden_act, initializer_range, name="intermediate", dtype=self.dtype_policy
        )
        self.output_block = ResidualLayerNorm(
            hidden_size, hidden_dropout, layer_norm_eps, initializer_range, name="output", dtype=self.dtype_policy
        )

    def build(self, input_shape=None):
        self.attention.build()
        self.intermediate.build()
        self.output_block.build((None, None, self.block_config["intermediate_size"]))

    def call(self, hidden_states, mask_bias, output_attentions=False, training=False):
        attention_output, probs = self.attention(
            hidden_states, mask_bias, output_attentions=output_attentions, training=training
        )
        intermediate = self.intermediate(attention_output)
        return self.output_block(intermediate, attention_output, training=training), probs

    def get_config(self):
        config = super().get_config()
        config.update(self.block_config)
        return config


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraEncoder(keras.layers.Layer):
    """The stack of `num_hidden_layers` ElectraLayers (scope `encoder`).

    Args:
        num_hidden_layers: Number of blocks.
        block: ElectraLayer's arguments (hidden_size, num_attention_heads, intermediate_size, ...),
            shared by every block.
    """

    def __init__(self, num_hidden_layers, block, **kwargs):
        super().__init__(**kwargs)
        self.num_hidden_layers = num_hidden_layers
        self.block = dict(block)
        self.layer = [
            ElectraLayer(**self.block, name=f"layer_{i}", dtype=self.dtype_policy) for i in range(num_hidden_layers)
        ]

    def build(self, input_shape=None):
        for layer in self.layer:
            layer.build()

    def call(self, hidden_states, mask_bias, output_attentions=False, output_hidden_states=False, training=False):
        """Returns (last hidden state, tuple of hidden states or None, tuple of attentions or None).

        The blocks run on flat [batch * seq, hidden] states: every projection is then one matrix
        product whose bias, GELU and residual add TensorFlow's graph optimizer fuses into it.
        """
        shape = ops.shape(hidden_states)
        flat = ops.reshape(hidden_states, (-1, self.block["hidden_size"]))
        unflatten = lambda x: ops.reshape(x, shape)
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_attentions = () if output_attentions else None
        for layer in self.layer:
            flat, probs = layer(flat, mask_bias, output_attentions=output_attentions, training=training)
            if output_hidden_states:
                all_hidden += (unflatten(flat),)
            if output_attentions:
                all_attentions += (probs,)
        return unflatten(flat), all_hidden, all_attentions

    def get_config(self):
        config = super().get_config()
        config.update(num_hidden_layers=self.num_hidden_layers, block=dict(self.block))
        return config
