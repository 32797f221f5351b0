"""Evaluation metrics, from well-kept libraries where one exists.

scikit-learn gives accuracy, F1 and Matthews correlation, SciPy gives Pearson
and Spearman correlations, seqeval gives entity-level F1 for BIO/IOB tags.
SQuAD exact match and F1 follow the official evaluation script (its answer
normalization), which no maintained library ships without a hub download.
"""

import collections
import re
import string

import numpy as np


def classification_metrics(labels, predictions, num_labels=2):
    """accuracy, F1 (binary: of class 1; else macro) and Matthews correlation."""
    from sklearn.metrics import accuracy_score
    from sklearn.metrics import f1_score
    from sklearn.metrics import matthews_corrcoef

    labels, predictions = np.asarray(labels), np.asarray(predictions)
    average = "binary" if num_labels == 2 else "macro"
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(f1_score(labels, predictions, average=average, zero_division=0)),
        "matthews_correlation": float(matthews_corrcoef(labels, predictions)),
    }


def regression_metrics(labels, predictions):
    """Pearson and Spearman correlations (the STS-B metrics), and mean squared error."""
    from scipy.stats import pearsonr
    from scipy.stats import spearmanr

    labels, predictions = np.asarray(labels, float), np.asarray(predictions, float).reshape(-1)
    constant = np.std(predictions) == 0 or np.std(labels) == 0
    return {
        "pearson": float("nan") if constant else float(pearsonr(labels, predictions)[0]),
        "spearman": float("nan") if constant else float(spearmanr(labels, predictions)[0]),
        "mse": float(np.mean((labels - predictions) ** 2)),
    }


def token_classification_metrics(true_tags, predicted_tags):
    """Entity-level precision/recall/F1 (seqeval, CoNLL rules) and token accuracy, on tag-name lists."""
    from seqeval.metrics import f1_score
    from seqeval.metrics import precision_score
    from seqeval.metrics import recall_score

    flat_true = [t for s in true_tags for t in s]
    flat_pred = [t for s in predicted_tags for t in s]
    return {
        "entity_f1": float(f1_score(true_tags, predicted_tags, zero_division=0)),
        "entity_precision": float(precision_score(true_tags, predicted_tags, zero_division=0)),
        "entity_recall": float(recall_score(true_tags, predicted_tags, zero_division=0)),
        "token_accuracy": float(np.mean([a == b for a, b in zip(flat_true, flat_pred)])) if flat_true else 0.0,
    }


def normalize_answer(text):
    """Lower-case, drop punctuation, articles and extra whitespace (SQuAD's official normalization)."""
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _f1(prediction, truth):
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
        f1.append(max(_f1(prediction, t) for t in truths))
    return {"exact_match": 100.0 * float(np.mean(exact)), "f1": 100.0 * float(np.mean(f1))}
