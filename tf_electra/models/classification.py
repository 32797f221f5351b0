"""Task heads for fine-tuning: sequence and token classification, multiple choice, question answering."""

import keras
from keras import ops

from tf_electra import losses
from tf_electra.layers.attention import dense
from tf_electra.layers.heads import ElectraClassificationHead
from tf_electra.layers.heads import ElectraSequenceSummary
from tf_electra.models.base import INPUT_NAMES
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.outputs import TFMultipleChoiceModelOutput
from tf_electra.outputs import TFQuestionAnsweringModelOutput
from tf_electra.outputs import TFSequenceClassifierOutput
from tf_electra.outputs import TFTokenClassifierOutput


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForSequenceClassification(TFElectraPreTrainedModel):
    """Sentence (pair) classification or regression on the first token.

    Logits [batch, num_labels]. The loss is mean squared error when
    num_labels == 1, cross-entropy for integer labels, sigmoid cross-entropy
    for float (multi-hot) labels, or what `config.problem_type` says.
    """

    output_class = TFSequenceClassifierOutput

    def _create_head(self):
        self.classifier = ElectraClassificationHead(self.config, name="classifier", dtype=self.dtype_policy)

    def _build_head(self):
        self.classifier.build()

    def _head_outputs(self, sequence_output, inputs, training):
        return {"logits": ops.cast(self.classifier(sequence_output, training=training), "float32")}

    def hf_loss(self, labels, outputs, inputs):
        return losses.sequence_classification_loss(
            labels, outputs["logits"], self.config.num_labels, self.config.problem_type
        )


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForTokenClassification(TFElectraPreTrainedModel):
    """One label per token (NER, POS): logits [batch, seq, num_labels]; labels -100 are ignored."""

    output_class = TFTokenClassifierOutput

    def _create_head(self):
        cfg = self.config
        rate = cfg.classifier_dropout if cfg.classifier_dropout is not None else cfg.hidden_dropout_prob
        self.dropout = keras.layers.Dropout(rate, dtype=self.dtype_policy)
        self.classifier = dense(cfg.num_labels, cfg, "classifier", self.dtype_policy)

    def _build_head(self):
        self.classifier.build((None, None, self.config.hidden_size))

    def _head_outputs(self, sequence_output, inputs, training):
        logits = self.classifier(self.dropout(sequence_output, training=training))
        return {"logits": ops.cast(logits, "float32")}

    def hf_loss(self, labels, outputs, inputs):
        return losses.sparse_cross_entropy(labels, outputs["logits"])


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForMultipleChoice(TFElectraPreTrainedModel):
    """Chooses among candidates: inputs [batch, num_choices, seq], logits [batch, num_choices]."""

    output_class = TFMultipleChoiceModelOutput

    def _create_head(self):
        self.sequence_summary = ElectraSequenceSummary(self.config, name="sequence_summary", dtype=self.dtype_policy)
        self.classifier = dense(1, self.config, "classifier", self.dtype_policy)

    def _build_head(self):
        self.sequence_summary.build()
        self.classifier.build((None, self.config.hidden_size))

    def _encoder_inputs(self, inputs):
        # [batch, choices, seq(, E)] -> [batch * choices, seq(, E)]
        flat = {}
        for name in INPUT_NAMES:
            value = inputs[name]
            if value is not None:
                tail = ops.shape(value)[2:]
                value = ops.reshape(value, (-1,) + tuple(tail))
            flat[name] = value
        return flat

    def _head_outputs(self, sequence_output, inputs, training):
        reference = inputs["input_ids"] if inputs["input_ids"] is not None else inputs["inputs_embeds"]
        num_choices = ops.shape(reference)[1]
        pooled = self.sequence_summary(sequence_output, training=training)
        logits = ops.reshape(self.classifier(pooled), (-1, num_choices))
        return {"logits": ops.cast(logits, "float32")}

    def hf_loss(self, labels, outputs, inputs):
        return losses.sparse_cross_entropy(labels, outputs["logits"])


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForQuestionAnswering(TFElectraPreTrainedModel):
    """Extractive QA: start and end logits [batch, seq] for the answer span.

    Labels are `start_positions` and `end_positions` [batch]; positions outside
    the sequence are ignored, as in Hugging Face.
    """

    output_class = TFQuestionAnsweringModelOutput
    label_names = ("start_positions", "end_positions")
    prediction_names = ("start_logits", "end_logits")

    def _create_head(self):
        if self.config.num_labels != 2:
            from tf_electra.errors import ConfigError

            raise ConfigError(
                f"TFElectraForQuestionAnswering needs num_labels == 2 (start and end), got {self.config.num_labels}"
            )
        self.qa_outputs = dense(self.config.num_labels, self.config, "qa_outputs", self.dtype_policy)

    def _build_head(self):
        self.qa_outputs.build((None, None, self.config.hidden_size))

    def _head_outputs(self, sequence_output, inputs, training):
        logits = ops.cast(self.qa_outputs(sequence_output), "float32")
        return {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}

    def hf_loss(self, labels, outputs, inputs):
        if isinstance(labels, dict):
            start, end = labels["start_positions"], labels["end_positions"]
        else:
            start, end = labels
        return losses.question_answering_loss(start, end, outputs["start_logits"], outputs["end_logits"])
