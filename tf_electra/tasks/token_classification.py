"""Word-level tagging (NER, POS): rows hold a list of words and one tag per word."""

import warnings

import numpy as np

from tf_electra.errors import DataError
from tf_electra.models.losses import IGNORE_INDEX
from tf_electra.models.token_classification import TFElectraForTokenClassification
from tf_electra.tasks import metrics
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import check_not_empty
from tf_electra.tasks.base import label_outputs
from tf_electra.tasks.base import register
from tf_electra.tasks.data import FEATURES
from tf_electra.tasks.data import TaskData
from tf_electra.tasks.data import pad_batch
from tf_electra.tasks.readers import read_rows


def _words(row, column):
    value = row.need(column)
    words = value.split() if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if words is None or not all(isinstance(w, str) for w in words):
        raise DataError(f"{row.where}: column {column!r} must be a list of strings or a space-separated string")
    return words


def encode_token_classification(
    source, tokenizer, tokens_column="tokens", tags_column="tags", label2id=None, max_length=128, with_labels=True
):
    """Word-level tagging data.

    Each word's tag goes to its first word piece; other pieces and special tokens get -100 (ignored
    by the loss). In CSV/TSV, words and tags are space-separated strings.

    Returns:
        TaskData whose extra holds the words and each feature's word ids (to map tags back).

    Raises:
        DataError: a row whose words and tags differ in number, an unknown tag, or no rows.
    """
    from tf_electra.tasks.base import get_task

    rows = read_rows(source, [tokens_column, tags_column])
    words = [_words(r, tokens_column) for r in rows]
    encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    labels = None
    if with_labels:
        tags = []
        for r, ws in zip(rows, words):
            t = _words(r, tags_column)
            if len(t) != len(ws):
                raise DataError(f"{r.where}: {len(ws)} words but {len(t)} tags")
            tags.append(t)
        if label2id is None:
            label2id = {name: i for i, name in enumerate(sorted({t for ts in tags for t in ts}))}
        labels = []
        for index, (r, ts) in enumerate(zip(rows, tags)):
            unknown = sorted({t for t in ts if t not in label2id})
            if unknown:
                raise DataError(f"{r.where}: tags {unknown} are not in the label set {sorted(label2id)}")
            labels.append(align_word_labels(encoded.word_ids(index), [label2id[t] for t in ts]))
    extra = {"rows": rows, "word_ids": [encoded.word_ids(i) for i in range(len(rows))], "words": words}
    _warn_unpredicted(rows, words, extra["word_ids"], max_length)
    data = TaskData(get_task("token-classification"), {k: encoded[k] for k in FEATURES}, labels, label2id, extra)
    return check_not_empty(data, source)


def _warn_unpredicted(rows, words, word_ids, max_length):
    """Says which rows have words that get no prediction (null tags, not scored), as transformers' run_ner does
    not: the words past max_length, and words without any token (empty, spaces, control characters)."""
    missing = [(r.where, len(ws) - len(set(w) - {None}), len(ws)) for r, ws, w in zip(rows, words, word_ids)]
    missing = [m for m in missing if m[1]]
    if missing:
        where, lost, total = missing[0]
        warnings.warn(
            f"{len(missing):,} row(s) have words without a prediction (the first: {where}, {lost} of {total} "
            f"words): words past max_length={max_length} tokens and words without any token get a null tag and "
            "are not scored; raise --max-length to use them",
            UserWarning,
            stacklevel=3,
        )


def align_word_labels(word_ids, word_labels):
    """Per-token labels: the word's label on its first piece, -100 on the rest and on special tokens."""
    out, previous = [], None
    for word in word_ids:
        out.append(IGNORE_INDEX if word is None or word == previous else word_labels[word])
        previous = word
    return out


@register
class TokenClassificationTask(Task):
    """One tag per word; cross-entropy on each word's first piece; entity-level F1 (seqeval)."""

    name = "token-classification"
    names_labels = True
    model_class = TFElectraForTokenClassification
    main_metric = "entity_f1"
    finetunable = True
    columns = ("tokens_column", "tags_column")

    def encode(self, source, tokenizer, max_length=None, label2id=None, with_labels=True, **columns):
        return encode_token_classification(
            source,
            tokenizer,
            label2id=label2id,
            with_labels=with_labels,
            max_length=max_length or self.default_max_length,
            **columns,
        )

    def head_config(self, data):
        return {"id2label": {i: name for name, i in data.label2id.items()}}

    def label_spec(self):
        import tensorflow as tf

        return tf.TensorSpec([None, None], tf.int32)

    def batch_labels(self, labels):
        return pad_batch(labels, IGNORE_INDEX).astype(np.int32)

    def metrics(self, data, outputs):
        id2label = {i: name for name, i in data.label2id.items()}
        true, predicted = [], []
        for labels, row_logits in zip(data.labels, outputs["logits"]):
            keep = [i for i, label in enumerate(labels) if label >= 0]
            true.append([id2label[labels[i]] for i in keep])
            predicted.append([id2label[int(np.argmax(row_logits[i]))] for i in keep])
        if not any(true):  # (every word empty, or cut off by max_length): no score, rather than a 0.0
            raise DataError("no word of the data has a token to score; check the tokens column and --max-length")
        return metrics.token_classification_metrics(true, predicted)

    def predictions(self, data, outputs, config):
        records = []
        for words, word_ids, row_logits in zip(data.extra["words"], data.extra["word_ids"], outputs["logits"]):
            tags, previous = [None] * len(words), None
            for position, word in enumerate(word_ids):
                if word is not None and word != previous:
                    tags[word] = config.id2label[int(np.argmax(row_logits[position]))]
                previous = word
            records.append({"tokens": words, "tags": tags})
        return records

    def serving_outputs(self, config, outputs):
        return label_outputs(config, outputs["logits"])
