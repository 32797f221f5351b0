"""Sentence and sentence-pair classification (GLUE-style): rows of text, an optional pair, a label."""

import re

import numpy as np

from tf_electra.errors import DataError
from tf_electra.models.sequence_classification import TFElectraForSequenceClassification
from tf_electra.tasks import metrics
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import check_not_empty
from tf_electra.tasks.base import label_outputs
from tf_electra.tasks.base import register
from tf_electra.tasks.base import softmax
from tf_electra.tasks.data import FEATURES
from tf_electra.tasks.data import TaskData
from tf_electra.tasks.readers import read_rows


def label_ids(rows, column, label2id):
    """Label ids for rows; label2id=None builds the label set from the rows (sorted names)."""
    raw = [r.need(column) for r in rows]
    if label2id is None:
        names = {str(v) for v in raw}
        numeric = all(re.fullmatch("-?[0-9]+", n) for n in names)  # "²" is a digit, "--5" no number
        names = sorted(names, key=int) if numeric else sorted(names)
        label2id = {name: i for i, name in enumerate(names)}
    ids = []
    for row, value in zip(rows, raw):
        key = str(value)
        if key not in label2id:
            raise DataError(f"{row.where}: label {value!r} is not in the label set {sorted(label2id)}")
        ids.append(label2id[key])
    return ids, label2id


def text_of(row, column):
    value = row.need(column)
    if not isinstance(value, str):
        raise DataError(f"{row.where}: column {column!r} must be text, got {type(value).__name__}")
    return value


def float_of(row, column):
    value = row.need(column)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{row.where}: label {value!r} is not a number (regression)") from None
    if not np.isfinite(number):
        raise DataError(f"{row.where}: label {value!r} is not a finite number (regression)")
    return number


def encode_classification(
    source,
    tokenizer,
    text_column="text",
    text_pair_column=None,
    label_column="label",
    label2id=None,
    max_length=128,
    regression=False,
    with_labels=True,
):
    """Single-text or text-pair classification (or regression with float labels).

    Args:
        source: A list of dicts / (text[, pair], label) tuples, or a .csv / .tsv / .jsonl path.
        text_pair_column: The second text's column; None means "text_pair" if the rows have it, False none.
            The column used is in the result's `extra["columns"]` (finetune records it for predict).
        label2id: The label set; None builds it from the data (sorted).
        regression: Float labels, no label set (the regression task).
        with_labels: False for prediction inputs without labels.

    Returns:
        TaskData.

    Raises:
        DataError: a malformed row (naming its file and line), or no rows at all.
    """
    from tf_electra.tasks.base import get_task

    columns = [text_column] + ([text_pair_column] if text_pair_column else []) + ([label_column] if with_labels else [])
    rows = read_rows(source, columns)
    if text_pair_column is None and rows and "text_pair" in rows[0]:
        text_pair_column = "text_pair"
    texts = [text_of(r, text_column) for r in rows]
    pairs = [text_of(r, text_pair_column) for r in rows] if text_pair_column else None
    encoded = tokenizer(texts, pairs, truncation=True, max_length=max_length)
    labels = None
    if with_labels:
        if regression:
            labels = [float_of(r, label_column) for r in rows]
        else:
            labels, label2id = label_ids(rows, label_column, label2id)
    task = get_task("regression" if regression else "classification")
    extra = {"rows": rows, "columns": {"text_pair_column": text_pair_column or False}}
    data = TaskData(task, {k: encoded[k] for k in FEATURES}, labels, label2id, extra)
    return check_not_empty(data, source)


@register
class ClassificationTask(Task):
    """One label per text or text pair; softmax cross-entropy; accuracy, F1, Matthews correlation."""

    name = "classification"
    names_labels = True
    model_class = TFElectraForSequenceClassification
    main_metric = "accuracy"
    finetunable = True
    columns = ("text_column", "text_pair_column", "label_column")

    def serves(self, model):
        return type(model) is self.model_class and model.config.num_labels > 1

    def encode(self, source, tokenizer, max_length=None, label2id=None, with_labels=True, **columns):
        return encode_classification(
            source,
            tokenizer,
            max_length=max_length or self.default_max_length,
            label2id=label2id,
            with_labels=with_labels,
            **columns,
        )

    def head_config(self, data):
        if len(data.label2id) < 2:  # one label would make a 1-output head: regression, silently
            raise DataError(
                f"the training data holds one label ({', '.join(map(repr, data.label2id)) or 'none'}); "
                "classification needs at least two (for scores, use the regression task)"
            )
        # a multi-label or regression folder fine-tuned for classification becomes single-label
        return {
            "id2label": {i: name for name, i in data.label2id.items()},
            "problem_type": "single_label_classification",
        }

    def metrics(self, data, outputs):
        predictions = [int(np.argmax(x)) for x in outputs["logits"]]
        return metrics.classification_metrics(data.labels, predictions, num_labels=len(data.label2id))

    def predictions(self, data, outputs, config):
        records = []
        multi_label = config.problem_type == "multi_label_classification"  # one sigmoid per label, as exported
        for row_logits in outputs["logits"]:
            logits = np.asarray(row_logits, np.float64)
            probabilities = 1 / (1 + np.exp(-logits)) if multi_label else softmax(logits)
            record = {
                "label": config.id2label[int(np.argmax(probabilities))],
                "probabilities": [round(float(p), 6) for p in probabilities],
            }
            if multi_label:
                record["labels"] = [config.id2label[i] for i, p in enumerate(probabilities) if p >= 0.5]
            records.append(record)
        return records

    def serving_outputs(self, config, outputs):
        return label_outputs(config, outputs["logits"])
