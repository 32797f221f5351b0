"""Evaluation metrics, in NumPy, written from their definitions.

Accuracy, F1 and Matthews correlation follow scikit-learn's definitions, Pearson and Spearman SciPy's,
entity-level F1 seqeval's default (conlleval) chunking; the tests compare each with that library on
random inputs. They were dependencies until `import keras` was found to import scikit-learn (and with it
SciPy) whenever it is installed: in every process, inference included, for metrics of a few lines. Cold start
to a first ELECTRA-Small call, clean virtualenvs, quiet AMD EPYC (2 cores), medians of 4: 3.5 s and 692 MB
peak RSS without them, 4.0 s and 768 MB with them. SQuAD exact match and F1 follow the official evaluation
script's answer normalization.
"""

import collections
import re
import string

import numpy as np


def _confusion(labels, predictions):
    """(classes present in either, confusion matrix [true, predicted]) of two equal-length label arrays."""
    labels, predictions = np.asarray(labels).reshape(-1), np.asarray(predictions).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"{labels.size} labels but {predictions.size} predictions")
    classes, inverse = np.unique(np.concatenate([labels, predictions]), return_inverse=True)
    matrix = np.zeros((len(classes), len(classes)), np.int64)
    np.add.at(matrix, (inverse[: labels.size], inverse[labels.size :]), 1)
    return classes, matrix


def _f1(tp, predicted, true):
    """2 tp / (predicted + true), element-wise; 0 where nothing was predicted or true (zero_division=0)."""
    tp, total = np.asarray(tp, float), np.asarray(predicted, float) + np.asarray(true, float)
    return np.divide(2 * tp, total, out=np.zeros_like(total), where=total > 0)


def _matthews(matrix):
    """The multi-class Matthews correlation of a confusion matrix (Gorodkin's R_K, as scikit-learn)."""
    t_sum, p_sum = matrix.sum(axis=1).astype(float), matrix.sum(axis=0).astype(float)
    n, correct = t_sum.sum(), float(np.trace(matrix))
    cov_tp = correct * n - t_sum @ p_sum
    cov_pp, cov_tt = n * n - p_sum @ p_sum, n * n - t_sum @ t_sum
    return 0.0 if cov_pp * cov_tt == 0 else float(cov_tp / np.sqrt(cov_tt * cov_pp))


def classification_metrics(labels, predictions, num_labels=2):
    """accuracy, F1 (binary: of class 1; else macro over the classes present) and Matthews correlation."""
    classes, matrix = _confusion(labels, predictions)
    if not matrix.sum():
        raise ValueError("no examples to score")
    tp = np.diag(matrix)
    per_class = _f1(tp, matrix.sum(axis=0), matrix.sum(axis=1))
    if num_labels == 2:
        f1 = float(per_class[classes == 1][0]) if (classes == 1).any() else 0.0
    else:
        f1 = float(per_class.mean())
    return {"accuracy": float(tp.sum() / matrix.sum()), "f1": f1, "matthews_correlation": _matthews(matrix)}


def _ranks(values):
    """1-based ranks, ties given their average rank (SciPy's rankdata 'average')."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    average = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def _pearson(x, y):
    x, y = x - x.mean(), y - y.mean()
    r = float((x @ y) / np.sqrt((x @ x) * (y @ y)))
    return max(-1.0, min(1.0, r))


def regression_metrics(labels, predictions):
    """Pearson and Spearman correlations (the STS-B metrics), and mean squared error."""
    labels, predictions = np.asarray(labels, float).reshape(-1), np.asarray(predictions, float).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"{labels.size} labels but {predictions.size} predictions")
    if not labels.size:
        raise ValueError("no examples to score")
    constant = np.std(predictions) == 0 or np.std(labels) == 0
    return {
        "pearson": float("nan") if constant else _pearson(labels, predictions),
        "spearman": float("nan") if constant else _pearson(_ranks(labels), _ranks(predictions)),
        "mse": float(np.mean((labels - predictions) ** 2)),
    }


_ENDS_AFTER = {"E", "S"}  # conlleval's chunk boundaries, as seqeval's end_of_chunk / start_of_chunk
_ENDS_BEFORE = {("B", "B"), ("B", "S"), ("B", "O"), ("I", "B"), ("I", "S"), ("I", "O")}
_STARTS = {"B", "S"}
_STARTS_AFTER = {("E", "E"), ("E", "I"), ("S", "E"), ("S", "I"), ("O", "E"), ("O", "I")}


def _chunk_ends(prev_tag, tag, prev_type, type_):
    if prev_tag in _ENDS_AFTER or (prev_tag, tag) in _ENDS_BEFORE:
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _chunk_starts(prev_tag, tag, prev_type, type_):
    if tag in _STARTS or (prev_tag, tag) in _STARTS_AFTER:
        return True
    return tag not in ("O", ".") and prev_type != type_


def entities(sentences):
    """{(type, start, end)} of IOB1/IOB2/IOE/IOBES tag sequences, chunked as conlleval (and seqeval) do.

    A tag is a one-letter prefix (B, I, E, S, O) and an optional "-TYPE"; sentences are joined with an "O"
    between them, so positions count across sentences.
    """
    found, prev_tag, prev_type, begin = set(), "O", "", 0
    for i, chunk in enumerate([t for s in sentences for t in [*s, "O"]] + ["O"]):
        if not isinstance(chunk, str) or not chunk:
            raise ValueError(f"tag {chunk!r} is not a tag name such as 'B-PER' or 'O'")
        tag, type_ = chunk[:1], chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if _chunk_ends(prev_tag, tag, prev_type, type_):
            found.add((prev_type, begin, i - 1))
        if _chunk_starts(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return found


def token_classification_metrics(true_tags, predicted_tags):
    """Entity-level (micro) precision/recall/F1, CoNLL rules, and token accuracy, on tag-name lists."""
    if len(true_tags) != len(predicted_tags) or any(len(a) != len(b) for a, b in zip(true_tags, predicted_tags)):
        raise ValueError("the true and predicted tag sequences differ in length")
    true, predicted = entities(true_tags), entities(predicted_tags)
    correct = len(true & predicted)
    precision = correct / len(predicted) if predicted else 0.0
    recall = correct / len(true) if true else 0.0
    flat_true = [t for s in true_tags for t in s]
    flat_pred = [t for s in predicted_tags for t in s]
    return {
        "entity_f1": float(_f1(correct, len(predicted), len(true))),
        "entity_precision": precision,
        "entity_recall": recall,
        "token_accuracy": float(np.mean([a == b for a, b in zip(flat_true, flat_pred)])) if flat_true else 0.0,
    }


def normalize_answer(text):
    """Lower-case, drop punctuation, articles and extra whitespace (SQuAD's official normalization)."""
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _answer_f1(prediction, truth):
    pred_tokens, true_tokens = normalize_answer(prediction).split(), normalize_answer(truth).split()
    if not pred_tokens or not true_tokens:
        return float(pred_tokens == true_tokens)
    common = collections.Counter(pred_tokens) & collections.Counter(true_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred_tokens), overlap / len(true_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_metrics(examples, answers):
    """exact_match and f1 (percent), maximised over each question's gold answers; no answer counts as ""."""
    exact, f1 = [], []
    for example in examples:
        truths = [a["text"] for a in example["answers"]] or [""]
        prediction = answers.get(example["id"], "")
        exact.append(max(float(normalize_answer(prediction) == normalize_answer(t)) for t in truths))
        f1.append(max(_answer_f1(prediction, t) for t in truths))
    return {"exact_match": 100.0 * float(np.mean(exact)), "f1": 100.0 * float(np.mean(f1))}
