"""Deprecated: the names of `tf_electra.export` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.export",
    {
        "export_saved_model": "tf_electra.serving.export",
        "load_model_dir": "tf_electra.models.registry",
        "model_folder": "tf_electra.models.registry",
    },
)
