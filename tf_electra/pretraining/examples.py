"""Pre-training examples from text, as google-research/electra's `build_pretraining_dataset.py` makes them.

Lines (sentences) of a document are collected until they reach the target length; the example is
then split into two segments at a sentence boundary (10% of examples keep one segment, as
classification inputs do), cut to the maximum length and written as `[CLS] A [SEP] B [SEP]`. After
each example, 5% of the time the next target is a random length from 5 to the maximum. A blank line
ends a document, and examples never span documents. The features are the original's: `input_ids`,
`input_mask` and `segment_ids`, int64 lists of exactly `max_seq_length` values, right-padded with 0.
"""

import random

FEATURES = ("input_ids", "input_mask", "segment_ids")
SINGLE_SEGMENT_PROBABILITY = 0.1
RANDOM_LENGTH_PROBABILITY = 0.05
SHORTEST_RANDOM_LENGTH = 5
SINGLE_SEGMENT_TARGET = 100_000  # the original's first-segment target for a one-segment example


class ExampleBuilder:
    """Turns a stream of tokenized lines into pre-training examples.

    Args:
        max_length: Length of every example (max_seq_length).
        cls_id, sep_id: Ids of [CLS] and [SEP].
        rng: A random.Random (seeded for repeatable output).
    """

    def __init__(self, max_length, cls_id, sep_id, rng=None):
        self.max_length = max_length
        self.cls_id, self.sep_id = cls_id, sep_id
        self.rng = rng or random.Random()
        self.sentences, self.length, self.target_length = [], 0, max_length

    def add_line(self, token_ids):
        """Adds one line's token ids (None for a blank line); returns a finished example or None."""
        if token_ids is None:
            return self.finish() if self.length else None
        if not token_ids:  # a line with no tokens (only control characters, say) changes nothing
            return None
        self.sentences.append(list(token_ids))
        self.length += len(token_ids)
        return self.finish() if self.length >= self.target_length else None

    def finish(self):
        """The example of the lines collected so far (None when there are none)."""
        if not self.length:
            return None
        if self.rng.random() < SINGLE_SEGMENT_PROBABILITY:
            first_target = SINGLE_SEGMENT_TARGET
        else:
            first_target = (self.target_length - 3) // 2  # [CLS] and two [SEP]s are added later
        first, second = [], []
        for sentence in self.sentences:
            if (
                not first
                or len(first) + len(sentence) < first_target
                or (not second and len(first) < first_target and self.rng.random() < 0.5)
            ):
                first += sentence
            else:
                second += sentence
        first = first[: self.max_length - 2]
        second = second[: max(0, self.max_length - len(first) - 3)]
        self.sentences, self.length = [], 0
        if self.rng.random() < RANDOM_LENGTH_PROBABILITY:
            self.target_length = self.rng.randint(SHORTEST_RANDOM_LENGTH, self.max_length)
        else:
            self.target_length = self.max_length
        return self.encode(first, second)

    def encode(self, first, second):
        """{feature: list of max_length ints} for `[CLS] first [SEP] (second [SEP])`."""
        ids = [self.cls_id] + first + [self.sep_id]
        segments = [0] * len(ids)
        if second:
            ids += second + [self.sep_id]
            segments += [1] * (len(second) + 1)
        pad = self.max_length - len(ids)
        return {
            "input_ids": ids + [0] * pad,
            "input_mask": [1] * len(ids) + [0] * pad,
            "segment_ids": segments + [0] * pad,
        }


def serialize(example):
    """A tf.train.Example holding the three int64 features, serialized with its map in key order.

    Without `deterministic=True` protobuf writes the feature map in an order that changes from process to
    process, so the same examples would give shards with other bytes (and checksums) on every run."""
    import tensorflow as tf

    feature = {k: tf.train.Feature(int64_list=tf.train.Int64List(value=example[k])) for k in FEATURES}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(deterministic=True)
