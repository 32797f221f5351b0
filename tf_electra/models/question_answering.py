"""TFElectraForQuestionAnswering: start and end logits of the answer span."""

import keras
from keras import ops

from tf_electra.layers.initializers import dense
from tf_electra.models import losses
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.outputs import TFQuestionAnsweringModelOutput


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
        self.qa_outputs = dense(self.config.num_labels, self.config.initializer_range, "qa_outputs", self.dtype_policy)

    def _build_head(self):
        self.qa_outputs.build((None, None, self.config.hidden_size))

    def _head_outputs(self, sequence_output, inputs, training):
        logits = ops.cast(self.qa_outputs(sequence_output), "float32")
        return {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        if isinstance(labels, dict):
            start, end = labels["start_positions"], labels["end_positions"]
        else:
            start, end = labels
        if isinstance(sample_weight, dict):  # Keras gives labels in a dict weights of the same structure
            sample_weight = (sample_weight["start_positions"], sample_weight["end_positions"])
        return losses.question_answering_loss(
            start, end, outputs["start_logits"], outputs["end_logits"], sample_weight=sample_weight
        )
