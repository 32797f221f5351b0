"""ElectraLayer (one transformer block) and ElectraEncoder (the stack)."""

import keras

from tf_electra.layers.activations import get_activation
from tf_electra.layers.attention import ElectraAttention
from tf_electra.layers.attention import ResidualLayerNorm
from tf_electra.layers.attention import dense


class ElectraIntermediate(keras.layers.Layer):
    """The feed-forward expansion `act(dense(h))` (scope `intermediate`)."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dense = dense(config.intermediate_size, config, "dense", self.dtype_policy)
        self.activation = get_activation(config.hidden_act)

    def build(self, input_shape=None):
        self.dense.build((None, None, self.config.hidden_size))

    def call(self, hidden_states):
        return self.activation(self.dense(hidden_states))


class ElectraLayer(keras.layers.Layer):
    """One post-LN BERT block (scope `encoder/layer_<i>`): attention, then feed-forward."""

    def __init__(self, config, attn_implementation="eager", **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.attention = ElectraAttention(config, attn_implementation, name="attention", dtype=self.dtype_policy)
        self.intermediate = ElectraIntermediate(config, name="intermediate", dtype=self.dtype_policy)
        self.output_block = ResidualLayerNorm(config, name="output", dtype=self.dtype_policy)

    def build(self, input_shape=None):
        self.attention.build()
        self.intermediate.build()
        self.output_block.build((None, None, self.config.intermediate_size))

    def call(self, hidden_states, mask_bias, output_attentions=False, training=False):
        attention_output, probs = self.attention(
            hidden_states, mask_bias, output_attentions=output_attentions, training=training
        )
        intermediate = self.intermediate(attention_output)
        return self.output_block(intermediate, attention_output, training=training), probs


class ElectraEncoder(keras.layers.Layer):
    """The stack of `num_hidden_layers` ElectraLayers (scope `encoder`)."""

    def __init__(self, config, attn_implementation="eager", **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.layer = [
            ElectraLayer(config, attn_implementation, name=f"layer_{i}", dtype=self.dtype_policy)
            for i in range(config.num_hidden_layers)
        ]

    def build(self, input_shape=None):
        for layer in self.layer:
            layer.build()

    def call(self, hidden_states, mask_bias, output_attentions=False, output_hidden_states=False, training=False):
        """Returns (last hidden state, tuple of hidden states or None, tuple of attentions or None)."""
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_attentions = () if output_attentions else None
        for layer in self.layer:
            hidden_states, probs = layer(
                hidden_states, mask_bias, output_attentions=output_attentions, training=training
            )
            if output_hidden_states:
                all_hidden += (hidden_states,)
            if output_attentions:
                all_attentions += (probs,)
        return hidden_states, all_hidden, all_attentions
