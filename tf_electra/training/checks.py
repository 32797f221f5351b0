"""Checks `finetune` runs on its options before training: refusals and warnings, each one line."""

import os
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


def check_reinit_layers(model, num_layers):
    """Refuses re-initialising more encoder blocks than the model has (before any training)."""
    if num_layers > model.config.num_hidden_layers:
        raise FinetuneError(
            f"reinit_layers {num_layers} exceeds the model's {model.config.num_hidden_layers} encoder layers"
        )


def check_option_types(config):
    """Refuses FinetuneConfig values of the wrong type, which would otherwise be read loosely."""
    for name in ("jit_compile", "overwrite"):  # "no" would be truthy: an earlier run overwritten
        if not isinstance(getattr(config, name), bool):
            raise FinetuneError(f"{name} must be True or False, got {getattr(config, name)!r}")
    for name in ("model_dir", "output"):
        if not isinstance(getattr(config, name), (str, os.PathLike)):
            raise FinetuneError(f"{name} must be a folder path, got {getattr(config, name)!r}")
    for name in ("train", "validation"):
        data = getattr(config, name)
        if data is None and name == "validation":
            continue
        squad = isinstance(data, dict) and config.task == "question-answering"  # SQuAD's JSON object
        if not (isinstance(data, (str, os.PathLike, list, tuple)) or squad):
            raise FinetuneError(f"{name} must be a data file or a list of rows, got {type(data).__name__}")
    reinit = config.reinit_layers
    if not isinstance(reinit, int) or isinstance(reinit, bool) or reinit < 0:
        raise FinetuneError(f"reinit_layers must be an integer of at least 0, got {reinit!r}")
    if not isinstance(config.seed, int) or isinstance(config.seed, bool) or not 0 <= config.seed < 2**32:
        raise FinetuneError(f"seed must be an integer in [0, 2**32), got {config.seed!r}")
