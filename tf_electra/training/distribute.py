"""tf.distribute strategies by name, and which worker of a multi-worker run writes the outputs."""

import json
import os

from tf_electra.errors import TrainingError

STRATEGIES = ("default", "mirrored", "multi-worker")


def make_strategy(name):
    """A tf.distribute strategy: default, mirrored (all local devices) or multi-worker (TF_CONFIG)."""
    import tensorflow as tf

    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise TrainingError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def is_chief(strategy):
    """Whether this process writes the outputs: always, except a worker of a multi-worker run (TF_CONFIG) that is
    not its chief. A TF_CONFIG left in the environment does not silence a run with another strategy.
    """
    if strategy != "multi-worker":
        return True
    try:
        config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    except json.JSONDecodeError as e:
        raise TrainingError(f"TF_CONFIG is not valid JSON: {e}") from e
    task = config.get("task", {}) if isinstance(config, dict) else None
    if not isinstance(task, dict) or not isinstance(config.get("cluster", {}), dict):
        raise TrainingError('TF_CONFIG must be a JSON object whose "cluster" and "task" are objects')
    kind = task.get("type", "chief")
    if kind == "chief":
        return True
    return kind == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})
