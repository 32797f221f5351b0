"""Deprecated: the names of `tf_electra.training.squad` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.training.squad",
    {
        "encode_question_answering": "tf_electra.tasks.question_answering",
        "postprocess_predictions": "tf_electra.tasks.question_answering",
        "read_squad": "tf_electra.tasks.question_answering",
    },
)
