"""ElectraEmbeddings: word + token type + position embeddings, then LayerNorm and dropout."""

import keras
from keras import ops

from tf_electra.layers import checks
from tf_electra.layers.initializers import weight_initializer


class ElectraEmbeddings(keras.layers.Layer):
    """The embedding block of ELECTRA (scope `electra/embeddings`), at width E.

    Args:
        config: An ElectraConfig.
        **kwargs: Layer arguments (name, dtype).
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        init = weight_initializer(config)
        self.word_embeddings = keras.layers.Embedding(
            config.vocab_size, config.embedding_size, embeddings_initializer=init,
            name="word_embeddings", dtype=self.dtype_policy,
        )
        self.position_embeddings = keras.layers.Embedding(
            config.max_position_embeddings, config.embedding_size, embeddings_initializer=init,
            name="position_embeddings", dtype=self.dtype_policy,
        )
        self.token_type_embeddings = keras.layers.Embedding(
            config.type_vocab_size, config.embedding_size, embeddings_initializer=init,
            name="token_type_embeddings", dtype=self.dtype_policy,
        )
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="LayerNorm", dtype=self.dtype_policy
        )
        self.dropout = keras.layers.Dropout(config.hidden_dropout_prob, dtype=self.dtype_policy)

    def build(self, input_shape=None):
        for table in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            table.build((None, None))
        self.layer_norm.build((None, None, self.config.embedding_size))

    def call(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None, training=False):
        """Embeds a batch.

        Args:
            input_ids: int [batch, seq], or None when `inputs_embeds` is given.
            token_type_ids: int [batch, seq] or None (all zeros).
            position_ids: int [batch, seq] or None (0 .. seq-1).
            inputs_embeds: float [batch, seq, E] replacing the word lookup.

        Returns:
            float [batch, seq, E].
        """
        cfg = self.config
        if inputs_embeds is None:
            input_ids = checks.check_range(input_ids, 0, cfg.vocab_size, "input_ids")
            inputs_embeds = self.word_embeddings(input_ids)
            if keras.backend.backend() == "jax":
                # Under jit an out-of-range id cannot raise: make it NaN, never a silent zero vector.
                valid = ops.logical_and(input_ids >= 0, input_ids < cfg.vocab_size)
                inputs_embeds = ops.where(valid[..., None], inputs_embeds, float("nan"))
        seq_length = ops.shape(inputs_embeds)[1]
        checks.check_max_length(seq_length, cfg.max_position_embeddings)
        if token_type_ids is None:
            token_type = ops.take(self.token_type_embeddings.embeddings, 0, axis=0)
            embeddings = inputs_embeds + ops.cast(token_type, inputs_embeds.dtype)
        else:
            token_type_ids = checks.check_range(token_type_ids, 0, cfg.type_vocab_size, "token_type_ids")
            embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if cfg.position_embedding_type == "absolute":
            if position_ids is None:
                table = ops.cast(self.position_embeddings.embeddings, embeddings.dtype)
                embeddings = embeddings + table[None, :seq_length]
            else:
                position_ids = checks.check_range(
                    position_ids, 0, cfg.max_position_embeddings, "position_ids"
                )
                embeddings = embeddings + self.position_embeddings(position_ids)
        embeddings = self.layer_norm(embeddings)
        return self.dropout(embeddings, training=training)
