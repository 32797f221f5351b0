"""tf_electra: ELECTRA for Keras 3 and TensorFlow.

Models mirror Hugging Face's TFElectra* classes; configs and weights are
interchangeable with Hugging Face's, and Google's original checkpoints load
directly.
"""

__version__ = "0.1.0"

import os as _os
import sys as _sys

if "tensorflow" not in _sys.modules:
    # TensorFlow's C++ start-up messages (oneDNN, CUDA probing) are noise for this package's users.
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tf_electra.configuration import ElectraConfig
from tf_electra.errors import CheckpointError
from tf_electra.errors import ConfigError
from tf_electra.errors import ElectraError
from tf_electra.errors import InputError
from tf_electra.errors import WeightsError
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.classification import TFElectraForMultipleChoice
from tf_electra.models.classification import TFElectraForQuestionAnswering
from tf_electra.models.classification import TFElectraForSequenceClassification
from tf_electra.models.classification import TFElectraForTokenClassification
from tf_electra.models.electra_model import TFElectraModel
from tf_electra.models.pretraining import TFElectraForCausalLM
from tf_electra.models.pretraining import TFElectraForMaskedLM
from tf_electra.models.pretraining import TFElectraForPreTraining
from tf_electra.outputs import TFElectraForPreTrainingOutput
from tf_electra.export import export_saved_model
from tf_electra.google_checkpoint import inspect_google_checkpoint
from tf_electra.google_checkpoint import load_google_checkpoint
from tf_electra.presets import PRESETS
from tf_electra.tokenizer import ElectraTokenizer
from tf_electra.tokenizer import ElectraTokenizerFast

MODEL_CLASSES = {
    "TFElectraModel": TFElectraModel,
    "TFElectraForPreTraining": TFElectraForPreTraining,
    "TFElectraForMaskedLM": TFElectraForMaskedLM,
    "TFElectraForCausalLM": TFElectraForCausalLM,
    "TFElectraForSequenceClassification": TFElectraForSequenceClassification,
    "TFElectraForMultipleChoice": TFElectraForMultipleChoice,
    "TFElectraForTokenClassification": TFElectraForTokenClassification,
    "TFElectraForQuestionAnswering": TFElectraForQuestionAnswering,
}

__all__ = [
    "ElectraConfig",
    "export_saved_model",
    "load_google_checkpoint",
    "inspect_google_checkpoint",
    "ElectraTokenizer",
    "ElectraTokenizerFast",
    "PRESETS",
    "MODEL_CLASSES",
    "TFElectraPreTrainedModel",
    "TFElectraForPreTrainingOutput",
    "ElectraError",
    "ConfigError",
    "InputError",
    "WeightsError",
    "CheckpointError",
] + list(MODEL_CLASSES)
