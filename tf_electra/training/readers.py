"""Deprecated: the names of `tf_electra.training.readers` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.training.readers", {"read_rows": "tf_electra.tasks.readers", "DataError": "tf_electra.errors"}
)
