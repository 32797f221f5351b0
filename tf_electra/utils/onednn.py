"""oneDNN's frozen-weights mode for processes that only run inference, and the guard that keeps it from training.

TensorFlow's oneDNN kernels run a dense layer's MatMul + BiasAdd (+ GELU) as one `inner_product`. Its weights
are a variable, so the kernel takes them in TensorFlow's plain layout every call, and oneDNN then picks a
slower kernel (`gemm:jit`). With `TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1` each such kernel reorders its weights
once into the blocked layout of oneDNN's fast `brgemm` kernels (AMX on Intel Xeons that have it) and keeps
that copy. Measured on an Intel Xeon with AMX-BF16, 2 cores, one compiled inference call in bfloat16
(tools/benchmark.py): ELECTRA-Small 8 x 128 76 -> 54 ms, Base 263 -> 185 ms; float32 from 6% faster to 5%
slower. Peak memory grows by the blocked copy.

The copy is kept for the life of the compiled function: weights changed after its first call are not
seen (eager calls and newly traced functions do see them). So the mode is for processes whose weights
are final before the first inference call, such as a serving process (set the variable in its
environment). Training refuses to run under it (`check_not_frozen`: every step would silently compute
with the first step's weights).

TensorFlow reads the variable once per process, when it builds its first such kernel, and aborts the
process on a value other than 1/0/true/false: `frozen_weights` refuses those with one line first.
"""

import os

from tf_electra.errors import ConfigError

ENV = "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"
_VALUES = {"1": True, "true": True, "0": False, "false": False}  # what TensorFlow accepts, in any case


def frozen_weights():
    """Whether TF_ONEDNN_ASSUME_FROZEN_WEIGHTS asks for frozen weights.

    A value TensorFlow would abort the process on (anything but 1, 0, true or false in any case; an
    empty value or spaces too) is refused with one ConfigError line.
    """
    value = os.environ.get(ENV)
    if value is None:
        return False
    if value.lower() not in _VALUES:
        raise ConfigError(f"{ENV}={value!r}: TensorFlow accepts 1 or true (inference-only processes), 0 or false")
    return _VALUES[value.lower()]


def check_not_frozen(what="training"):
    """Refuses `what` with one ConfigError line when the process runs with frozen weights."""
    if frozen_weights():
        raise ConfigError(
            f"{ENV}={os.environ[ENV]} makes oneDNN keep the first weights it sees, so {what} would silently "
            f"compute with stale weights; unset it (it is for processes that only run inference)"
        )
