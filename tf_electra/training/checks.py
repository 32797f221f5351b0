"""Checks `finetune` runs on its options before training: refusals and warnings, each one line."""

import warnings

from tf_electra.errors import FinetuneError


def warn_if_slow(config):
    """XLA with bfloat16 on a CPU: XLA's CPU compiler calls no oneDNN bfloat16 kernels, so the step is
    slower than without XLA (tools/benchmark.py measures it; docs in README "Benchmarks")."""
    import keras

    if not (config.jit_compile and config.mixed_precision) or keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        warnings.warn(
            "jit_compile with mixed precision is slower on a CPU (XLA runs no oneDNN bfloat16 kernels: the "
            "ELECTRA training step took 1.7-1.8x as long in tools/benchmark.py); drop jit_compile",
            UserWarning,
            stacklevel=3,
        )


def check_max_length(model, max_length, explicit):
    """Refuses a max_length the model cannot take (before any training)."""
    positions = model.config.max_position_embeddings
    if max_length > positions:
        where = "" if explicit else " (the task's default; pass a shorter --max-length)"
        raise FinetuneError(f"max_length {max_length} exceeds the model's max_position_embeddings {positions}{where}")
