"""Prediction heads: the discriminator and generator heads of pre-training, and the sentence-level heads."""

import keras
from keras import ops

from tf_electra.layers.activations import gelu_exact
from tf_electra.layers.activations import get_activation
from tf_electra.layers.dropout import Dropout
from tf_electra.layers.initializers import dense


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraDiscriminatorPredictions(keras.layers.Layer):
    """Replaced-token detection head (scope `discriminator_predictions`): dense -> act -> one logit per token.

    The second dense layer is Google's `dense_1` and Hugging Face's `dense_prediction`.

    Args:
        hidden_size: Width H of the encoder output.
        hidden_act: Activation between the two dense layers.
        initializer_range: Stddev of the kernels' initializer.
    """

    def __init__(self, hidden_size, hidden_act="gelu", initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size, self.hidden_act, self.initializer_range = hidden_size, hidden_act, initializer_range
        self.dense = dense(hidden_size, initializer_range, "dense", self.dtype_policy)
        self.activation = get_activation(hidden_act)
        self.dense_prediction = dense(1, initializer_range, "dense_prediction", self.dtype_policy)

    def build(self, input_shape=None):
        self.dense.build((None, None, self.hidden_size))
        self.dense_prediction.build((None, None, self.hidden_size))

    def call(self, hidden_states):
        logits = self.dense_prediction(self.activation(self.dense(hidden_states)))
        return ops.squeeze(logits, axis=-1)  # [batch, seq]

    def get_config(self):
        return dict(
            super().get_config(),
            hidden_size=self.hidden_size,
            hidden_act=self.hidden_act,
            initializer_range=self.initializer_range,
        )


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraGeneratorPredictions(keras.layers.Layer):
    """Generator MLM transform (scope `generator_predictions`): dense(E) -> erf GELU -> LayerNorm.

    Args:
        embedding_size: Output width E (that of the word embeddings the logits are tied to).
        hidden_size: Input width H of the generator's encoder.
        layer_norm_eps, initializer_range: LayerNorm epsilon, kernel initializer stddev.
    """

    def __init__(self, embedding_size, hidden_size, layer_norm_eps=1e-12, initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.embedding_size, self.hidden_size = embedding_size, hidden_size
        self.layer_norm_eps, self.initializer_range = layer_norm_eps, initializer_range
        self.dense = dense(embedding_size, initializer_range, "dense", self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, name="LayerNorm", dtype=self.dtype_policy
        )

    def build(self, input_shape=None):
        self.dense.build((None, None, self.hidden_size))
        self.layer_norm.build((None, None, self.embedding_size))

    def call(self, hidden_states):
        return self.layer_norm(gelu_exact(self.dense(hidden_states)))

    def get_config(self):
        return dict(
            super().get_config(),
            embedding_size=self.embedding_size,
            hidden_size=self.hidden_size,
            layer_norm_eps=self.layer_norm_eps,
            initializer_range=self.initializer_range,
        )


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraLMHead(keras.layers.Layer):
    """Output layer tied to the word embeddings: `h @ word_embeddings^T + bias`.

    Google calls the bias `generator_predictions/output_bias`; Hugging Face `generator_lm_head.bias`.
    There is no separate output weight.

    Args:
        vocab_size: Number of logits per position.
    """

    def __init__(self, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size

    def build(self, input_shape=None):
        self.bias = self.add_weight(shape=(self.vocab_size,), initializer="zeros", name="bias")

    def call(self, hidden_states, word_embeddings):
        """hidden_states [batch, seq, E], word_embeddings [vocab, E] -> logits [batch, seq, vocab]."""
        table = ops.cast(word_embeddings, hidden_states.dtype)
        logits = ops.matmul(hidden_states, ops.transpose(table))
        return logits + ops.cast(self.bias, logits.dtype)

    def get_config(self):
        return dict(super().get_config(), vocab_size=self.vocab_size)


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraClassificationHead(keras.layers.Layer):
    """Sentence-level head on the first token: dropout -> dense -> gelu -> dropout -> out_proj.

    Args:
        hidden_size: Width H.
        num_labels: Number of logits.
        dropout: Dropout rate (before and after the dense layer).
        initializer_range: Stddev of the kernels' initializer.
    """

    def __init__(self, hidden_size, num_labels, dropout=0.1, initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size, self.num_labels = hidden_size, num_labels
        self.dropout_rate, self.initializer_range = dropout, initializer_range
        self.dense = dense(hidden_size, initializer_range, "dense", self.dtype_policy)
        self.dropout = Dropout(dropout, dtype=self.dtype_policy)
        self.out_proj = dense(num_labels, initializer_range, "out_proj", self.dtype_policy)

    def build(self, input_shape=None):
        self.dense.build((None, self.hidden_size))
        self.out_proj.build((None, self.hidden_size))

    def call(self, hidden_states, training=False):
        x = self.dropout(hidden_states[:, 0, :], training=training)
        x = gelu_exact(self.dense(x))
        x = self.dropout(x, training=training)
        return self.out_proj(x)

    def get_config(self):
        return dict(
            super().get_config(),
            hidden_size=self.hidden_size,
            num_labels=self.num_labels,
            dropout=self.dropout_rate,
            initializer_range=self.initializer_range,
        )


@keras.saving.register_keras_serializable(package="tf_electra")
class ElectraSequenceSummary(keras.layers.Layer):
    """One vector per sequence for multiple choice (Hugging Face's SequenceSummary).

    Args:
        hidden_size: Width H.
        summary_type: "first", "last", "mean" or "cls_index" (the token at cls_index; last without one).
        use_proj: Add a dense projection (to H, or to `proj_units`).
        proj_units: The projection's width (Hugging Face's summary_proj_to_labels uses num_labels).
        activation: Activation name after the projection, or None.
        first_dropout, last_dropout: Dropout before the projection and at the end.
        initializer_range: Stddev of the projection's initializer.
    """

    def __init__(
        self,
        hidden_size,
        summary_type="first",
        use_proj=True,
        proj_units=None,
        activation="gelu",
        first_dropout=0.0,
        last_dropout=0.1,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_size, self.summary_type, self.use_proj = hidden_size, summary_type, use_proj
        self.proj_units, self.activation_name = proj_units, activation
        self.first_dropout_rate, self.last_dropout_rate = first_dropout, last_dropout
        self.initializer_range = initializer_range
        self.summary = (
            dense(proj_units or hidden_size, initializer_range, "summary", self.dtype_policy) if use_proj else None
        )
        self.activation = get_activation(activation) if activation else None
        self.first_dropout = Dropout(first_dropout or 0.0, dtype=self.dtype_policy)
        self.last_dropout = Dropout(last_dropout or 0.0, dtype=self.dtype_policy)

    def build(self, input_shape=None):
        if self.summary is not None:
            self.summary.build((None, self.hidden_size))

    def call(self, hidden_states, cls_index=None, training=False):
        if self.summary_type == "first":
            output = hidden_states[:, 0]
        elif self.summary_type == "last":
            output = hidden_states[:, -1]
        elif self.summary_type == "mean":
            output = ops.mean(hidden_states, axis=1)
        elif cls_index is None:  # cls_index without indices: the last token
            output = hidden_states[:, -1]
        else:
            output = ops.take_along_axis(hidden_states, ops.cast(cls_index, "int32")[:, None, None], axis=1)[:, 0]
        output = self.first_dropout(output, training=training)
        if self.summary is not None:
            output = self.summary(output)
        if self.activation is not None:
            output = self.activation(output)
        return self.last_dropout(output, training=training)

    def get_config(self):
        return dict(
            super().get_config(),
            hidden_size=self.hidden_size,
            summary_type=self.summary_type,
            use_proj=self.use_proj,
            proj_units=self.proj_units,
            activation=self.activation_name,
            first_dropout=self.first_dropout_rate,
            last_dropout=self.last_dropout_rate,
            initializer_range=self.initializer_range,
        )
