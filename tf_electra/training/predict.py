"""Predictions and metrics of a fine-tuned model on a data file: `tf-electra predict` and `evaluate`."""

import json

from tf_electra.errors import FinetuneError
from tf_electra.models.registry import load_model_dir
from tf_electra.models.registry import model_folder
from tf_electra.tasks.base import finetuning_tasks
from tf_electra.tasks.base import get_task
from tf_electra.tasks.base import task_for_model
from tf_electra.tasks.data import run_model
from tf_electra.tasks.readers import Row
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.training.task_file import check_columns
from tf_electra.training.task_file import read_task_file
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.guards import is_inside
from tf_electra.utils.guards import refuse_existing
from tf_electra.utils.guards import refuse_replacing


def load_for_prediction(model_dir):
    """(model, tokenizer, task, task info) of a fine-tuned folder (or a finetune output folder)."""
    directory = model_folder(model_dir)
    model = load_model_dir(directory, require_all_weights=True)  # never a random head's predictions
    tokenizer = ElectraTokenizer.from_pretrained(directory)
    info = read_task_file(directory)
    task = task_for_model(model)  # what its head computes
    named = info.get("task") or getattr(model.config, "finetuning_task", None)  # transformers': e.g. "sst2"
    if named and (info.get("task") or named in finetuning_tasks()):
        task = get_task(named)
        if not task.serves(model):
            raise FinetuneError(
                f"{directory} names its task {named!r}, but its head ({type(model).__name__}, num_labels "
                f"{model.config.num_labels}) makes {task_for_model(model).name} predictions"
            )
    if not task.finetunable:
        raise FinetuneError(
            f"{type(model).__name__} ({task.name}) makes no predictions from rows; use a fine-tuned "
            "classification, regression, tagging, QA or multiple-choice model"
        )
    if len(tokenizer) > model.config.vocab_size:  # else the first row using such a token fails, unnamed
        raise FinetuneError(
            f"{directory}: the tokenizer has {len(tokenizer):,} tokens but the model's vocab_size is "
            f"{model.config.vocab_size:,}; the folder's tokenizer files belong to another model"
        )
    check_columns(info, task, directory)
    return model, tokenizer, task, info


def _encode(task, source, tokenizer, info, max_length, with_labels, model):
    max_length = max_length or info.get("max_length") or task.default_max_length
    max_length = min(max_length, model.config.max_position_embeddings)
    columns = info.get("columns") or getattr(model.config, "tf_electra_columns", None) or {}
    label2id = {name: i for i, name in model.config.id2label.items()} if with_labels else None
    if task.name in ("regression", "multiple-choice", "question-answering"):
        label2id = None
    return task.encode(source, tokenizer, max_length, label2id=label2id, with_labels=with_labels, **columns)


def predict_file(model_dir, source, output=None, batch_size=32, max_length=None, include_input=False, overwrite=False):
    """Prediction records (label names, probabilities, answers, ...) for a data file or list of rows.

    Args:
        model_dir: A fine-tuned model folder or a finetune output folder.
        source: Rows in the task's format (labels are not needed).
        output: Optional JSON Lines file, written atomically.
        include_input: Add each row's input columns to its record.
        overwrite: Replace an existing `output` file (never one of the model folder's).

    Returns:
        The list of prediction dicts, in input order.
    """
    if output is not None:  # before any work: never write predictions over an input or a file not meant to go
        refuse_replacing(output, [source, model_dir])
        if is_inside(output, model_dir) and not str(output).endswith(".jsonl"):  # never a file the model consists of
            raise FileExistsError(
                f"{output} is inside the model folder {model_dir}; predictions there need a .jsonl name"
            )
        refuse_existing(output, overwrite)
    model, tokenizer, task, info = load_for_prediction(model_dir)
    data = _encode(task, source, tokenizer, info, max_length, False, model)
    records = task.predictions(data, run_model(model, data, batch_size, tokenizer.pad_token_id), model.config)
    if include_input:
        inputs = data.extra.get("rows") or data.extra.get("examples") or []
        records = [dict({"input": _row_input(row)}, **record) for row, record in zip(inputs, records)]
    if output is not None:
        atomic_write_text(output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return records


def evaluate_file(model_dir, source, batch_size=32, max_length=None):
    """The task's metrics of a fine-tuned model on labelled data (a file or list of rows)."""
    model, tokenizer, task, info = load_for_prediction(model_dir)
    data = _encode(task, source, tokenizer, info, max_length, True, model)
    return task.metrics(data, run_model(model, data, batch_size, tokenizer.pad_token_id))


def _row_input(row):
    """A data row's columns (a column named "where" too); of a SQuAD example, all but our "where" note."""
    return dict(row) if isinstance(row, Row) else {k: v for k, v in row.items() if k != "where"}
