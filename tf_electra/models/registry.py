"""Every model class by name, and loading a saved model folder as the class its config names."""

import os

from tf_electra.errors import ConfigError
from tf_electra.models.electra_model import TFElectraModel
from tf_electra.models.multiple_choice import TFElectraForMultipleChoice
from tf_electra.models.pretraining import TFElectraForCausalLM
from tf_electra.models.pretraining import TFElectraForMaskedLM
from tf_electra.models.pretraining import TFElectraForPreTraining
from tf_electra.models.question_answering import TFElectraForQuestionAnswering
from tf_electra.models.sequence_classification import TFElectraForSequenceClassification
from tf_electra.models.token_classification import TFElectraForTokenClassification
from tf_electra.utils.hub import resolve_model_dir
from tf_electra.utils.values import read_json_object

MODEL_CLASSES = {
    cls.__name__: cls
    for cls in (
        TFElectraModel,
        TFElectraForPreTraining,
        TFElectraForMaskedLM,
        TFElectraForCausalLM,
        TFElectraForSequenceClassification,
        TFElectraForMultipleChoice,
        TFElectraForTokenClassification,
        TFElectraForQuestionAnswering,
    )
}


def model_folder(path):
    """A model folder: the path itself, or its `best/` (a `tf-electra finetune` output folder)."""
    directory = resolve_model_dir(path)
    nested = os.path.join(directory, "best")
    if not os.path.isfile(os.path.join(directory, "config.json")) and os.path.isfile(
        os.path.join(nested, "config.json")
    ):
        return nested
    return directory


def class_for_folder(directory):
    """The model class a folder's config.json names in `architectures` (TFElectraModel when none)."""
    config_file = os.path.join(directory, "config.json")
    if not os.path.isfile(config_file):
        raise ConfigError(f"{directory} is not a model folder: it has no config.json (write one with save_pretrained)")
    architectures = read_json_object(config_file, ConfigError).get("architectures")
    if not architectures:
        return TFElectraModel
    if not isinstance(architectures, list) or not isinstance(architectures[0], str):
        raise ConfigError(f"{config_file}: 'architectures' must be a list of class names, got {architectures!r}")
    name = architectures[0] if architectures[0].startswith("TF") else "TF" + architectures[0]
    if name not in MODEL_CLASSES:
        raise ConfigError(f"{config_file} names the architecture {architectures[0]!r}, which tf_electra does not have")
    return MODEL_CLASSES[name]


def load_model_dir(model_dir, dtype=None, **kwargs):
    """A model from a save_pretrained folder (or a finetune output folder), of the class its config names."""
    directory = model_folder(model_dir)
    return class_for_folder(directory).from_pretrained(directory, dtype=dtype, **kwargs)
