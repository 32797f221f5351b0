"""ElectraMainLayer: embeddings, the optional `embeddings_project`, and the encoder (scope `electra`)."""

import keras
import numpy as np
from keras import ops

from tf_electra.layers import checks
from tf_electra.errors import InputError
from tf_electra.layers.attention import dense
from tf_electra.layers.embeddings import ElectraEmbeddings
from tf_electra.layers.transformer import ElectraEncoder


class ElectraMainLayer(keras.layers.Layer):
    """The ELECTRA encoder shared by every model class.

    Args:
        config: An ElectraConfig.
        attn_implementation: "eager" or "sdpa".
    """

    def __init__(self, config, attn_implementation="eager", **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.embeddings = ElectraEmbeddings(config, name="embeddings", dtype=self.dtype_policy)
        self.embeddings_project = None
        if config.embedding_size != config.hidden_size:
            self.embeddings_project = dense(config.hidden_size, config, "embeddings_project", self.dtype_policy)
        self.encoder = ElectraEncoder(config, attn_implementation, name="encoder", dtype=self.dtype_policy)

    def build(self, input_shape=None):
        self.embeddings.build()
        if self.embeddings_project is not None:
            self.embeddings_project.build((None, None, self.config.embedding_size))
        self.encoder.build()

    def mask_bias(self, attention_mask, batch, length, dtype):
        """Additive float32 attention bias, [batch, 1, 1 or seq, seq].

        0 where a query may attend to a key, and a large negative value
        elsewhere that stays finite in the compute dtype (float16's minimum, or
        -1e30, which bfloat16 holds too). Like Hugging Face's dtype-minimum mask,
        it zeroes masked keys exactly and makes a fully masked row uniform.
        """
        minimum = float(np.finfo(np.float16).min) if dtype == "float16" else -1e30
        if attention_mask is None:
            allowed = ops.ones((batch, 1, 1, length), "float32")
        else:
            allowed = ops.cast(attention_mask, "float32")[:, None, None, :]
        if self.config.is_decoder:
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
            raise ValueError("pass either input_ids or inputs_embeds, not both")
        if input_ids is None and inputs_embeds is None:
            raise ValueError("pass input_ids or inputs_embeds")
        reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
        ref_name = "input_ids" if input_ids is not None else "inputs_embeds[..., 0]"
        if len(reference.shape) != 2:
            raise InputError(f"{ref_name} must have shape [batch, seq], got {tuple(reference.shape)}")
        attention_mask = checks.check_same_shape(reference, attention_mask, ref_name, "attention_mask")
        token_type_ids = checks.check_same_shape(reference, token_type_ids, ref_name, "token_type_ids")
        position_ids = checks.check_same_shape(reference, position_ids, ref_name, "position_ids")
        hidden_states = self.embeddings(
            input_ids, token_type_ids, position_ids, inputs_embeds, training=training
        )
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

