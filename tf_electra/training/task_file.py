"""The task file fine-tuning writes beside a model (`best/tf_electra_task.json`): the task, its data columns and
max_length, so that `predict` and `evaluate` read new data as the training data was read."""

import os

from tf_electra.errors import FinetuneError
from tf_electra.utils.values import is_positive_int
from tf_electra.utils.values import read_json_object
from tf_electra.utils.values import shorten

TASK_FILE = "tf_electra_task.json"


def read_task_file(directory):
    """The task info stored in `directory` ({} when there is none), its values checked by name.

    Raises:
        FinetuneError: the file is not JSON, not an object, or a value has the wrong type.
    """
    path = os.path.join(directory, TASK_FILE)
    if not os.path.isfile(path):
        return {}
    info = read_json_object(path, FinetuneError, "a JSON object (task, columns, max_length)")
    if not isinstance(info.get("task", ""), str):
        raise FinetuneError(f"{path}: 'task' must be a task name, got {shorten(repr(info['task']))}")
    if info.get("max_length") is not None and not is_positive_int(info["max_length"]):
        raise FinetuneError(f"{path}: 'max_length' must be a positive integer, got {shorten(repr(info['max_length']))}")
    return info


def check_columns(info, task, directory):
    """The task file's columns are some of `task`'s, each a column name (or null/false: none)."""
    columns = info.get("columns") or {}
    if not isinstance(columns, dict) or not all(
        k in task.columns and (v is None or v is False or isinstance(v, str)) for k, v in columns.items()
    ):
        allowed = (
            f"map some of {', '.join(task.columns)} to column names (or false: none)"
            if task.columns
            else (f"be empty for {task.name} (it reads fixed fields)")
        )
        path = os.path.join(directory, TASK_FILE)
        raise FinetuneError(f"{path}: 'columns' must {allowed}, got {shorten(repr(columns))}")
