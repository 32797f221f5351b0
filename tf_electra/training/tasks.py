"""Task data pipelines: rows -> tokenized features -> `tf.data.Dataset` of (feature dict, labels).

Every task tokenizes with the Rust tokenizer in one batch call, keeps the
sequences unpadded, and pads per batch: training batches are formed from
length buckets (examples of similar length together), evaluation batches keep
the input order. Labels are checked against the label set; a bad row raises
DataError naming its file and line.
"""

from dataclasses import dataclass
from dataclasses import field

import numpy as np

from tf_electra.losses import IGNORE_INDEX
from tf_electra.training.readers import DataError
from tf_electra.training.readers import read_rows

TASKS = ("classification", "regression", "token-classification", "question-answering", "multiple-choice")
FEATURES = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class TaskData:
    """Encoded task data.

    Attributes:
        features: dict of lists (one unpadded sequence per example/feature).
        labels: labels per example (ints, floats, lists for tokens, dicts for QA), or None.
        label2id: the label set used (classification tasks).
        extra: task-specific bookkeeping (QA: feature -> example mapping, offsets).
    """

    task: str
    features: dict
    labels: object = None
    label2id: dict = None
    extra: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.features["input_ids"])

    def dataset(self, batch_size=32, shuffle=False, seed=0, pad_token_id=0, bucket=None):
        """A tf.data.Dataset of (features, labels) batches padded to their longest member.

        Args:
            batch_size: Examples per batch.
            shuffle: Shuffle examples (training).
            bucket: Group examples of similar length (default: when shuffling).
        """
        return make_dataset(self, batch_size, shuffle, seed, pad_token_id, shuffle if bucket is None else bucket)


def batch_order(lengths, batch_size, shuffle, seed, bucket, pool=50):
    """Lists of example indices, one per batch: ceil(n / batch_size) batches, every example once.

    With bucketing, examples are shuffled, sorted by length inside pools of
    `pool` batches, cut into batches, and the batches shuffled: little padding,
    yet a random order every epoch.
    """
    n = len(lengths)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    if bucket:
        size = batch_size * pool
        order = np.concatenate([
            sorted(order[i : i + size], key=lambda k: lengths[k]) for i in range(0, n, size)
        ]) if n else order
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if shuffle:
        np.random.default_rng(seed + 1).shuffle(batches)
    return batches


def pad_batch(sequences, value):
    """Right-pads a list of sequences (or of [choices][seq] lists) to the longest, as a NumPy array."""
    first = sequences[0]
    if first and isinstance(first[0], (list, tuple)):  # multiple choice: [choices, seq]
        longest = max(len(s) for example in sequences for s in example)
        return np.array([[list(s) + [value] * (longest - len(s)) for s in example] for example in sequences])
    longest = max(len(s) for s in sequences)
    return np.array([list(s) + [value] * (longest - len(s)) for s in sequences])


def make_dataset(data, batch_size, shuffle, seed, pad_token_id, bucket):
    """Batches padded to their longest member, from a Python generator with a known number of batches."""
    import tensorflow as tf

    pad = {"input_ids": pad_token_id, "attention_mask": 0, "token_type_ids": 0}
    lengths = [len(s) if not (s and isinstance(s[0], list)) else max(map(len, s)) for s in data.features["input_ids"]]
    rank = 3 if data.task == "multiple-choice" else 2
    epoch = {"count": 0}

    def generate():
        batches = batch_order(lengths, batch_size, shuffle, seed + 7919 * epoch["count"], bucket)
        epoch["count"] += 1
        for indices in batches:
            features = {k: pad_batch([v[i] for i in indices], pad[k]).astype(np.int32) for k, v in data.features.items()}
            yield features, _labels_batch(data, indices)

    spec = {k: tf.TensorSpec([None] * rank, tf.int32) for k in data.features}
    dataset = tf.data.Dataset.from_generator(generate, output_signature=(spec, _label_spec(data)))
    batches = int(np.ceil(len(data) / batch_size))
    return dataset.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)


def _labels_batch(data, indices):
    if data.labels is None:
        return np.zeros([len(indices)], np.int32)
    if data.task == "token-classification":
        return pad_batch([data.labels[i] for i in indices], IGNORE_INDEX).astype(np.int32)
    if data.task == "question-answering":
        return {"start_positions": np.array([data.labels[i][0] for i in indices], np.int32),
                "end_positions": np.array([data.labels[i][1] for i in indices], np.int32)}
    dtype = np.float32 if data.task == "regression" else np.int32
    return np.array([data.labels[i] for i in indices], dtype)


def _label_spec(data):
    import tensorflow as tf

    if data.labels is not None and data.task == "token-classification":
        return tf.TensorSpec([None, None], tf.int32)
    if data.labels is not None and data.task == "question-answering":
        return {"start_positions": tf.TensorSpec([None], tf.int32), "end_positions": tf.TensorSpec([None], tf.int32)}
    return tf.TensorSpec([None], tf.float32 if data.labels is not None and data.task == "regression" else tf.int32)


