"""Multi-head self-attention of ELECTRA (scope `encoder/layer_<i>/attention`)."""

import math

import keras
from keras import ops

from tf_electra.layers.initializers import weight_initializer


def dense(units, config, name, dtype, activation=None):
    """A dense layer with ELECTRA's initializer (truncated normal, zero bias)."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=weight_initializer(config),
        name=name,
        dtype=dtype,
    )


class ElectraSelfAttention(keras.layers.Layer):
    """Scaled dot-product attention with separate query/key/value projections (scope `attention/self`).

    Two implementations give the same numbers: "eager" (explicit softmax, the
    only one that can return attention probabilities, apply attention dropout
    or relative position scores) and "sdpa" (`keras.ops.dot_product_attention`,
    fused where the backend has a fused kernel). "sdpa" falls back to "eager"
    when a call needs one of those features.

    Args:
        config: An ElectraConfig.
        attn_implementation: "eager" or "sdpa".
    """

    def __init__(self, config, attn_implementation="eager", **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.attn_implementation = attn_implementation
        self.num_heads = config.num_attention_heads
        self.head_size = config.head_size
        self.query = dense(config.hidden_size, config, "query", self.dtype_policy)
        self.key = dense(config.hidden_size, config, "key", self.dtype_policy)
        self.value = dense(config.hidden_size, config, "value", self.dtype_policy)
        self.dropout = keras.layers.Dropout(config.attention_probs_dropout_prob, dtype=self.dtype_policy)
        self.relative = config.position_embedding_type in ("relative_key", "relative_key_query")
        if self.relative:
            self.distance_embedding = keras.layers.Embedding(
                2 * config.max_position_embeddings - 1,
                self.head_size,
                embeddings_initializer=weight_initializer(config),
                name="distance_embedding",
                dtype=self.dtype_policy,
            )

    def build(self, input_shape=None):
        for layer in (self.query, self.key, self.value):
            layer.build((None, None, self.config.hidden_size))
        if self.relative:
            self.distance_embedding.build((None, None))

    def _split_heads(self, x, batch, length):
        # [batch, seq, hidden] -> [batch, seq, heads, head_size]
        return ops.reshape(x, (batch, length, self.num_heads, self.head_size))

    def call(self, hidden_states, mask_bias, output_attentions=False, training=False):
        """Attends over the sequence.

        Args:
            hidden_states: [batch, seq, hidden].
            mask_bias: float32 additive mask broadcastable to [batch, heads, seq, seq]
                (0 where attending is allowed, a large negative value elsewhere).
            output_attentions: also return the attention probabilities.

        Returns:
            (context [batch, seq, hidden], probabilities [batch, heads, seq, seq] or None).
        """
        batch, length = ops.shape(hidden_states)[0], ops.shape(hidden_states)[1]
        q = self._split_heads(self.query(hidden_states), batch, length)
        k = self._split_heads(self.key(hidden_states), batch, length)
        v = self._split_heads(self.value(hidden_states), batch, length)
        dropout_active = training and self.config.attention_probs_dropout_prob > 0
        if self.attn_implementation == "sdpa" and not (output_attentions or dropout_active or self.relative):
            context = ops.dot_product_attention(
                q, k, v, bias=ops.cast(mask_bias, q.dtype), scale=1.0 / math.sqrt(self.head_size)
            )
            return ops.reshape(context, (batch, length, self.config.hidden_size)), None
        q = ops.transpose(q, (0, 2, 1, 3))  # [batch, heads, seq, head_size]
        k = ops.transpose(k, (0, 2, 3, 1))  # [batch, heads, head_size, seq]
        v = ops.transpose(v, (0, 2, 1, 3))
        scores = ops.matmul(q, k)  # [batch, heads, seq, seq]
        if self.relative:
            scores = scores + self._relative_scores(q, ops.transpose(k, (0, 1, 3, 2)), length)
        # Keras autocasts layer inputs to the compute dtype; the mask is added in float32.
        scores = ops.cast(scores, "float32") * (1.0 / math.sqrt(self.head_size)) + ops.cast(mask_bias, "float32")
        probs = ops.cast(ops.softmax(scores, axis=-1), v.dtype)
        probs_dropped = self.dropout(probs, training=training)
        context = ops.matmul(probs_dropped, v)  # [batch, heads, seq, head_size]
        context = ops.reshape(ops.transpose(context, (0, 2, 1, 3)), (batch, length, self.config.hidden_size))
        return context, (probs if output_attentions else None)

    def _relative_scores(self, q, k, length):
        # Shaw et al. relative positions, as Hugging Face's BERT computes them.
        positions = ops.arange(length)
        distance = positions[:, None] - positions[None, :] + self.config.max_position_embeddings - 1
        table = ops.cast(self.distance_embedding(distance), q.dtype)  # [seq, seq, head_size]
        scores = ops.einsum("bhld,lrd->bhlr", q, table)
        if self.config.position_embedding_type == "relative_key_query":
            scores = scores + ops.einsum("bhrd,lrd->bhlr", k, table)
        return scores


class ElectraAttention(keras.layers.Layer):
    """Self-attention, output projection, dropout and post-LN residual (scope `attention`)."""

    def __init__(self, config, attn_implementation="eager", **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.self_attention = ElectraSelfAttention(
            config, attn_implementation, name="self", dtype=self.dtype_policy
        )
        self.output_block = ResidualLayerNorm(config, name="output", dtype=self.dtype_policy)

    def build(self, input_shape=None):
        self.self_attention.build()
        self.output_block.build((None, None, self.config.hidden_size))

    def call(self, hidden_states, mask_bias, output_attentions=False, training=False):
        context, probs = self.self_attention(
            hidden_states, mask_bias, output_attentions=output_attentions, training=training
        )
        return self.output_block(context, hidden_states, training=training), probs


class ResidualLayerNorm(keras.layers.Layer):
    """`LayerNorm(x + dropout(dense(h)))`: the `output` block after attention and after the FFN."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dense = dense(config.hidden_size, config, "dense", self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="LayerNorm", dtype=self.dtype_policy
        )
        self.dropout = keras.layers.Dropout(config.hidden_dropout_prob, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.layer_norm.build((None, None, self.config.hidden_size))

    def call(self, hidden_states, residual, training=False):
        hidden_states = self.dropout(self.dense(hidden_states), training=training)
        return self.layer_norm(hidden_states + residual)
