"""Deprecated: the names of `tf_electra.google_checkpoint` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.google_checkpoint",
    {"load_google_checkpoint": "tf_electra.models.google", "inspect_google_checkpoint": "tf_electra.io.google_format"},
)
