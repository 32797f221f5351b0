"""Multi-head self-attention of ELECTRA (scope `encoder/layer_<i>/attention`)."""

import math

import keras
from keras import ops

from tf_electra.layers.dropout import Dropout
from tf_electra.layers.initializers import dense
from tf_electra.layers.initializers import weight_initializer
from tf_electra.layers.residual import ResidualLayerNorm

RELATIVE = ("relative_key", "relative_key_query")


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraSelfAttention(keras.layers.Layer):
    """Scaled dot-product attention with query/key/value projections (scope `attention/self`).

    Two implementations give the same numbers: "eager" (explicit softmax, the only one that can
    return attention probabilities, apply attention dropout or relative position scores) and "sdpa"
    (`keras.ops.dot_product_attention`). "sdpa" falls back to "eager" when a call needs one of those.

    Args:
        hidden_size: Width H (split into heads).
        num_attention_heads: Number of heads; H must be divisible by it.
        attention_dropout: Dropout rate on the attention probabilities.
        position_embedding_type: "absolute", or "relative_key" / "relative_key_query" (Shaw et al.).
        max_position_embeddings: Longest sequence (sizes the relative distance table).
        initializer_range: Stddev of the kernels' initializer.
        attn_implementation: "eager" or "sdpa".
    """

    def __init__(
        self,
        hidden_size,
        num_attention_heads,
        attention_dropout=0.1,
        position_embedding_type="absolute",
        max_position_embeddings=512,
        initializer_range=0.02,
        attn_implementation="eager",
        **kwargs,
    ):
        super().__init__(**kwargs)
        # === Config ===
        self.hidden_size = hidden_size
        self.num_heads = num_attention_heads
        self.head_size = hidden_size // num_attention_heads
        self.attention_dropout = attention_dropout
        self.position_embedding_type = position_embedding_type
        self.max_position_embeddings = max_position_embeddings
        self.initializer_range = initializer_range
        self.attn_implementation = attn_implementation
        self.relative = position_embedding_type in RELATIVE
        # === Layers ===
        self.query = dense(hidden_size, initializer_range, "query", self.dtype_policy)
        self.key = dense(hidden_size, initializer_range, "key", self.dtype_policy)
        self.value = dense(hidden_size, initializer_range, "value", self.dtype_policy)
        self.dropout = Dropout(attention_dropout, dtype=self.dtype_policy)
        if self.relative:
            self.distance_embedding = keras.layers.Embedding(
                2 * max_position_embeddings - 1,
                self.head_size,
                embeddings_initializer=weight_initializer(initializer_range),
                name="distance_embedding",
                dtype=self.dtype_policy,
            )

    def build(self, input_shape=None):
        for layer in (self.query, self.key, self.value):
            layer.build((None, None, self.hidden_size))
        if self.relative:
            self.distance_embedding.build((None, None))

    def _split_heads(self, x, batch, length):
        # [batch * seq, hidden] or [batch, seq, hidden] -> [batch, seq, heads, head_size]
        return ops.reshape(x, (batch, length, self.num_heads, self.head_size))

    def _merge_heads(self, context, rank, batch, length):
        # [batch, seq, heads, head_size] -> the rank of the input hidden states
        shape = (batch * length, self.hidden_size) if rank == 2 else (batch, length, self.hidden_size)
        return ops.reshape(context, shape)

    def call(self, hidden_states, mask_bias, output_attentions=False, training=False):
        """Attends over the sequence.

        Args:
            hidden_states: [batch, seq, hidden], or [batch * seq, hidden] (the encoder's flat layout, which
                lets the projections run as plain matrix products with fused bias).
            mask_bias: float32 additive mask [batch, 1, 1 or seq, seq] (0 where attending is allowed, a
                large negative value elsewhere); it also gives the batch size and sequence length.
            output_attentions: also return the attention probabilities.

        Returns:
            (context in the layout of hidden_states, probabilities [batch, heads, seq, seq] or None).
        """
        batch, length = ops.shape(mask_bias)[0], ops.shape(mask_bias)[-1]
        rank = len(hidden_states.shape)
        q = self._split_heads(self.query(hidden_states), batch, length)
        k = self._split_heads(self.key(hidden_states), batch, length)
        v = self._split_heads(self.value(hidden_states), batch, length)
        dropout_active = training and self.attention_dropout > 0
        if self.attn_implementation == "sdpa" and not (output_attentions or dropout_active or self.relative):
            context = ops.dot_product_attention(
                q, k, v, bias=ops.cast(mask_bias, q.dtype), scale=1.0 / math.sqrt(self.head_size)
            )
            return self._merge_heads(context, rank, batch, length), None
        q = ops.transpose(q, (0, 2, 1, 3))  # [batch, heads, seq, head_size]
        k = ops.transpose(k, (0, 2, 3, 1))  # [batch, heads, head_size, seq]
        v = ops.transpose(v, (0, 2, 1, 3))
        scores = ops.matmul(q, k)  # [batch, heads, seq, seq]
        if self.relative:
            scores = scores + self._relative_scores(q, ops.transpose(k, (0, 1, 3, 2)), length)
        # Keras autocasts layer inputs to the compute dtype; the mask is added in float32.
        scores = ops.cast(scores, "float32") * (1.0 / math.sqrt(self.head_size)) + ops.cast(mask_bias, "float32")
        probs = ops.cast(ops.softmax(scores, axis=-1), v.dtype)
        context = ops.matmul(self.dropout(probs, training=training), v)  # [batch, heads, seq, head_size]
        context = self._merge_heads(ops.transpose(context, (0, 2, 1, 3)), rank, batch, length)
        return context, (probs if output_attentions else None)

    def _relative_scores(self, q, k, length):
        # Shaw et al. relative positions, as Hugging Face's BERT computes them.
        positions = ops.arange(length)
        distance = positions[:, None] - positions[None, :] + self.max_position_embeddings - 1
        table = ops.cast(self.distance_embedding(distance), q.dtype)  # [seq, seq, head_size]
        scores = ops.einsum("bhld,lrd->bhlr", q, table)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + ops.einsum("bhrd,lrd->bhlr", k, table)
        return scores

    def get_config(self):
        config = super().get_config()
        config.update(
            hidden_size=self.hidden_size,
            num_attention_heads=self.num_heads,
            attention_dropout=self.attention_dropout,
            position_embedding_type=self.position_embedding_type,
            max_position_embeddings=self.max_position_embeddings,
            initializer_range=self.initializer_range,
            attn_implementation=self.attn_implementation,
        )
        return config


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraAttention(keras.layers.Layer):
    """Self-attention, then the output projection, dropout and post-LN residual (scope `attention`).

    Args:
        hidden_dropout: Dropout rate after the output projection.
        layer_norm_eps: LayerNorm epsilon.
        **attention_kwargs: ElectraSelfAttention's arguments (hidden_size, num_attention_heads, ...).
    """

    def __init__(
        self,
        hidden_size,
        num_attention_heads,
        hidden_dropout=0.1,
        layer_norm_eps=1e-12,
        attention_dropout=0.1,
        position_embedding_type="absolute",
        max_position_embeddings=512,
        initializer_range=0.02,
        attn_implementation="eager",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_dropout = hidden_dropout
        self.layer_norm_eps = layer_norm_eps
        self.self_attention = ElectraSelfAttention(
            hidden_size,
            num_attention_heads,
            attention_dropout,
            position_embedding_type,
            max_position_embeddings,
            initializer_range,
            attn_implementation,
            name="self",
            dtype=self.dtype_policy,
        )
        self.output_block = ResidualLayerNorm(
            hidden_size, hidden_dropout, layer_norm_eps, initializer_range, name="output", dtype=self.dtype_policy
        )

    def build(self, input_shape=None):
        self.self_attention.build()
        self.output_block.build((None, None, self.self_attention.hidden_size))

    def call(self, hidden_states, mask_bias, output_attentions=False, training=False):
        context, probs = self.self_attention(
            hidden_states, mask_bias, output_attentions=output_attentions, training=training
        )
        return self.output_block(context, hidden_states, training=training), probs

    def get_config(self):
        config = super().get_config()
        inner = self.self_attention.get_config()
        for key in ("name", "trainable", "dtype"):
            inner.pop(key, None)
        config.update(inner, hidden_dropout=self.hidden_dropout, layer_norm_eps=self.layer_norm_eps)
        return config
