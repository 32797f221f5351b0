"""Deprecated: the names of `tf_electra.training.metrics` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.training.metrics",
    {
        "classification_metrics": "tf_electra.tasks.metrics",
        "regression_metrics": "tf_electra.tasks.metrics",
        "token_classification_metrics": "tf_electra.tasks.metrics",
        "squad_metrics": "tf_electra.tasks.metrics",
        "normalize_answer": "tf_electra.tasks.metrics",
    },
)
