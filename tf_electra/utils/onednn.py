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
environment). Training refuses to run in a process where it is or was true (`check_not_frozen`: every
step would silently compute with the first step's weights).

TensorFlow reads the variable once per process, when it builds its first such kernel, and aborts the
process on a value other than 1/0/true/false: `frozen_weights` refuses those with one line first.
"""

import os

from tf_electra.errors import ConfigError

ENV = "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"
_VALUES = {"1": True, "true": True, "0": False, "false": False}  # what TensorFlow accepts, in any case
_AT_IMPORT = os.environ.get(ENV)  # TensorFlow reads it once, usually after `import tf_electra`
_ran_frozen = []  # a compiled step of ours ran while it was true: TensorFlow may have read it then


def _value(value):
    """The switch's meaning; a value TensorFlow would abort on is one ConfigError line."""
    if value is None:
        return False
    if value.lower() not in _VALUES:
        raise ConfigError(f"{ENV}={value!r}: TensorFlow accepts 1 or true (inference-only processes), 0 or false")
    return _VALUES[value.lower()]


def frozen_weights():
    """Whether this process may run with frozen weights: the variable is true now, was true at import, or
    was true when one of our compiled steps ran (TensorFlow keeps what it read first, so unsetting the
    variable later does not undo it; setting it after TensorFlow read it unset does nothing, and is
    still counted, to be safe).

    A value TensorFlow would abort the process on (anything but 1, 0, true or false in any case; an
    empty value or spaces too) is refused with one ConfigError line.
    """
    at_import = (_AT_IMPORT or "").lower() in ("1", "true")
    return _value(os.environ.get(ENV)) or at_import or bool(_ran_frozen)


def note_compiled_step():
    """Called before a compiled step of ours first runs: checks the value and remembers a true one."""
    if frozen_weights():
        _ran_frozen.append(True)


def check_not_frozen(what="training"):
    """Refuses `what` with one ConfigError line when the process may run with frozen weights."""
    if frozen_weights():
        raise ConfigError(
            f"{ENV} is or was true in this process, so oneDNN keeps the first weights it sees and {what} would "
            f"silently compute with stale weights; start the process without it (it is for inference only)"
        )
