"""What Keras users expect: serialization, compile/fit/evaluate/predict, mixed precision, XLA."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_electra

from conftest import padded_batch
from conftest import run_client
from conftest import tiny_config


def classification_dataset(config, n=32, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, config.vocab_size, (n, 10)).astype("int32")
    labels = (ids[:, 1] > ids[:, 2]).astype("int32")
    features = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(batch)


@pytest.mark.parametrize("cls_name", list(tf_electra.MODEL_CLASSES))
def test_get_config_and_keras_save_round_trip(cls_name, tmp_path):
    config = tiny_config()
    cls = tf_electra.MODEL_CLASSES[cls_name]
    model = cls(config, attn_implementation="sdpa")
    inputs = padded_batch(config, choices=2 if "MultipleChoice" in cls_name else None)
    before = model(inputs)
    rebuilt = cls.from_config(model.get_config())
    assert rebuilt.config == model.config
    assert rebuilt.attn_implementation == "sdpa"
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is cls
    after = loaded(inputs)
    for key in before:
        np.testing.assert_array_equal(np.asarray(before[key]), np.asarray(after[key]))


@pytest.mark.slow
def test_fit_evaluate_predict_with_the_heads_own_loss():
    config = tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = tf_electra.TFElectraForSequenceClassification(config)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    data = classification_dataset(config)
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(data, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "accuracy" in history.history
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before, model.trainable_weights))
    results = model.evaluate(data, return_dict=True, verbose=0)
    assert set(results) >= {"loss", "accuracy"}
    # The head's own loss reported by evaluate equals the model's loss on the same batches.
    losses = [float(model(x, labels=y).loss) for x, y in data]
    np.testing.assert_allclose(results["loss"], np.mean(losses), rtol=1e-4)
    predictions = model.predict(data, verbose=0)
    assert predictions["logits"].shape == (32, 2)
    assert predictions.logits.shape == (32, 2)


@pytest.mark.slow
def test_fit_with_a_keras_loss_and_metrics():
    config = tiny_config()
    model = tf_electra.TFElectraForSequenceClassification(config)
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    history = model.fit(classification_dataset(config), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert 0.0 <= history.history["accuracy"][0] <= 1.0


@pytest.mark.slow
def test_labels_inside_the_feature_dict():
    config = tiny_config()
    model = tf_electra.TFElectraForTokenClassification(config)
    model.compile(optimizer="adam")
    inputs = padded_batch(config, batch=4)
    labels = np.where(inputs["attention_mask"] == 1, inputs["input_ids"] % 2, -100).astype("int32")
    data = tf.data.Dataset.from_tensor_slices(dict(inputs, labels=labels)).batch(2)
    history = model.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.slow
def test_question_answering_fit_with_dict_labels():
    config = tiny_config()
    model = tf_electra.TFElectraForQuestionAnswering(config)
    model.compile(optimizer="adam")
    inputs = padded_batch(config, batch=4)
    labels = {"start_positions": np.array([1, 2, 3, 0], "int32"), "end_positions": np.array([2, 3, 4, 0], "int32")}
    data = tf.data.Dataset.from_tensor_slices((inputs, labels)).batch(2)
    history = model.fit(data, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_and_returns_float32_logits(policy):
    keras.mixed_precision.set_global_policy(policy)
    try:
        config = tiny_config()
        model = tf_electra.TFElectraForSequenceClassification(config)
        assert model.electra.compute_dtype == policy.split("_")[1]
        out = model(padded_batch(config))
        assert out.logits.dtype == "float32"
        model.compile(optimizer="adam", metrics=["accuracy"])
        history = model.fit(classification_dataset(config), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        assert all(w.dtype == "float32" for w in model.weights)
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
def test_jit_compile_fit_and_predict():
    config = tiny_config()
    model = tf_electra.TFElectraForSequenceClassification(config)
    model.compile(optimizer="adam", jit_compile=True)
    data = classification_dataset(config)
    history = model.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    reference = model(next(iter(data))[0]).logits
    np.testing.assert_allclose(model.predict(data, verbose=0).logits[:8], reference, atol=1e-5)


def test_eager_and_sdpa_agree():
    config = tiny_config()
    eager = tf_electra.TFElectraForMaskedLM(config, attn_implementation="eager")
    sdpa = tf_electra.TFElectraForMaskedLM(config, attn_implementation="sdpa")
    sdpa.set_weights(eager.get_weights())
    inputs = padded_batch(config)
    np.testing.assert_allclose(eager(inputs).logits, sdpa(inputs).logits, atol=1e-5)


def test_attn_implementation_from_config_and_default():
    assert tf_electra.TFElectraModel(tiny_config(attn_implementation="sdpa")).attn_implementation == "sdpa"
    default = tf_electra.TFElectraModel(tiny_config()).attn_implementation
    assert default == tf_electra.configuration.DEFAULT_ATTN_IMPLEMENTATION
    with pytest.raises(ValueError, match="attn_implementation"):
        tf_electra.TFElectraModel(tiny_config(), attn_implementation="flash")


@pytest.mark.slow
def test_forward_pass_on_the_jax_backend():
    pytest.importorskip("jax", reason="the JAX smoke test needs jax (pip install -e .[test])")
    result = run_client("jax_smoke", env={"KERAS_BACKEND": "jax", "TF_ELECTRA_HIDDEN_PACKAGES": ""})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "jax forward ok" in result.stdout


@pytest.mark.parametrize("pretrainer", [False, True])
def test_the_train_step_is_traced_once(pretrainer):
    # Keras' TensorFlow trainer (no strategy) creates the optimizer's variables inside the first trace,
    # and a tf.function that creates variables is traced twice; ours builds them first.
    config = tiny_config()
    if pretrainer:
        from tf_electra.models.electra_pretrainer import ElectraPretrainer

        model = ElectraPretrainer(config, config.copy(hidden_size=16), 3, [1, 2, 3], max_seq_length=9, seed=0)
        batch = padded_batch(config, length=9)
        x, y = {"input_ids": batch["input_ids"], "input_mask": batch["attention_mask"]}, None
    else:
        model = tf_electra.TFElectraForSequenceClassification(config)
        x, y = padded_batch(config), np.array([0, 1, 1])
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    traces = []
    step = model.train_step
    model.train_step = lambda data: traces.append(1) or step(data)
    before = [v.numpy().copy() for v in model.trainable_variables]
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    assert len(traces) == 1
    assert model.optimizer.iterations.numpy() == 2
    assert any(not np.allclose(a, v.numpy()) for a, v in zip(before, model.trainable_variables))


def test_a_functional_model_ending_in_a_head_takes_a_keras_loss():
    """Keras' compile records the outputs' structure by mapping them to None; the output object dropped None
    values, so the structure was empty ("Too many leaves for PyTreeSpec") and no Keras loss could be compiled."""
    head = tf_electra.TFElectraForTokenClassification(tiny_config(num_labels=3))
    ids = np.random.default_rng(0).integers(5, 64, (8, 6)).astype("int32")
    structure = keras.tree.map_structure(lambda _: None, head(ids))
    assert list(structure.keys()) == ["logits"] and structure.logits is None
    inputs = keras.Input((None,), dtype="int32", name="input_ids")
    model = keras.Model(inputs, head(inputs))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    labels = np.random.default_rng(1).integers(0, 3, (8, 6))
    history = model.fit(ids, labels, epochs=2, verbose=0).history["loss"]
    assert len(history) == 2 and np.isfinite(history).all()
    logits = model.predict(ids, verbose=0).logits
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    np.testing.assert_allclose(model.evaluate(ids, labels, verbose=0), float(expected), rtol=1e-5)


@pytest.mark.parametrize("name", ["TFElectraForSequenceClassification", "TFElectraForMultipleChoice"])
def test_keras_model_export_needs_no_input_signature(name, tmp_path):
    """Keras' own `model.export(path)` refused our models ("has never called", even after calls): Keras infers a
    signature only from shapes recorded by `build(shapes)`, and ours build in the constructor."""
    model = tf_electra.MODEL_CLASSES[name](tiny_config(num_labels=2))
    shape = (2, 3, 5) if "MultipleChoice" in name else (2, 5)
    ids = np.random.default_rng(0).integers(5, 64, shape).astype("int32")
    features = {"input_ids": ids, "attention_mask": np.ones(shape, "int32"), "token_type_ids": np.zeros(shape, "int32")}
    features["attention_mask"][0, ..., -2:] = 0
    model.export(str(tmp_path / "exported"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "exported"))
    served = loaded.serve(features)["logits"].numpy()
    np.testing.assert_allclose(served, model(features).logits.numpy(), atol=1e-6)
