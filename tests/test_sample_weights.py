"""Keras' `sample_weight` and `class_weight` with the heads' own (Hugging Face) losses, and labels in the features.

Compiled without a loss, every head used to ignore sample weights: `fit(..., class_weight=...)` trained as if
unweighted. The weighted loss follows Keras' reduction (sum of weighted losses / number of counted labels, so
all-zero weights give 0 and unit weights the head's usual mean); it is checked against Keras' own
SparseCategoricalCrossentropy and, for every head, against NumPy on the model's logits.
"""

import keras
import numpy as np
import pytest

import tf_electra
from tf_electra.layers.checks import InputError

from conftest import tiny_config

B, L, V = 4, 7, 64
WEIGHTS = np.array([0.0, 1.5, 0.5, 2.0], "float32")


def log_softmax(x):
    x = np.asarray(x, np.float64)
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def cross_entropy(logits, labels, weights):
    """sum over labels != -100 of w x -log p(label) / their number (weights broadcast per example)."""
    labels = np.asarray(labels)
    valid = labels != -100
    picked = np.take_along_axis(log_softmax(logits), np.where(valid, labels, 0)[..., None], -1)[..., 0]
    w = np.broadcast_to(weights.reshape(weights.shape + (1,) * (labels.ndim - weights.ndim)), labels.shape)
    return float(-(picked * valid * w).sum() / max(valid.sum(), 1))


def sigmoid_cross_entropy(logits, labels, weights, counted=None):
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.float64)
    per = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    counted = np.ones_like(per) if counted is None else counted
    w = np.broadcast_to(weights.reshape(weights.shape + (1,) * (per.ndim - 1)), per.shape)
    return float((per * counted * w).sum() / counted.sum())


def ids(rng, shape=(B, L)):
    return rng.integers(5, V, shape).astype("int32")


def case(name, rng):
    """(model, features, labels, expected weighted loss from the logits)."""
    config = tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    x = {"input_ids": ids(rng)}
    if name == "single-label":
        model = tf_electra.TFElectraForSequenceClassification(config.copy(num_labels=3))
        y = rng.integers(0, 3, B)
        return model, x, y, lambda out: cross_entropy(out["logits"], y, WEIGHTS)
    if name == "regression":
        model = tf_electra.TFElectraForSequenceClassification(config.copy(num_labels=1))
        y = rng.normal(size=B).astype("float32")
        return model, x, y, lambda out: float((WEIGHTS * (out["logits"][:, 0] - y) ** 2).sum() / B)
    if name == "multi-label":
        model = tf_electra.TFElectraForSequenceClassification(config.copy(num_labels=3))
        y = rng.integers(0, 2, (B, 3)).astype("float32")
        return model, x, y, lambda out: sigmoid_cross_entropy(out["logits"], y, WEIGHTS)
    if name == "token classification":
        model = tf_electra.TFElectraForTokenClassification(config.copy(num_labels=5))
        y = rng.integers(0, 5, (B, L))
        y[:, :2] = -100
        return model, x, y, lambda out: cross_entropy(out["logits"], y, WEIGHTS)
    if name == "masked LM":
        model = tf_electra.TFElectraForMaskedLM(config)
        y = np.where(rng.random((B, L)) < 0.4, ids(rng), -100)
        y[:, 0] = 7
        return model, x, y, lambda out: cross_entropy(out["logits"], y, WEIGHTS)
    if name == "causal LM":
        model = tf_electra.TFElectraForCausalLM(config)
        y = x["input_ids"].copy()
        return model, x, y, lambda out: cross_entropy(out["logits"][:, :-1], y[:, 1:], WEIGHTS)
    if name == "multiple choice":
        model = tf_electra.TFElectraForMultipleChoice(config)
        x = {"input_ids": ids(rng, (B, 3, L))}
        y = rng.integers(0, 3, B)
        return model, x, y, lambda out: cross_entropy(out["logits"], y, WEIGHTS)
    if name == "question answering":
        model = tf_electra.TFElectraForQuestionAnswering(config)
        start, end = rng.integers(0, L, B), rng.integers(0, L, B)
        y = {"start_positions": start, "end_positions": end}
        return (
            model,
            x,
            y,
            lambda out: (
                (cross_entropy(out["start_logits"], start, WEIGHTS) + cross_entropy(out["end_logits"], end, WEIGHTS))
                / 2
            ),
        )
    if name == "replaced-token detection":
        model = tf_electra.TFElectraForPreTraining(config)
        mask = np.ones((B, L), "int32")
        mask[:, -2:] = 0
        x["attention_mask"] = mask
        y = rng.integers(0, 2, (B, L))
        return model, x, y, lambda out: sigmoid_cross_entropy(out["logits"], y, WEIGHTS, mask.astype("float64"))
    raise ValueError(name)


HEADS = [
    "single-label",
    "regression",
    "multi-label",
    "token classification",
    "masked LM",
    "causal LM",
    "multiple choice",
    "question answering",
    "replaced-token detection",
]


