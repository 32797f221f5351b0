"""tf_electra: ELECTRA for Keras 3 and TensorFlow.

Models mirror Hugging Face's TFElectra* classes; configs and weights are interchangeable with
Hugging Face's, Google's original checkpoints load directly, and ELECTRA pre-training writes them.

Public names are imported on first use, so `import tf_electra` (and the `tf-electra` command's
`--help`) does not pay for importing TensorFlow. When Keras is already imported, the model classes
are registered at once, so `keras.models.load_model("model.keras")` finds them.
"""

import importlib
import sys

from tf_electra.utils.allocator import prefer_bfc_allocator
from tf_electra.utils.graph_rewrites import prepare_xla_flags

prepare_xla_flags()  # TF_ELECTRA_XLA=elementwise: TensorFlow reads TF_XLA_FLAGS before its first graph
prefer_bfc_allocator()  # TensorFlow reads TF_CPU_ALLOCATOR_USE_BFC at its first operation

__version__ = "0.2.0"

# public name -> module that defines it
_EXPORTS = {
    "ElectraConfig": "tf_electra.configuration",
    "PRESETS": "tf_electra.presets",
    "ElectraError": "tf_electra.errors",
    "ConfigError": "tf_electra.errors",
    "InputError": "tf_electra.errors",
    "WeightsError": "tf_electra.errors",
    "CheckpointError": "tf_electra.errors",
    "TokenizerError": "tf_electra.errors",
    "DataError": "tf_electra.errors",
    "ExportError": "tf_electra.errors",
    "TrainingError": "tf_electra.errors",
    "FinetuneError": "tf_electra.errors",
    "TFElectraPreTrainedModel": "tf_electra.models.base",
    "TFElectraModel": "tf_electra.models.electra_model",
    "TFElectraForPreTraining": "tf_electra.models.pretraining",
    "TFElectraForMaskedLM": "tf_electra.models.pretraining",
    "TFElectraForCausalLM": "tf_electra.models.pretraining",
    "TFElectraForSequenceClassification": "tf_electra.models.sequence_classification",
    "TFElectraForMultipleChoice": "tf_electra.models.multiple_choice",
    "TFElectraForTokenClassification": "tf_electra.models.token_classification",
    "TFElectraForQuestionAnswering": "tf_electra.models.question_answering",
    "TFElectraForPreTrainingOutput": "tf_electra.models.outputs",
    "MODEL_CLASSES": "tf_electra.models.registry",
    "load_model_dir": "tf_electra.models.registry",
    "load_google_checkpoint": "tf_electra.models.google",
    "inspect_google_checkpoint": "tf_electra.io.google_format",
    "ElectraTokenizer": "tf_electra.tokenization.tokenizer",
    "ElectraTokenizerFast": "tf_electra.tokenization.tokenizer",
    "train_vocab": "tf_electra.tokenization.vocab_training",
    "get_task": "tf_electra.tasks.base",
    "FinetuneConfig": "tf_electra.training.finetune",
    "finetune": "tf_electra.training.finetune",
    "export_saved_model": "tf_electra.serving.export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tf_electra' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


if sys.modules.get("keras") is not None:  # (None: a process that marked Keras absent)
    importlib.import_module("tf_electra.models")
