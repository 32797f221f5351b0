"""TensorFlow's BFC allocator for CPU tensors, chosen at `import tf_electra` unless the user chose.

TensorFlow's default CPU allocator hands each tensor fresh memory from the C library, and a large
buffer that comes back from the operating system is paged in on first touch. A training step keeps
its activations alive for the backward pass, so every step pays that again for tens of megabytes:
ELECTRA-Small's pre-training step (32 x 128) spent most of its element-wise time there. TensorFlow's
best-fit-with-coalescing allocator (`TF_CPU_ALLOCATOR_USE_BFC=true`) keeps the memory it has handed
out and reuses it. In the TensorFlow profiler (that step on an AMD EPYC with AVX2, 2 cores) a GELU
multiply of a 4096 x 1024 float32 tensor took 14 ms with the default allocator and 2.0 ms with BFC;
per step, all multiplies 1,540 -> 473 ms, Erf 218 -> 34 ms, the matrix products 3.0 -> 2.4 s (op time
summed over threads). Whole steps on that machine (5 each, 2 alternated processes per setting,
medians): pre-training 3.6-4.1 s -> 3.0 s with a lower peak RSS (3.32-3.43 -> 3.18 GB); ELECTRA-Small's
8 x 128 classification step 730-763 -> 641-662 ms; inference unchanged within noise.

TensorFlow reads the variable once, when it makes its CPU device (its first operation, or a
`tf.config` call that lists devices): `import tf_electra` sets it before that unless it is already set
(`false` or `0` keeps TensorFlow's default allocator), so import tf_electra before running TensorFlow
operations (importing Keras or TensorFlow first is fine). `in_use()` says which allocator the process
got. The allocator keeps the memory it has used until the process ends, so a process's resident memory
stays at its peak. TensorFlow caps it at `TF_CPU_BFC_MEM_LIMIT_IN_MB` (64 GB by default); where the
machine has more memory than that (and says how much: Linux, macOS) we raise the cap to it.
Measured on an AVX2 AMD EPYC only; on CPUs where TensorFlow's default CPU allocator is oneDNN's own
(`MklCPUAllocator`), not yet compared.

The choice is made in `os.environ`, so processes started from this one inherit it; set the variable to
`false` for them, or start them with `environment.without_our_choice(os.environ)` (the benchmarks do, for the
peers).
"""

import os
import warnings

from tf_electra.utils.environment import choose

ENV = "TF_CPU_ALLOCATOR_USE_BFC"
LIMIT_ENV = "TF_CPU_BFC_MEM_LIMIT_IN_MB"
TF_DEFAULT_LIMIT_MB = 1 << 16  # TensorFlow's cap when LIMIT_ENV is unset
_READABLE = ("0", "1", "false", "true")  # what TensorFlow's ReadBoolFromEnvVar accepts (any case)


def physical_memory_mb():
    """The machine's memory in MB, or None where the platform does not say (os.sysconf is POSIX-only)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (AttributeError, ValueError, OSError):
        return None


def prefer_bfc_allocator(environ=None):
    """Sets ENV to "true" (and LIMIT_ENV where the machine has more than 64 GB) unless the user set ENV.

    Returns whether it set ENV. A value TensorFlow cannot read is kept, with a warning that says
    TensorFlow will ignore it (its own message is hidden by our quiet TensorFlow logs).
    """
    environ = os.environ if environ is None else environ
    value = environ.get(ENV, "")
    if value.strip():
        if value.lower() not in _READABLE:  # (TensorFlow lower-cases the value, but does not trim it)
            warnings.warn(
                f"{ENV}={value!r} is not a value TensorFlow reads (true, false, 1 or 0): "
                "TensorFlow ignores it and uses its default CPU allocator",
                stacklevel=2,
            )
        return False
    chosen = {ENV: "true"}
    memory_mb = physical_memory_mb()
    if memory_mb and memory_mb > TF_DEFAULT_LIMIT_MB and not environ.get(LIMIT_ENV, "").strip():
        chosen[LIMIT_ENV] = str(memory_mb)
    for name, value in chosen.items():
        choose(name, value, environ)
    return True


def in_use():
    """Whether this process's TensorFlow CPU tensors come from a BFC allocator (imports TensorFlow and
    makes its CPU allocator if it has none yet). Only BFC allocators keep the statistics asked for here."""
    import tensorflow as tf

    try:
        tf.config.experimental.get_memory_info("CPU:0")
    except ValueError:
        return False
    return True
