"""ELECTRA's weight initializer, its dense layer, and a switch to skip random initialization.

Loading a checkpoint that assigns every weight first fills the model with random values only to
overwrite them; for ELECTRA-Large that is about 5 s and a transient copy per variable. Inside
`zero_initialized()` new layers start from zeros instead. Use it only when every weight will be
assigned afterwards.
"""

import contextlib
import contextvars

import keras

_ZERO_INIT = contextvars.ContextVar("tf_electra_zero_init", default=False)


def weight_initializer(initializer_range=0.02):
    """ELECTRA's initializer: truncated normal with this stddev (zeros inside `zero_initialized()`)."""
    if _ZERO_INIT.get():
        return keras.initializers.Zeros()
    return keras.initializers.TruncatedNormal(stddev=initializer_range)


def dense(units, initializer_range, name, dtype, activation=None):
    """A Dense layer with ELECTRA's initializer (truncated normal kernel, zero bias)."""
    return keras.layers.Dense(
        units, activation=activation, kernel_initializer=weight_initializer(initializer_range), name=name, dtype=dtype
    )


@contextlib.contextmanager
def zero_initialized():
    """Models built inside this block start from zeros (for loaders that assign every weight)."""
    token = _ZERO_INIT.set(True)
    try:
        yield
    finally:
        _ZERO_INIT.reset(token)
