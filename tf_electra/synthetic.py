"""Deprecated: the names of `tf_electra.synthetic` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.synthetic",
    {"write_vocab": "tf_electra.cli.demo_data", "word_order_sentiment": "tf_electra.cli.demo_data"},
)
