"""Keras models: the ELECTRA encoder, every task head, and their registry."""

from tf_electra.models.electra_model import TFElectraModel
from tf_electra.models.multiple_choice import TFElectraForMultipleChoice
from tf_electra.models.pretraining import TFElectraForCausalLM
from tf_electra.models.pretraining import TFElectraForMaskedLM
from tf_electra.models.pretraining import TFElectraForPreTraining
from tf_electra.models.question_answering import TFElectraForQuestionAnswering
from tf_electra.models.registry import MODEL_CLASSES
from tf_electra.models.sequence_classification import TFElectraForSequenceClassification
from tf_electra.models.token_classification import TFElectraForTokenClassification

__all__ = [
    "MODEL_CLASSES",
    "TFElectraForCausalLM",
    "TFElectraForMaskedLM",
    "TFElectraForMultipleChoice",
    "TFElectraForPreTraining",
    "TFElectraForQuestionAnswering",
    "TFElectraForSequenceClassification",
    "TFElectraForTokenClassification",
    "TFElectraModel",
]
