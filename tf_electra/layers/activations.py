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


def gelu_tanh(x):
    """0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))): transformers' gelu_new, gelu_fast, gelu_accurate, ..."""
    return ops.gelu(x, approximate=True)


def laplace(x, mu=0.707107, sigma=0.282095):
    """transformers' LaplaceActivation (MEGA): 0.5 (1 + erf((x - mu) / (sigma sqrt(2))))."""
    return 0.5 * (1.0 + ops.erf((x - mu) * (0.7071067811865476 / sigma)))


TABLE = {
    "gelu": gelu_exact,
    "gelu_python": gelu_exact,
    "gelu_new": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_python_tanh": gelu_tanh,
    "gelu_fast": gelu_tanh,
    "gelu_accurate": gelu_tanh,
    "gelu_10": lambda x: ops.clip(gelu_exact(x), -10.0, 10.0),
    "quick_gelu": lambda x: x * ops.sigmoid(1.702 * x),
    "laplace": laplace,
    "relu": ops.relu,
    "relu2": lambda x: ops.square(ops.relu(x)),
    "relu6": ops.relu6,
    "leaky_relu": lambda x: ops.leaky_relu(x, negative_slope=0.01),  # torch.nn.LeakyReLU's default
    "silu": ops.silu,
    "swish": ops.silu,
    "mish": lambda x: x * ops.tanh(ops.softplus(x)),
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "linear": lambda x: x,
}


def get_activation(name):
    """Returns the activation function for a Hugging Face activation name (config_fields.ACTIVATIONS).

    "gelu" is the exact erf form that ELECTRA uses, not the tanh approximation.
    """
    if name not in TABLE:
        raise ConfigError(f"unknown activation {name!r}; use one of {sorted(TABLE)}")
    return TABLE[name]
