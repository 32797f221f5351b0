"""Encoded task data and its batches: unpadded features -> `tf.data.Dataset` of (feature dict, labels).

Every task tokenizes with the Rust tokenizer in one batch call and keeps the sequences unpadded;
batches are padded to their longest member. Training batches are formed from length buckets
(examples of similar length together), evaluation batches keep the input order.
"""

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

import numpy as np

FEATURES = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class TaskData:
    """Encoded task data.

    Attributes:
        task: The Task that encoded it (it batches the labels).
        features: dict of lists (one unpadded sequence per example/feature).
        labels: labels per example (ints, floats, lists for tokens, dicts for QA), or None.
        label2id: the label set used (classification tasks).
        extra: task-specific bookkeeping (QA: feature -> example mapping, offsets).
    """

    task: object
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
        order = (
            np.concatenate([sorted(order[i : i + size], key=lambda k: lengths[k]) for i in range(0, n, size)])
            if n
            else order
        )
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
    rank = data.task.input_rank
    epoch = {"count": 0}

    def generate():
        batches = batch_order(lengths, batch_size, shuffle, seed + 7919 * epoch["count"], bucket)
        epoch["count"] += 1
        for indices in batches:
            features = {
                k: pad_batch([v[i] for i in indices], pad[k]).astype(np.int32) for k, v in data.features.items()
            }
            if data.labels is None:
                yield features, np.zeros(len(indices), np.int32)
            else:
                yield features, data.task.batch_labels([data.labels[i] for i in indices])

    spec = {k: tf.TensorSpec([None] * rank, tf.int32) for k in data.features}
    label_spec = data.task.label_spec() if data.labels is not None else tf.TensorSpec([None], tf.int32)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=(spec, label_spec))
    batches = int(np.ceil(len(data) / batch_size))
    return dataset.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)


def run_model(model, data, batch_size=32, pad_token_id=0):
    """Model outputs for every example, in input order: {output name: [per-example array]}.

    Batches are padded to their longest member; each example keeps its padded length.
    """
    outputs = {}
    for features, _ in data.dataset(batch_size, shuffle=False, pad_token_id=pad_token_id):
        result = model(features, training=False)
        for key, value in result.items():
            if key not in ("loss", "hidden_states", "attentions"):
                outputs.setdefault(key, []).extend(list(np.asarray(value)))
    return outputs


def evaluate(model, data, batch_size=32, pad_token_id=0):
    """The task's metrics of a model on encoded, labelled TaskData."""
    return data.task.metrics(data, run_model(model, data, batch_size, pad_token_id))


def keep_label_order(data, id2label):
    """`data` with its label ids in `id2label`'s order where that names the same labels (a head fine-tuned
    further keeps the meaning of its rows), else `data` as it is."""
    if not data.label2id or not id2label:
        return data
    names = [id2label[i] for i in sorted(id2label)]
    order = {name: i for i, name in enumerate(names)}
    if sorted(names) != sorted(data.label2id) or order == data.label2id:
        return data
    new_id = {old: order[name] for name, old in data.label2id.items()}

    def remap(labels):  # ints, or lists of them (token tags, -100 kept)
        return [remap(x) for x in labels] if isinstance(labels, (list, tuple)) else new_id.get(labels, labels)

    return replace(data, labels=remap(data.labels), label2id=order)


def encode_train_and_validation(task, train, validation, columns, tokenizer, max_length, id2label=None):
    """(train TaskData, validation TaskData or None): training labels in `id2label`'s order (the model's) where it
    names the same ones, else sorted; validation encoded with training's columns (a text_pair found there) and labels.
    A column given as None means "as found in the training data"."""
    train = keep_label_order(task.encode(train, tokenizer, max_length, **columns), id2label)
    if validation is None:
        return train, None
    columns = dict(train.extra.get("columns", {}), **{k: v for k, v in columns.items() if v is not None})
    return train, task.encode(validation, tokenizer, max_length, label2id=train.label2id, **columns)
