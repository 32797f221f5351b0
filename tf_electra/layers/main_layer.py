"""ElectraMainLayer: embeddings, the optional `embeddings_project`, and the encoder (scope `electra`)."""

import keras
import numpy as np
from keras import ops

from tf_electra.errors import InputError
from tf_electra.layers import checks
from tf_electra.layers.embeddings import ElectraEmbeddings
from tf_electra.layers.initializers import dense
from tf_electra.layers.transformer import ElectraEncoder


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraMainLayer(keras.layers.Layer):
    """The ELECTRA encoder that every model class shares.

    Args:
        vocab_size, embedding_size, max_position_embeddings, type_vocab_size: The embedding tables.
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, hidden_act: The
            transformer's sizes. When embedding_size != hidden_size, a dense `embeddings_project`
            maps E to H.
        hidden_dropout, attention_dropout: Dropout rates.
        layer_norm_eps, initializer_range: LayerNorm epsilon, initializer stddev.
        position_embedding_type: "absolute", "relative_key" or "relative_key_query".
        is_decoder: Causal self-attention.
        attn_implementation: "eager" or "sdpa".
        embeddings: An existing ElectraEmbeddings to share (its sizes must match), or None.
    """

    def __init__(
        self,
        vocab_size,
        embedding_size,
        hidden_size,
        num_hidden_layers,
        num_attention_heads,
        intermediate_size,
        hidden_act="gelu",
        hidden_dropout=0.1,
        attention_dropout=0.1,
        max_position_embeddings=512,
        type_vocab_size=2,
        initializer_range=0.02,
        layer_norm_eps=1e-12,
        position_embedding_type="absolute",
        is_decoder=False,
        attn_implementation="eager",
        embeddings=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # === Config ===
        self.embedding_config = dict(
            vocab_size=vocab_size,
            embedding_size=embedding_size,
            max_position_embeddings=max_position_embeddings,
            type_vocab_size=type_vocab_size,
            position_embedding_type=position_embedding_type,
            layer_norm_eps=layer_norm_eps,
            dropout=hidden_dropout,
            initializer_range=initializer_range,
        )
        self.block = dict(
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
        self.num_hidden_layers = num_hidden_layers
        self.is_decoder = is_decoder
        # === Layers ===
        # A shared embeddings layer (the generator's and discriminator's, in ELECTRA pre-training) is reused.
        self.embeddings = embeddings or ElectraEmbeddings(
            **self.embedding_config, name="embeddings", dtype=self.dtype_policy
        )
        self.embeddings_project = None
        if embedding_size != hidden_size:
            self.embeddings_project = dense(hidden_size, initializer_range, "embeddings_project", self.dtype_policy)
        self.encoder = ElectraEncoder(num_hidden_layers, self.block, name="encoder", dtype=self.dtype_policy)

    def build(self, input_shape=None):
        if not self.embeddings.built:  # a shared layer may be built already
            self.embeddings.build()
        if self.embeddings_project is not None:
            self.embeddings_project.build((None, None, self.embedding_config["embedding_size"]))
        self.encoder.build()

    def mask_bias(self, attention_mask, batch, length, dtype):
        """Additive float32 attention bias, [batch, 1, 1 or seq, seq].

        0 where a query may attend to a key, and a large negative value elsewhere that stays finite
        in the compute dtype (float16's minimum, or -1e30, which bfloat16 holds too). Like Hugging
        Face's dtype-minimum mask, it zeroes masked keys exactly and makes a fully masked row uniform.
        """
        minimum = float(np.finfo(np.float16).min) if dtype == "float16" else -1e30
        if attention_mask is None:
            allowed = ops.ones((batch, 1, 1, length), "float32")
        elif len(attention_mask.shape) == 3:  # [batch, query, key] as given, no causal mask added (transformers)
            allowed = ops.cast(attention_mask, "float32")[:, None, :, :]
            return checks.nan_unless((1.0 - allowed) * minimum, checks.binary_if_traced(allowed))
        else:
            allowed = ops.cast(attention_mask, "float32")[:, None, None, :]
            allowed = checks.nan_unless(allowed, checks.binary_if_traced(allowed))
        if self.is_decoder:
            positions = ops.arange(length)
            causal = ops.cast(positions[:, None] >= positions[None, :], "float32")  # [seq, seq]
            allowed = allowed * causal[None, None]
        return (1.0 - allowed) * minimum

    def call(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        inputs_embeds=None,
        output_attentions=False,
        output_hidden_states=False,
        training=False,
    ):
        """Returns (last hidden state [batch, seq, H], hidden states or None, attentions or None)."""
        if input_ids is not None and inputs_embeds is not None:
            raise InputError("pass either input_ids or inputs_embeds, not both")
        if input_ids is None and inputs_embeds is None:
            raise InputError("pass input_ids or inputs_embeds")
        if input_ids is not None:
            input_ids = checks.check_integer(input_ids, "input_ids")
            reference, ref_name = input_ids, "input_ids"
        else:
            inputs_embeds = checks.check_embeddings(inputs_embeds, self.embedding_config["embedding_size"])
            reference, ref_name = inputs_embeds[..., 0], "inputs_embeds[..., 0]"
        if len(reference.shape) != 2:
            raise InputError(f"{ref_name} must have shape [batch, seq], got {tuple(reference.shape)}")
        checks.check_not_empty(reference, ref_name)
        attention_mask = checks.check_same_shape(reference, attention_mask, ref_name, "attention_mask", pairs=True)
        attention_mask = checks.check_binary(attention_mask, "attention_mask")
        token_type_ids = checks.check_same_shape(reference, token_type_ids, ref_name, "token_type_ids")
        position_ids = checks.check_same_shape(reference, position_ids, ref_name, "position_ids")
        for name, ids in (("token_type_ids", token_type_ids), ("position_ids", position_ids)):
            if ids is not None:
                checks.check_integer(ids, name)
        hidden_states = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds, training=training)
        if self.embeddings_project is not None:
            hidden_states = self.embeddings_project(hidden_states)
        batch, length = ops.shape(reference)[0], ops.shape(reference)[1]
        bias = self.mask_bias(attention_mask, batch, length, self.compute_dtype)
        return self.encoder(
            hidden_states,
            bias,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            training=training,
        )

    def get_config(self):
        config = super().get_config()
        block = {k: v for k, v in self.block.items() if k not in ("hidden_dropout", "attention_dropout")}
        config.update(
            block,
            vocab_size=self.embedding_config["vocab_size"],
            embedding_size=self.embedding_config["embedding_size"],
            type_vocab_size=self.embedding_config["type_vocab_size"],
            num_hidden_layers=self.num_hidden_layers,
            hidden_dropout=self.block["hidden_dropout"],
            attention_dropout=self.block["attention_dropout"],
            is_decoder=self.is_decoder,
        )
        return config
