"""Deprecated: the names of `tf_electra.training.tasks` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.training.tasks",
    {
        "encode_classification": "tf_electra.tasks.classification",
        "encode_token_classification": "tf_electra.tasks.token_classification",
        "encode_multiple_choice": "tf_electra.tasks.multiple_choice",
        "TaskData": "tf_electra.tasks.data",
        "align_word_labels": "tf_electra.tasks.token_classification",
    },
)
