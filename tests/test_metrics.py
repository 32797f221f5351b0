"""Our NumPy metrics against the libraries that define them: scikit-learn, SciPy and seqeval (test-only)."""

import math
import random
import warnings

import numpy as np
import pytest

from tf_electra.tasks.metrics import classification_metrics
from tf_electra.tasks.metrics import entities
from tf_electra.tasks.metrics import regression_metrics
from tf_electra.tasks.metrics import token_classification_metrics


def sklearn_classification(labels, predictions, num_labels):
    from sklearn.metrics import accuracy_score
    from sklearn.metrics import f1_score
    from sklearn.metrics import matthews_corrcoef

    average = "binary" if num_labels == 2 else "macro"
    return {
        "accuracy": accuracy_score(labels, predictions),
        "f1": f1_score(labels, predictions, average=average, zero_division=0),
        "matthews_correlation": matthews_corrcoef(labels, predictions),
    }


CLASSIFICATION_CASES = [(num_labels, n, seed) for num_labels in (2, 3, 5) for n in (1, 2, 7, 200) for seed in range(6)]


@pytest.mark.parametrize("num_labels,n,seed", CLASSIFICATION_CASES)
def test_classification_matches_sklearn(num_labels, n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_labels, n)
    # from random to mostly right, and some cases where a class is never predicted or never true
    predictions = np.where(rng.random(n) < seed / 6, labels, rng.integers(0, num_labels, n))
    if seed == 5:
        predictions = np.zeros(n, int)
    ours = classification_metrics(labels.tolist(), predictions.tolist(), num_labels=num_labels)
    expected = sklearn_classification(labels, predictions, num_labels)
    assert ours == pytest.approx(expected, abs=1e-12)


def test_classification_known_values():
    # 4 examples, class 1: tp 1, fp 1, fn 1 -> F1 0.5; MCC (1*1 - 1*1) / ... = 0
    assert classification_metrics([1, 1, 0, 0], [1, 0, 1, 0]) == {
        "accuracy": 0.5,
        "f1": 0.5,
        "matthews_correlation": 0.0,
    }
    assert classification_metrics([0, 1], [0, 1])["matthews_correlation"] == 1.0
    assert classification_metrics([0, 1], [1, 0])["matthews_correlation"] == -1.0


@pytest.mark.parametrize(
    "n,ties,seed", [(n, ties, seed) for n in (2, 3, 10, 300) for ties in (0, 1) for seed in range(4)]
)
def test_regression_matches_scipy(n, ties, seed):
    from scipy.stats import pearsonr
    from scipy.stats import spearmanr

    rng = np.random.default_rng(seed)
    labels = rng.normal(size=n)
    predictions = labels * seed / 4 + rng.normal(size=n)
    if ties:  # STS-B labels come in steps of 0.2: many ties
        labels, predictions = np.round(labels, 1), np.round(predictions, 0)
    ours = regression_metrics(labels.tolist(), predictions.tolist())
    if np.std(labels) == 0 or np.std(predictions) == 0:
        assert math.isnan(ours["pearson"]) and math.isnan(ours["spearman"])
        return
    assert ours["pearson"] == pytest.approx(pearsonr(labels, predictions)[0], abs=1e-12)
    assert ours["spearman"] == pytest.approx(spearmanr(labels, predictions)[0], abs=1e-12)
    assert ours["mse"] == pytest.approx(float(np.mean((labels - predictions) ** 2)))


def test_regression_perfect_and_constant():
    assert regression_metrics([1, 2, 3], [2, 4, 6])["pearson"] == 1.0
    assert regression_metrics([1, 2, 3], [3, 2, 1])["spearman"] == -1.0
    assert math.isnan(regression_metrics([1, 2, 3], [5, 5, 5])["spearman"])


TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "I-MISC", "B", "I", "."]


def random_tags(rng, sentences, pool):
    return [[rng.choice(pool) for _ in range(rng.randint(0, 9))] for _ in range(sentences)]


@pytest.mark.parametrize("seed", range(40))
def test_entities_match_seqeval(seed):
    from seqeval.metrics import f1_score
    from seqeval.metrics import precision_score
    from seqeval.metrics import recall_score
    from seqeval.metrics.sequence_labeling import get_entities

    rng = random.Random(seed)
    pool = TAGS if seed % 2 else TAGS[:3] + TAGS[5:7]  # odd seeds: IOBES and odd tags too; even: IOB2 only
    true = random_tags(rng, rng.randint(1, 6), pool)
    # predictions: the truth with some tags changed, so that some entities match
    predicted = [[t if rng.random() < 0.7 else rng.choice(pool) for t in s] for s in true]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns about tags such as "." that are not B-/I-/E-/S-
        assert entities(true) == set(get_entities([list(s) for s in true]))
        expected = {
            "entity_f1": f1_score(true, predicted, zero_division=0),
            "entity_precision": precision_score(true, predicted, zero_division=0),
            "entity_recall": recall_score(true, predicted, zero_division=0),
        }
    ours = token_classification_metrics(true, predicted)
    assert {k: ours[k] for k in expected} == pytest.approx(expected, abs=1e-12)


def test_entities_known_values():
    assert entities([["B-PER", "I-PER", "O", "B-LOC"]]) == {("PER", 0, 1), ("LOC", 3, 3)}
    # IOB1: an I- after O starts an entity; a type change ends one; sentences are separated
    assert entities([["I-PER", "I-LOC"], ["I-LOC"]]) == {("PER", 0, 0), ("LOC", 1, 1), ("LOC", 3, 3)}
    scores = token_classification_metrics([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
    assert scores == {"entity_f1": 0.0, "entity_precision": 0.0, "entity_recall": 0.0, "token_accuracy": 2 / 3}


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: classification_metrics([0, 1], [0]), "2 labels but 1 predictions"),
        (lambda: classification_metrics([], []), "no examples"),
        (lambda: regression_metrics([0.5, 1.0], [1.0]), "2 labels but 1 predictions"),
        (lambda: regression_metrics([], []), "no examples"),
        (lambda: token_classification_metrics([["O"]], [["O"], ["O"]]), "differ in length"),
        (lambda: token_classification_metrics([["O", "O"]], [["O"]]), "differ in length"),
        (lambda: token_classification_metrics([["O", ""]], [["O", "O"]]), "tag ''"),
        (lambda: token_classification_metrics([["O", None]], [["O", "O"]]), "tag None"),
        (lambda: token_classification_metrics([["O", 3]], [["O", "O"]]), "tag 3"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_metrics_need_none_of_the_oracles():
    """With scikit-learn, SciPy and seqeval unimportable (as after `pip install tf_electra`), every metric runs."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('sklearn', 'scipy', 'seqeval'): sys.modules[name] = None\n"
        "from tf_electra.tasks import metrics\n"
        "print(metrics.classification_metrics([0, 1, 2], [0, 2, 2], num_labels=3)['f1'],"
        " metrics.regression_metrics([1, 2, 3], [1, 3, 2])['spearman'],"
        " metrics.token_classification_metrics([['B-A', 'I-A']], [['B-A', 'I-A']])['entity_f1'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0.5555555555555555", "0.5", "1.0"]
