"""Task losses computed as Hugging Face computes them, in keras.ops (float32)."""

import numpy as np
from keras import ops

from tf_electra.layers import checks

IGNORE_INDEX = -100


def sparse_cross_entropy(labels, logits, ignore_index=IGNORE_INDEX):
    """Mean softmax cross-entropy over positions whose label is not `ignore_index`.

    Args:
        labels: int [...]; logits: float [..., classes].
    """
    labels = checks.check_labels(labels, logits, ignore_index=ignore_index)
    logits = ops.cast(logits, "float32")
    classes = ops.shape(logits)[-1]
    logits = ops.reshape(logits, (-1, classes))
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    valid = ops.not_equal(labels, ignore_index)
    safe = ops.where(valid, labels, 0)
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_probs, safe[:, None], axis=-1)[:, 0]
    weights = ops.cast(valid, "float32")
    return -ops.sum(picked * weights) / ops.maximum(ops.sum(weights), 1.0)


def binary_cross_entropy(labels, logits, weights=None, meaning="0 (original) or 1 (replaced)"):
    """Mean sigmoid cross-entropy with logits, optionally over positions where weights == 1."""
    labels = checks.check_binary_labels(labels, logits, meaning=meaning)
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "float32")
    # log(1 + exp(-|x|)) form: stable for large |x|.
    per_item = ops.maximum(logits, 0.0) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))
    if weights is None:
        return ops.mean(per_item)
    weights = ops.cast(weights, "float32")
    return ops.sum(per_item * weights) / ops.maximum(ops.sum(weights), 1.0)


def mean_squared_error(labels, predictions):
    shapes = [checks.static_shape(x) for x in (labels, predictions)]
    sizes = [np.prod(s) if s is not None and None not in s else None for s in shapes]
    if None not in sizes and sizes[0] != sizes[1]:
        raise checks.InputError(
            f"labels have shape {tuple(labels.shape)} but the predictions {tuple(predictions.shape)}: one score each"
        )
    predictions = ops.cast(predictions, "float32")
    labels = ops.cast(labels, "float32")
    return ops.mean(ops.square(predictions - ops.reshape(labels, ops.shape(predictions))))


def sequence_classification_loss(labels, logits, num_labels, problem_type=None):
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
            return mean_squared_error(ops.reshape(labels, (-1,)), ops.reshape(logits, (-1,)))
        return mean_squared_error(labels, logits)
    if problem_type == "single_label_classification":
        shape = checks.static_shape(labels)
        if shape is not None and len(shape) == 2 and shape[-1] == 1:  # [batch, 1], as Hugging Face takes them too
            labels = ops.reshape(labels, (-1,))
        return sparse_cross_entropy(labels, logits)
    if tuple(labels.shape) != tuple(logits.shape) and None not in tuple(labels.shape) + tuple(logits.shape):
        raise checks.InputError(
            f"multi-label labels have shape {tuple(labels.shape)} but the logits {tuple(logits.shape)}: one float per "
            "class and example (integer labels of shape [batch] mean single-label classification)"
        )
    return binary_cross_entropy(labels, logits, meaning="a multi-label target in [0, 1]")


def causal_lm_loss(labels, logits):
    """Next-token cross-entropy: position t predicts label t+1 (-100 ignored)."""
    labels = checks.check_labels(labels, logits)  # [batch, seq] before the shift
    return sparse_cross_entropy(labels[:, 1:], logits[:, :-1, :])


def question_answering_loss(start_positions, end_positions, start_logits, end_logits):
    """Mean of start and end cross-entropies; positions outside the sequence are ignored."""
    length = ops.shape(start_logits)[1]
    losses = []
    for positions, logits in ((start_positions, start_logits), (end_positions, end_logits)):
        positions = ops.reshape(ops.cast(positions, "int32"), (-1,))
        positions = ops.clip(positions, 0, length)
        positions = ops.where(ops.equal(positions, length), IGNORE_INDEX, positions)
        losses.append(sparse_cross_entropy(positions, logits))
    return (losses[0] + losses[1]) / 2.0
