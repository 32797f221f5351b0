"""Activations by Hugging Face's names, in keras.ops."""

from keras import ops

from tf_electra.errors import ConfigError


def get_activation(name):
    """Returns the activation function for a Hugging Face activation name.

    "gelu" is the exact erf form that ELECTRA uses, not the tanh approximation.
    """
    table = {
        "gelu": lambda x: ops.gelu(x, approximate=False),
        "gelu_new": lambda x: ops.gelu(x, approximate=True),
        "gelu_pytorch_tanh": lambda x: ops.gelu(x, approximate=True),
        "relu": ops.relu,
        "silu": ops.silu,
        "swish": ops.silu,
        "tanh": ops.tanh,
        "linear": lambda x: x,
    }
    if name not in table:
        raise ConfigError(f"unknown activation {name!r}; use one of {sorted(table)}")
    return table[name]
