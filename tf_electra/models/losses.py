"""Task losses computed as Hugging Face computes them, in keras.ops (float32)."""

import numpy as np
from keras import ops

from tf_electra.layers import checks

IGNORE_INDEX = -100


def example_weights(sample_weight, labels):
    """Keras' `sample_weight` (or `class_weight`'s) as float32 of the labels' shape: one weight per example ([batch],
    also [batch, 1]) repeated over its positions, or one per position (the labels' shape)."""
    weights = ops.cast(sample_weight, "float32")
    have, want = checks.static_shape(weights), checks.static_shape(labels)
    if have is not None and want is not None:
        if len(have) == 2 and have[1] == 1 and len(want) != 2:
            weights, have = ops.reshape(weights, (-1,)), have[:1]
        same_rank = len(have) == len(want)
        fits = len(have) <= len(want) and all(
            h is None or w is None or h == w or (same_rank and h == 1) for h, w in zip(have, want)
        )
        if not fits:
            raise checks.InputError(
                f"sample_weight has shape {have} but the labels {want}: give one weight per example or per label"
            )
        for _ in range(len(want) - len(have)):
            weights = ops.expand_dims(weights, -1)
    return ops.broadcast_to(weights, ops.shape(labels))


def _weighted_mean(values, counted, sample_weight):
    """sum(values x sample weights) over the counted positions / their number (Keras' sum_over_batch_size: all-zero
    weights give 0, and with no weights this is the plain mean over the counted positions)."""
    total = values * counted if sample_weight is None else values * counted * sample_weight
    return ops.sum(total) / ops.maximum(ops.sum(counted), 1.0)


def sparse_cross_entropy(labels, logits, ignore_index=IGNORE_INDEX, sample_weight=None):
    """Mean softmax cross-entropy over positions whose label is not `ignore_index`.

    Args:
        labels: int [...]; logits: float [..., classes]; sample_weight: see example_weights.
    """
    labels = checks.check_labels(labels, logits, ignore_index=ignore_index)
    if sample_weight is not None:
        sample_weight = ops.reshape(example_weights(sample_weight, labels), (-1,))
    logits = ops.cast(logits, "float32")
    classes = ops.shape(logits)[-1]
    logits = ops.reshape(logits, (-1, classes))
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    valid = ops.not_equal(labels, ignore_index)
    safe = ops.where(valid, labels, 0)
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_probs, safe[:, None], axis=-1)[:, 0]
    loss = -_weighted_mean(picked, ops.cast(valid, "float32"), sample_weight)
    in_range = checks.valid_if_traced(safe, 0, classes)  # a label check that cannot raise: NaN, not a loss
    return checks.nan_unless(loss, None if in_range is None else ops.all(in_range))


def binary_cross_entropy(labels, logits, weights=None, meaning="0 (original) or 1 (replaced)", sample_weight=None):
    """Mean sigmoid cross-entropy with logits, optionally over positions where weights == 1."""
    labels = checks.check_binary_labels(labels, logits, meaning=meaning)
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "float32")
    # log(1 + exp(-|x|)) form: stable for large |x|.
    per_item = ops.maximum(logits, 0.0) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))
    counted = ops.ones_like(per_item) if weights is None else ops.cast(weights, "float32")
    loss = _weighted_mean(per_item, counted, None if sample_weight is None else example_weights(sample_weight, labels))
    in_range = None if checks.known_now(labels) else ops.all(ops.greater_equal(labels * (1.0 - labels), 0.0))
    return checks.nan_unless(loss, in_range)


def mean_squared_error(labels, predictions, sample_weight=None):
    shapes = [checks.static_shape(x) for x in (labels, predictions)]
    sizes = [np.prod(s) if s is not None and None not in s else None for s in shapes]
    if None not in sizes and sizes[0] != sizes[1]:
        raise checks.InputError(
            f"labels have shape {tuple(labels.shape)} but the predictions {tuple(predictions.shape)}: one score each"
        )
    predictions = ops.cast(predictions, "float32")
    labels = ops.cast(labels, "float32")
    squares = ops.square(predictions - ops.reshape(labels, ops.shape(predictions)))
    weights = None if sample_weight is None else example_weights(sample_weight, squares)
    return _weighted_mean(squares, ops.ones_like(squares), weights)


def sequence_classification_loss(labels, logits, num_labels, problem_type=None, sample_weight=None):
    """Regression (num_labels == 1), single-label or multi-label classification, chosen like Hugging Face.

    Without a `problem_type`, integer labels mean single-label classification and
    float labels multi-label classification.
    """
    if problem_type is None:
        if num_labels == 1:
            problem_type = "regression"
        elif "int" in str(labels.dtype):
            problem_type = "single_label_classification"
        else:
            problem_type = "multi_label_classification"
    if problem_type == "regression":
        if num_labels == 1:
            return mean_squared_error(ops.reshape(labels, (-1,)), ops.reshape(logits, (-1,)), sample_weight)
        return mean_squared_error(labels, logits, sample_weight)
    if problem_type == "single_label_classification":
        shape = checks.static_shape(labels)
        if shape is not None and len(shape) == 2 and shape[-1] == 1:  # [batch, 1], as Hugging Face takes them too
            labels = ops.reshape(labels, (-1,))
        return sparse_cross_entropy(labels, logits, sample_weight=sample_weight)
    if tuple(labels.shape) != tuple(logits.shape) and None not in tuple(labels.shape) + tuple(logits.shape):
        raise checks.InputError(
            f"multi-label labels have shape {tuple(labels.shape)} but the logits {tuple(logits.shape)}: one float per "
            "class and example (integer labels of shape [batch] mean single-label classification)"
        )
    return binary_cross_entropy(labels, logits, meaning="a multi-label target in [0, 1]", sample_weight=sample_weight)


def causal_lm_loss(labels, logits, sample_weight=None):
    """Next-token cross-entropy: position t predicts label t+1 (-100 ignored)."""
    labels = checks.check_labels(labels, logits)  # [batch, seq] before the shift
    if sample_weight is not None:
        sample_weight = example_weights(sample_weight, labels)[:, 1:]
    return sparse_cross_entropy(labels[:, 1:], logits[:, :-1, :], sample_weight=sample_weight)


def question_answering_loss(start_positions, end_positions, start_logits, end_logits, sample_weight=None):
    """Mean of start and end cross-entropies; positions outside the sequence are ignored. `sample_weight`: one
    set of weights for both, or a (start, end) pair."""
    length = ops.shape(start_logits)[1]
    weights = sample_weight if isinstance(sample_weight, (tuple, list)) else (sample_weight, sample_weight)
    losses = []
    for positions, logits, sample_weight in zip((start_positions, end_positions), (start_logits, end_logits), weights):
        positions = ops.reshape(ops.cast(positions, "int32"), (-1,))
        positions = ops.clip(positions, 0, length)
        positions = ops.where(ops.equal(positions, length), IGNORE_INDEX, positions)
        losses.append(sparse_cross_entropy(positions, logits, sample_weight=sample_weight))
    return (losses[0] + losses[1]) / 2.0
