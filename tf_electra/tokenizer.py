"""Deprecated: the names of `tf_electra.tokenizer` moved (see the README's Architecture section)."""

from tf_electra._deprecated import moved

__getattr__ = moved(
    "tf_electra.tokenizer",
    {
        "ElectraTokenizer": "tf_electra.tokenization.tokenizer",
        "ElectraTokenizerFast": "tf_electra.tokenization.tokenizer",
        "TokenizerError": "tf_electra.errors",
    },
)
