"""TFElectraForSequenceClassification: sentence (pair) classification or regression on the first token."""

import keras
from keras import ops

from tf_electra.layers.heads import ElectraClassificationHead
from tf_electra.models import losses
from tf_electra.models.arguments import classifier_dropout
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.outputs import TFSequenceClassifierOutput


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForSequenceClassification(TFElectraPreTrainedModel):
    """Sentence (pair) classification or regression on the first token.

    Logits [batch, num_labels]. The loss is mean squared error when
    num_labels == 1, cross-entropy for integer labels, sigmoid cross-entropy
    for float (multi-hot) labels, or what `config.problem_type` says.
    """

    output_class = TFSequenceClassifierOutput

    def _create_head(self):
        cfg = self.config
        self.classifier = ElectraClassificationHead(
            cfg.hidden_size,
            cfg.num_labels,
            classifier_dropout(cfg),
            cfg.initializer_range,
            name="classifier",
            dtype=self.dtype_policy,
        )

    def _build_head(self):
        self.classifier.build()

    def _head_outputs(self, sequence_output, inputs, training):
        return {"logits": ops.cast(self.classifier(sequence_output, training=training), "float32")}

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        return losses.sequence_classification_loss(
            labels, outputs["logits"], self.config.num_labels, self.config.problem_type, sample_weight
        )
