"""TFElectraForTokenClassification: one label per token (NER, POS)."""

import keras
from keras import ops

from tf_electra.layers.dropout import Dropout
from tf_electra.layers.initializers import dense
from tf_electra.models import losses
from tf_electra.models.arguments import classifier_dropout
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.outputs import TFTokenClassifierOutput


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForTokenClassification(TFElectraPreTrainedModel):
    """One label per token (NER, POS): logits [batch, seq, num_labels]; labels -100 are ignored."""

    output_class = TFTokenClassifierOutput

    def _create_head(self):
        cfg = self.config
        self.dropout = Dropout(classifier_dropout(cfg), dtype=self.dtype_policy)
        self.classifier = dense(cfg.num_labels, cfg.initializer_range, "classifier", self.dtype_policy)

    def _build_head(self):
        self.classifier.build((None, None, self.config.hidden_size))

    def _head_outputs(self, sequence_output, inputs, training):
        logits = self.classifier(self.dropout(sequence_output, training=training))
        return {"logits": ops.cast(logits, "float32")}

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        return losses.sparse_cross_entropy(labels, outputs["logits"], sample_weight=sample_weight)