def _label_ids(rows, column, label2id):
    """Label ids for rows; label2id=None builds it from the rows (sorted names)."""
    raw = [r.need(column) for r in rows]
    if label2id is None:
        names = {str(v) for v in raw}
        numeric = all(n.lstrip("-").isdigit() for n in names)
        names = sorted(names, key=int) if numeric else sorted(names)
        label2id = {name: i for i, name in enumerate(names)}
    ids = []
    for row, value in zip(rows, raw):
        key = str(value)
        if key not in label2id:
            raise DataError(f"{row.where}: label {value!r} is not in the label set {sorted(label2id)}")
        ids.append(label2id[key])
    return ids, label2id


def encode_classification(
    source, tokenizer, text_column="text", text_pair_column=None, label_column="label", label2id=None,
    max_length=128, regression=False, with_labels=True,
):
    """Single-text or text-pair classification (or regression with float labels).

    Args:
        source: A list of dicts / (text[, pair], label) tuples, or a .csv / .tsv / .jsonl path.
        text_pair_column: The second text's column; None means "text_pair" if the rows have it.
        label2id: The label set; None builds it from the data (sorted).
        regression: Float labels, no label set.
        with_labels: False for prediction inputs without labels.
    """
    columns = [text_column] + ([text_pair_column] if text_pair_column else []) + ([label_column] if with_labels else [])
    rows = read_rows(source, columns)
    if text_pair_column is None and rows and "text_pair" in rows[0]:
        text_pair_column = "text_pair"
    texts = [_text(r, text_column) for r in rows]
    pairs = [_text(r, text_pair_column) for r in rows] if text_pair_column else None
    encoded = tokenizer(texts, pairs, truncation=True, max_length=max_length)
    labels = None
    if with_labels:
        if regression:
            labels = [_float(r, label_column) for r in rows]
        else:
            labels, label2id = _label_ids(rows, label_column, label2id)
    task = "regression" if regression else "classification"
    return TaskData(task, {k: encoded[k] for k in FEATURES}, labels, label2id, {"rows": rows})


def encode_token_classification(
    source, tokenizer, tokens_column="tokens", tags_column="tags", label2id=None, max_length=128, with_labels=True
):
    """Word-level tagging (NER, POS): rows hold a list of words and one tag per word.

    Each word's tag goes to its first word piece; other pieces and special
    tokens get -100 (ignored by the loss). In CSV/TSV, words and tags are
    space-separated strings.
    """
    rows = read_rows(source, [tokens_column, tags_column])
    words = []
    for r in rows:
        value = r.need(tokens_column)
        words.append(value.split() if isinstance(value, str) else list(value))
    encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    labels = None
    if with_labels:
        tags = []
        for r, ws in zip(rows, words):
            value = r.need(tags_column)
            t = value.split() if isinstance(value, str) else list(value)
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
    return TaskData("token-classification", {k: encoded[k] for k in FEATURES}, labels, label2id, extra)


def align_word_labels(word_ids, word_labels):
    """Per-token labels: the word's label on its first piece, -100 on the rest and on special tokens."""
    out, previous = [], None
    for word in word_ids:
        out.append(IGNORE_INDEX if word is None or word == previous else word_labels[word])
        previous = word
    return out


def encode_multiple_choice(
    source, tokenizer, context_column="context", question_column="question", choices_column="choices",
    label_column="label", max_length=128, with_labels=True,
):
    """Multiple choice: each example pairs its context with every choice -> [choices, seq].

    Rows hold a context (and/or a question), a list of choices, and the index
    of the right choice. The first text is the context (or the question when
    there is none); the second is "question choice" (or the choice).
    """
    rows = read_rows(source)
    firsts, seconds, counts, labels = [], [], [], []
    for r in rows:
        choices = r.need(choices_column)
        if isinstance(choices, str):
            choices = choices.split("|")
        if len(choices) < 2:
            raise DataError(f"{r.where}: needs at least 2 choices, got {len(choices)}")
        context, question = r.get(context_column), r.get(question_column)
        if context is None and question is None:
            raise DataError(f"{r.where}: missing column {context_column!r} (or {question_column!r})")
        first = context if context is not None else question
        prefix = f"{question} " if context is not None and question is not None else ""
        firsts += [first] * len(choices)
        seconds += [prefix + str(c) for c in choices]
        counts.append(len(choices))
        if with_labels:
            label = r.need(label_column)
            try:
                label = int(label)
            except (TypeError, ValueError):
                raise DataError(f"{r.where}: label {label!r} is not a choice index") from None
            if not 0 <= label < len(choices):
                raise DataError(f"{r.where}: label {label} is outside the {len(choices)} choices")
            labels.append(label)
    if len(set(counts)) > 1:
        raise DataError(f"every example needs the same number of choices; got {sorted(set(counts))}")
    encoded = tokenizer(firsts, seconds, truncation=True, max_length=max_length)
    n = counts[0] if counts else 0
    features = {k: [encoded[k][i : i + n] for i in range(0, len(firsts), n)] for k in FEATURES}
    return TaskData("multiple-choice", features, labels if with_labels else None, None, {"rows": rows})


def _text(row, column):
    value = row.need(column)
    if not isinstance(value, str):
        raise DataError(f"{row.where}: column {column!r} must be text, got {type(value).__name__}")
    return value


def _float(row, column):
    value = row.need(column)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DataError(f"{row.where}: label {value!r} is not a number (regression)") from None