@pytest.mark.parametrize("name", HEADS)
def test_each_heads_loss_weighs_examples_as_keras_does(name):
    model, x, y, expected = case(name, np.random.default_rng(HEADS.index(name)))
    model.compile(optimizer="adam")
    logits = {k: np.asarray(v) for k, v in model(x).items() if "logits" in k}
    weighted = model.evaluate(x, y, sample_weight=WEIGHTS, batch_size=B, verbose=0)
    np.testing.assert_allclose(weighted, expected(logits), rtol=2e-5)
    unit = model.evaluate(x, y, sample_weight=np.ones(B), batch_size=B, verbose=0)  # (the same trace)
    np.testing.assert_allclose(unit, float(model(dict(x, **labels_dict(model, y))).loss), rtol=2e-5)
    assert model.evaluate(x, y, sample_weight=np.zeros(B), batch_size=B, verbose=0) == 0.0


def labels_dict(model, y):
    return y if isinstance(y, dict) else {model.label_names[0]: y}


def test_the_weighting_is_keras_own():
    """Keras' SparseCategoricalCrossentropy on the same logits and weights gives the head loss's number."""
    rng = np.random.default_rng(0)
    model, x, y, _ = case("single-label", rng)
    model.compile(optimizer="adam")
    ours = model.evaluate(x, y, sample_weight=WEIGHTS, batch_size=B, verbose=0)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    theirs = model.evaluate(x, y, sample_weight=WEIGHTS, batch_size=B, verbose=0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_class_weight_reaches_the_heads_loss():
    rng = np.random.default_rng(1)
    model, x, y, _ = case("single-label", rng)
    model.compile(optimizer="adam")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, class_weight={0: 0.0, 1: 0.0, 2: 0.0}, batch_size=B, verbose=0)
    assert history.history["loss"] == [0.0]
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # was: trained unweighted
    weights = np.array([{0: 0.5, 1: 2.0, 2: 1.0}[int(c)] for c in y], "float32")
    expected = model.evaluate(x, y, sample_weight=weights, batch_size=B, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # a step that changes nothing reports the loss before it
    got = model.fit(x, y, class_weight={0: 0.5, 1: 2.0, 2: 1.0}, batch_size=B, verbose=0).history["loss"][0]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["single-label", "question answering"])
def test_labels_in_the_features_work_with_metrics_and_weights(name):
    """fit / evaluate({"input_ids": ..., "labels": ...}) with metrics compiled: was an AttributeError on None."""
    model, x, y, expected = case(name, np.random.default_rng(2))
    features = dict(x, **labels_dict(model, y))
    model.compile(optimizer="adam", metrics=["accuracy"] if name == "single-label" else None)
    separate = model.evaluate(x, y, batch_size=B, verbose=0, return_dict=True)
    inside = model.evaluate(features, batch_size=B, verbose=0, return_dict=True)
    assert inside.keys() == separate.keys()
    for key in separate:
        np.testing.assert_allclose(inside[key], separate[key], rtol=1e-6)
    logits = {k: np.asarray(v) for k, v in model(x).items() if "logits" in k}
    weighted = model.evaluate(features, sample_weight=WEIGHTS, batch_size=B, verbose=0, return_dict=True)
    np.testing.assert_allclose(weighted["loss"], expected(logits), rtol=2e-5)
    model.fit(features, batch_size=B, verbose=0)


@pytest.mark.parametrize(
    "weights,match",
    [
        (np.ones(B + 1), r"sample_weight has shape \(5,\) but the labels \(4,\)"),
        (np.ones((B, 2)), r"sample_weight has shape \(4, 2\) but the labels \(4,\)"),
    ],
)
def test_sample_weights_of_another_shape_are_refused(weights, match):
    model, x, y, _ = case("single-label", np.random.default_rng(3))
    out = model(x)
    with pytest.raises(InputError, match=match):
        model.hf_loss(y, out, x, weights)


@pytest.mark.parametrize("how", ["sample_weight", "class_weight", "with y"])
def test_pretraining_refuses_weights_it_would_ignore(how):
    """Keras drops sample_weight given without y, silently; the pre-training model would then train unweighted."""
    from tf_electra.errors import ConfigError
    from tf_electra.models.electra_pretrainer import ElectraPretrainer

    config = tiny_config()
    model = ElectraPretrainer(config, config.copy(hidden_size=8, intermediate_size=16), 3, [1, 2, 3], L, seed=0)
    model.compile(optimizer="adam")
    x = {"input_ids": ids(np.random.default_rng(4)), "input_mask": np.ones((B, L), "int32")}
    kwargs = {"class_weight": {0: 1.0}} if how == "class_weight" else {"sample_weight": WEIGHTS}
    y = np.zeros(B) if how == "with y" else None
    with pytest.raises(ConfigError, match="no sample_weight or class_weight"):
        model.fit(x, y, batch_size=B, verbose=0, **kwargs)
