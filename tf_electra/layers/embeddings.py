"""ElectraEmbeddings: word + token type + position embeddings, then LayerNorm and dropout."""

import keras
from keras import ops

from tf_electra.layers import checks
from tf_electra.layers.dropout import Dropout
from tf_electra.layers.initializers import weight_initializer


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraEmbeddings(keras.layers.Layer):
    """The embedding block of ELECTRA (scope `electra/embeddings`), at width E.

    Args:
        vocab_size: Rows of the word embedding table.
        embedding_size: Width E of the embeddings.
        max_position_embeddings: Rows of the position table (the longest sequence).
        type_vocab_size: Rows of the token type (segment) table.
        position_embedding_type: "absolute" adds position embeddings; the relative types add none here.
        layer_norm_eps: LayerNorm epsilon.
        dropout: Dropout rate after the LayerNorm.
        initializer_range: Stddev of the tables' initializer.
        **kwargs: Layer arguments (name, dtype).
    """

    def __init__(
        self,
        vocab_size,
        embedding_size,
        max_position_embeddings=512,
        type_vocab_size=2,
        position_embedding_type="absolute",
        layer_norm_eps=1e-12,
        dropout=0.1,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # === Config ===
        self.vocab_size = vocab_size
        self.embedding_size = embedding_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.position_embedding_type = position_embedding_type
        self.layer_norm_eps = layer_norm_eps
        self.dropout_rate = dropout
        self.initializer_range = initializer_range
        # === Layers ===
        init = weight_initializer(initializer_range)
        table = lambda rows, name: keras.layers.Embedding(
            rows, embedding_size, embeddings_initializer=init, name=name, dtype=self.dtype_policy
        )
        self.word_embeddings = table(vocab_size, "word_embeddings")
        self.position_embeddings = table(max_position_embeddings, "position_embeddings")
        self.token_type_embeddings = table(type_vocab_size, "token_type_embeddings")
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, name="LayerNorm", dtype=self.dtype_policy
        )
        self.dropout = Dropout(dropout, dtype=self.dtype_policy)

    def build(self, input_shape=None):
        for table in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            table.build((None, None))
        self.layer_norm.build((None, None, self.embedding_size))

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
        valid = None  # traced ids in range (a check that cannot raise: XLA, JAX), else None
        if inputs_embeds is None:
            input_ids = checks.check_range(input_ids, 0, self.vocab_size, "input_ids")
            inputs_embeds = self.word_embeddings(input_ids)
            valid = checks.valid_if_traced(input_ids, 0, self.vocab_size)
        seq_length = ops.shape(inputs_embeds)[1]
        checks.check_max_length(seq_length, self.max_position_embeddings)
        if token_type_ids is None:
            token_type = ops.take(self.token_type_embeddings.embeddings, 0, axis=0)
            embeddings = inputs_embeds + ops.cast(token_type, inputs_embeds.dtype)
        else:
            token_type_ids = checks.check_range(token_type_ids, 0, self.type_vocab_size, "token_type_ids")
            valid = checks.valid_if_traced(token_type_ids, 0, self.type_vocab_size, valid)
            embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if self.position_embedding_type == "absolute":
            if position_ids is None:
                table = ops.cast(self.position_embeddings.embeddings, embeddings.dtype)
                embeddings = embeddings + table[None, :seq_length]
            else:
                position_ids = checks.check_range(position_ids, 0, self.max_position_embeddings, "position_ids")
                valid = checks.valid_if_traced(position_ids, 0, self.max_position_embeddings, valid)
                embeddings = embeddings + self.position_embeddings(position_ids)
        # An id out of range that could not raise gives NaN, never a clamped or zero row (XLA clamps the lookup).
        embeddings = checks.nan_unless(embeddings, None if valid is None else valid[..., None])
        return self.dropout(self.layer_norm(embeddings), training=training)

    def get_config(self):
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            embedding_size=self.embedding_size,
            max_position_embeddings=self.max_position_embeddings,
            type_vocab_size=self.type_vocab_size,
            position_embedding_type=self.position_embedding_type,
            layer_norm_eps=self.layer_norm_eps,
            dropout=self.dropout_rate,
            initializer_range=self.initializer_range,
        )
        return config
