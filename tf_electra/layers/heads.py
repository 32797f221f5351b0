"""Prediction heads: the discriminator and generator heads of pre-training, and the task heads."""

import keras
from keras import ops

from tf_electra.layers.activations import get_activation
from tf_electra.layers.attention import dense


class ElectraDiscriminatorPredictions(keras.layers.Layer):
    """Replaced-token detection head (scope `discriminator_predictions`): dense -> act -> one logit per token.

    The second dense layer is Google's `dense_1` and Hugging Face's `dense_prediction`.
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dense = dense(config.hidden_size, config, "dense", self.dtype_policy)
        self.activation = get_activation(config.hidden_act)
        self.dense_prediction = dense(1, config, "dense_prediction", self.dtype_policy)

    def build(self, input_shape=None):
        self.dense.build((None, None, self.config.hidden_size))
        self.dense_prediction.build((None, None, self.config.hidden_size))

    def call(self, hidden_states):
        logits = self.dense_prediction(self.activation(self.dense(hidden_states)))
        return ops.squeeze(logits, axis=-1)  # [batch, seq]


class ElectraGeneratorPredictions(keras.layers.Layer):
    """Generator MLM transform (scope `generator_predictions`): dense(E) -> erf GELU -> LayerNorm."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.dense = dense(config.embedding_size, config, "dense", self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="LayerNorm", dtype=self.dtype_policy
        )

    def build(self, input_shape=None):
        self.dense.build((None, None, self.config.hidden_size))
        self.layer_norm.build((None, None, self.config.embedding_size))

    def call(self, hidden_states):
        return self.layer_norm(ops.gelu(self.dense(hidden_states), approximate=False))


class ElectraLMHead(keras.layers.Layer):
    """Output layer tied to the word embeddings: `h @ word_embeddings^T + bias`.

    Google calls the bias `generator_predictions/output_bias`; Hugging Face
    `generator_lm_head.bias`. There is no separate output weight.
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def build(self, input_shape=None):
        self.bias = self.add_weight(shape=(self.config.vocab_size,), initializer="zeros", name="bias")

    def call(self, hidden_states, word_embeddings):
        """hidden_states [batch, seq, E], word_embeddings [vocab, E] -> logits [batch, seq, vocab]."""
        table = ops.cast(word_embeddings, hidden_states.dtype)
        logits = ops.matmul(hidden_states, ops.transpose(table))
        return logits + ops.cast(self.bias, logits.dtype)


class ElectraClassificationHead(keras.layers.Layer):
    """Sentence-level head on the first token: dropout -> dense -> gelu -> dropout -> out_proj."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        rate = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dense = dense(config.hidden_size, config, "dense", self.dtype_policy)
        self.dropout = keras.layers.Dropout(rate, dtype=self.dtype_policy)
        self.out_proj = dense(config.num_labels, config, "out_proj", self.dtype_policy)

    def build(self, input_shape=None):
        self.dense.build((None, self.config.hidden_size))
        self.out_proj.build((None, self.config.hidden_size))

    def call(self, hidden_states, training=False):
        x = self.dropout(hidden_states[:, 0, :], training=training)
        x = ops.gelu(self.dense(x), approximate=False)
        x = self.dropout(x, training=training)
        return self.out_proj(x)


class ElectraSequenceSummary(keras.layers.Layer):
    """One vector per sequence for multiple choice (Hugging Face's SequenceSummary)."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.summary = None
        if config.summary_use_proj:
            units = config.hidden_size
            if getattr(config, "summary_proj_to_labels", False) and config.num_labels > 0:
                units = config.num_labels
            self.summary = dense(units, config, "summary", self.dtype_policy)
        self.activation = get_activation(config.summary_activation) if config.summary_activation else None
        self.first_dropout = keras.layers.Dropout(
            getattr(config, "summary_first_dropout", 0.0) or 0.0, dtype=self.dtype_policy
        )
        self.last_dropout = keras.layers.Dropout(config.summary_last_dropout or 0.0, dtype=self.dtype_policy)

    def build(self, input_shape=None):
        if self.summary is not None:
            self.summary.build((None, self.config.hidden_size))

    def call(self, hidden_states, cls_index=None, training=False):
        kind = self.config.summary_type
        if kind == "first":
            output = hidden_states[:, 0]
        elif kind == "last":
            output = hidden_states[:, -1]
        elif kind == "mean":
            output = ops.mean(hidden_states, axis=1)
        else:  # cls_index
            if cls_index is None:
                output = hidden_states[:, -1]
            else:
                output = ops.take_along_axis(hidden_states, ops.cast(cls_index, "int32")[:, None, None], axis=1)
                output = output[:, 0]
        output = self.first_dropout(output, training=training)
        if self.summary is not None:
            output = self.summary(output)
        if self.activation is not None:
            output = self.activation(output)
        return self.last_dropout(output, training=training)
