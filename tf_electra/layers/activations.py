"""Activations by Hugging Face's names, in keras.ops."""

from keras import ops

from tf_electra.errors import ConfigError


def gelu_exact(x):
    """The exact GELU in the original's (and BERT's) form: 0.5 x (1 + erf(x / sqrt(2))).

    `ops.gelu(approximate=False)` computes the same function through erfc, whose TensorFlow CPU kernel
    is 3x slower in bfloat16 (1.3x in float32) than erf's; oneDNN still fuses this form into the matmul
    before it for inference.
    """
    return 0.5 * x * (1.0 + ops.erf(x * 0.7071067811865476))


def get_activation(name):
    """Returns the activation function for a Hugging Face activation name.

    "gelu" is the exact erf form that ELECTRA uses, not the tanh approximation.
    """
    table = {
        "gelu": gelu_exact,
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
