"""int8 inference: the kernel's arithmetic against NumPy, the encoder swap, and a fine-tuned model on real text.

The real text is sentences of US State of the Union addresses (the `sotu` package, public domain),
labelled by era (1790-1860 or 1960-2000); a small model fine-tuned on them is exported with
`--quantize int8` and served by TensorFlow's session loader.
"""

import json
import pathlib
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_electra
from tf_electra.errors import ExportError
from tf_electra.serving import quantize as quantize_module
from tf_electra.serving.export import export_saved_model
from tf_electra.serving.quantize import Int8Dense
from tf_electra.serving.quantize import quantize_encoder
from tf_electra.serving.quantize import quantized_copy

from conftest import int8_problem
from conftest import padded_batch
from conftest import result_of
from conftest import run_cli
from conftest import run_client
from conftest import sotu_speeches
from conftest import tiny_config

NO_XLA_CLUSTERS = "--tf_xla_clustering_fuel=0"


def numpy_int8_dense(x, kernel, bias):
    """The int8 scheme written out in NumPy: per-column symmetric weights, per-row asymmetric uint8 inputs."""
    scale = np.abs(kernel).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    qw = np.clip(np.round(kernel / scale), -127, 127).astype(np.int64)
    low = np.minimum(x.min(axis=1, keepdims=True), 0.0)
    high = np.maximum(x.max(axis=1, keepdims=True), 0.0)
    step = np.maximum(high - low, 1e-30) / 255.0
    qx = np.round((x - low) / step).astype(np.int64)
    return ((qx * step + low) @ (qw * scale)) + bias


def dense_layer(rng, n_in, n_out, activation=None):
    layer = keras.layers.Dense(n_out, activation=activation)
    layer.build((None, n_in))
    kernel = (rng.standard_normal((n_in, n_out)) * 0.05).astype(np.float32)
    kernel[:, 3] = 0.0  # an all-zero column must not divide by zero
    layer.set_weights([kernel, rng.standard_normal(n_out).astype(np.float32)])
    return layer


def test_int8_dense_matches_the_numpy_scheme_and_stays_close_to_float(int8_kernel):
    rng = np.random.default_rng(0)
    dense = dense_layer(rng, 64, 48)
    quantized = Int8Dense.from_dense(dense)
    x = (rng.standard_normal((10, 64)) * rng.uniform(0.1, 20, (10, 1)) + rng.uniform(-3, 3, (10, 1))).astype(np.float32)
    kernel, bias = dense.get_weights()
    out = keras.ops.convert_to_numpy(quantized(x))
    np.testing.assert_allclose(out, numpy_int8_dense(x.astype(np.float64), kernel, bias), rtol=1e-4, atol=1e-4)
    exact = keras.ops.convert_to_numpy(dense(x))
    assert np.linalg.norm(out - exact) / np.linalg.norm(exact) < 0.02


def test_each_row_is_quantized_on_its_own(int8_kernel):
    """A request's result does not depend on the requests batched with it."""
    rng = np.random.default_rng(1)
    quantized = Int8Dense.from_dense(dense_layer(rng, 32, 16, activation="gelu"))
    row = rng.standard_normal((1, 32)).astype(np.float32)
    huge = (rng.standard_normal((1, 32)) * 1e4).astype(np.float32)
    alone = keras.ops.convert_to_numpy(quantized(row))
    batched = keras.ops.convert_to_numpy(quantized(np.concatenate([huge, row, np.zeros_like(row)])))
    np.testing.assert_array_equal(batched[1:2], alone)
    assert np.isfinite(batched).all()


def test_rank_3_inputs_keep_their_shape(int8_kernel):
    rng = np.random.default_rng(2)
    quantized = Int8Dense.from_dense(dense_layer(rng, 8, 5))
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    out = keras.ops.convert_to_numpy(quantized(x))
    assert out.shape == (2, 3, 5)
    np.testing.assert_allclose(out.reshape(6, 5), keras.ops.convert_to_numpy(quantized(x.reshape(6, 8))))


def traced_ops(layer, x):
    import tensorflow as tf

    graph = tf.function(layer).get_concrete_function(tf.TensorSpec([None, x.shape[1]], tf.float32)).graph
    marked = lambda op: "_XlaCompile" in op.node_def.attr and op.get_attr("_XlaCompile")
    scope = lambda op: op.get_attr("_XlaScope").decode() if marked(op) else None
    return [(op.type, scope(op)) for op in graph.get_operations()], graph


@pytest.mark.parametrize("fused", [False, True])
def test_xla_fusion_marks_the_element_wise_ops_only_and_changes_no_result(fused, int8_kernel):
    import tensorflow as tf

    from tf_electra.serving.quantize import DEQUANTIZE_SCOPE
    from tf_electra.serving.quantize import QUANTIZE_SCOPE

    rng = np.random.default_rng(3)
    dense = dense_layer(rng, 32, 24, activation="gelu")
    plain, quantized = Int8Dense.from_dense(dense), Int8Dense.from_dense(dense, xla_fusion=fused)
    x = (rng.standard_normal((6, 32)) * 3).astype(np.float32)
    ops, _ = traced_ops(quantized, x)
    scopes = {}
    for op_type, scope in ops:
        scopes.setdefault(op_type, set()).add(scope)
    if not fused:
        assert all(scope is None for _, scope in ops), ops
    else:
        # the row statistics and rounding before the product, the scaling and the GELU after it
        for op_type in ("Min", "Max", "Round", "RealDiv"):
            assert scopes[op_type] == {QUANTIZE_SCOPE}, (op_type, scopes[op_type])
        for op_type in ("Erfc", "AddV2"):  # Keras' exact GELU
            assert scopes[op_type] == {DEQUANTIZE_SCOPE}, (op_type, scopes[op_type])
        assert scopes["QuantizedMatMulWithBias"] == {None} and scopes["Bitcast"] == {None}
    compiled = keras.ops.convert_to_numpy(tf.function(quantized)(tf.constant(x)))
    np.testing.assert_allclose(compiled, keras.ops.convert_to_numpy(plain(x)), rtol=1e-5, atol=1e-5)


def test_a_whole_model_compiled_with_xla_fusion_gives_the_unfused_outputs(int8_kernel):
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    config = tiny_config(num_hidden_layers=2)
    model = tf_electra.TFElectraForSequenceClassification(config)
    inputs = padded_batch(config)
    plain, fused = quantized_copy(model), quantized_copy(model, xla_fusion=True)
    assert all(layer.xla_fusion for layer in fused._flatten_layers() if isinstance(layer, Int8Dense))
    compiled = tf.function(lambda features: fused(features).logits)
    np.testing.assert_allclose(np.asarray(compiled(inputs)), np.asarray(plain(inputs).logits), atol=1e-4)


def test_quantized_copy_replaces_every_block_dense_and_leaves_the_model_alone(int8_kernel):
    keras.utils.set_random_seed(0)
    config = tiny_config(num_hidden_layers=3)
    model = tf_electra.TFElectraForSequenceClassification(config)
    inputs = padded_batch(config)
    before = np.asarray(model(inputs).logits)
    copy = quantized_copy(model)
    int8 = [layer for layer in copy._flatten_layers() if isinstance(layer, Int8Dense)]
    assert len(int8) == 6 * config.num_hidden_layers
    assert not any(isinstance(layer, Int8Dense) for layer in model._flatten_layers())
    # the float kernels of the replaced layers are gone from the copy's weights
    kernels = [w for w in copy.weights if w.path.endswith("/kernel") and "encoder" in w.path]
    assert kernels == []
    after = np.asarray(copy(inputs).logits)
    np.testing.assert_array_equal(np.asarray(model(inputs).logits), before)
    assert np.abs(after - before).max() < 0.05 * np.abs(before).max() + 1e-3
    assert quantize_encoder(copy) == 0  # already quantized


def test_export_refuses_unknown_quantization_before_writing(tmp_path):
    model = tf_electra.TFElectraModel(tiny_config())
    for bad in ("int4", 8, True):
        with pytest.raises(ExportError, match="quantize must be"):
            export_saved_model(model, tmp_path / "out", quantize=bad)
    for quantize, bad, message in (
        (None, True, "xla_fusion=True needs quantize='int8'"),
        ("int8", "yes", "xla_fusion must be True or False, got 'yes'"),
        ("int8", 1, "xla_fusion must be True or False, got 1"),
    ):
        with pytest.raises(ExportError, match=re.escape(message)):
            export_saved_model(model, tmp_path / "out", quantize=quantize, xla_fusion=bad)
    if int8_problem() is None:
        with pytest.raises(ExportError, match="already quantized"):
            export_saved_model(quantized_copy(model), tmp_path / "out", quantize="int8")
    else:  # this CPU cannot run the int8 product: refused by the check, before any writing
        with pytest.raises(ExportError, match="int8 export needs a CPU on which"):
            export_saved_model(model, tmp_path / "out", quantize="int8")
    assert not (tmp_path / "out").exists()


def test_the_kernel_check_agrees_with_a_real_product():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 256, (8, 64)).astype(np.uint8), rng.integers(-127, 128, (64, 16)).astype(np.int8)
    qa, qb = tf.bitcast(tf.constant(a), tf.quint8), tf.bitcast(tf.constant(b), tf.qint8)
    product = tf.bitcast(quantize_module._int8_matmul(tf, qa, qb, tf.zeros([16])), tf.int32).numpy()
    right = product.shape == (8, 16) and bool((product == a.astype(np.int64) @ b.astype(np.int64)).all())
    assert right is (int8_problem() is None), (product.shape, int8_problem())


def test_a_cpu_whose_int8_product_returns_nothing_is_refused_in_one_line(tmp_path, monkeypatch):
    # What TensorFlow 2.21 does on an AVX2 AMD EPYC: the op runs and returns an empty tensor.
    empty = lambda tf, a, b, zeros: tf.bitcast(tf.zeros([0], tf.int32), tf.qint32)
    monkeypatch.setattr(quantize_module, "_int8_matmul", empty)
    model = tf_electra.TFElectraModel(tiny_config())
    message = "it returned [] for [[3]] x [[-2]] (seen on CPUs without AVX-512)"
    with pytest.raises(ExportError, match=re.escape(message)):
        export_saved_model(model, tmp_path / "out", quantize="int8")
    assert not (tmp_path / "out").exists()


def test_without_onednn_the_cli_says_so_and_writes_nothing(tmp_path):
    model = tf_electra.TFElectraModel(tiny_config())
    model.save_pretrained(tmp_path / "model")
    proc = run_cli(
        "export", tmp_path / "model", "--output", tmp_path / "out", "--quantize", "int8",
        env={"TF_ENABLE_ONEDNN_OPTS": "0"},
    )  # fmt: skip
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    # With oneDNN off, TensorFlow's own QuantizedMatMulWithBias returns an empty tensor: the check names oneDNN.
    assert len(lines) == 1 and "error: int8 export needs TensorFlow's oneDNN kernels" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


def era_sentences():
    """(sentence, era) pairs: 0 for 1790-1860 addresses, 1 for 1960-2000."""
    pairs = []
    for label, pattern in ((0, "1[78]*.txt"), (1, "19[6-9]*.txt")):
        for path in sotu_speeches(pattern):
            if label == 0 and int(path.name[:4]) > 1860:
                continue
            text = " ".join(path.read_text(encoding="utf-8").split())
            pairs += [(s, label) for s in re.split(r"(?<=[.!?]) ", text) if 30 <= len(s) <= 300]
    rng = np.random.default_rng(0)
    rng.shuffle(pairs)
    return pairs


@pytest.mark.slow
def test_fine_tuned_model_on_real_text_agrees_in_int8(tmp_path, int8_kernel):
    from tf_electra.tokenization.vocab_training import train_vocab

    pairs = era_sentences()
    train, held_out = pairs[:5000], pairs[5000:5600]
    train_vocab(texts=[s for s, _ in train], vocab_size=2000, output=tmp_path / "vocab.txt")
    tokenizer = tf_electra.ElectraTokenizer(str(tmp_path / "vocab.txt"))
    config = tf_electra.ElectraConfig(
        vocab_size=len(tokenizer),
        embedding_size=64,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    keras.utils.set_random_seed(0)
    model = tf_electra.TFElectraForSequenceClassification(config)
    encode = lambda rows: dict(tokenizer([s for s, _ in rows], padding="max_length", truncation=True, max_length=48,
                                         return_tensors="np", return_token_type_ids=True))  # fmt: skip
    x, y = encode(train), np.array([label for _, label in train])
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    x_test, y_test = encode(held_out), np.array([label for _, label in held_out])
    float_pred = np.asarray(model.predict(x_test, verbose=0).logits).argmax(-1)
    float_acc = (float_pred == y_test).mean()
    assert float_acc > 0.7, f"the fine-tuned model did not learn (held-out accuracy {float_acc:.3f})"

    path = export_saved_model(model, tmp_path / "serving", quantize="int8", xla_fusion=True)  # the XLA-fused path
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({k: v.astype("int64").tolist() for k, v in x_test.items()}))
    proc = run_client("saved_model_client", path, inputs, "serving_default")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = result_of(proc)
    for how in ("session", "load"):
        int8_pred = np.asarray(results[how]["logits"]).argmax(-1)
        agreement = (int8_pred == float_pred).mean()
        int8_acc = (int8_pred == y_test).mean()
        print(f"{how}: agreement {agreement:.4f}, accuracy float32 {float_acc:.4f} int8 {int8_acc:.4f}")
        assert agreement >= 0.99, (how, agreement)
        assert abs(int8_acc - float_acc) <= 0.01
    assert b"_XlaCompile" in (pathlib.Path(path) / "saved_model.pb").read_bytes()
    # the marked ops run unfused (no clusters formed): the same predictions; a value that XLA's arithmetic puts on
    # the other side of a rounding boundary quantizes one step apart, so logits agree to a step, not to float precision
    unfused = run_client("saved_model_client", path, inputs, "serving_default", env={"TF_XLA_FLAGS": NO_XLA_CLUSTERS})
    unfused, fused = (np.asarray(r["session"]["logits"]) for r in (result_of(unfused), results))
    assert (unfused.argmax(-1) == fused.argmax(-1)).mean() >= 0.995
    assert np.abs(unfused - fused).max() < 0.01 * np.abs(fused).max()
    # TF Serving's model server without --xla_cpu_compilation_enabled=true: every request fails (README, Serving)
    stock = run_client("saved_model_client", path, inputs, "serving_default", env={"LIKE_STOCK_MODEL_SERVER": "1"})
    assert stock.returncode != 0 and "XLA compilation disabled" in stock.stderr, stock.stderr[-2000:]


@pytest.mark.slow
def test_int8_export_stores_the_weights_once_and_serves(tmp_path, int8_kernel):
    """The int8 weights are graph constants; every signature calls one traced model, so they are stored once."""
    config = tiny_config(hidden_size=256, intermediate_size=1024, num_attention_heads=4, num_labels=3)
    model = tf_electra.TFElectraForSequenceClassification(config)
    path = export_saved_model(model, tmp_path / "serving", quantize="int8")
    int8_bytes = config.num_hidden_layers * (4 * 256 * 256 + 2 * 256 * 1024)
    graph_bytes = (pathlib.Path(path) / "saved_model.pb").stat().st_size
    assert int8_bytes < graph_bytes < int8_bytes * 1.5 + 500_000, (graph_bytes, int8_bytes)
    inputs = {k: v.astype("int64") for k, v in padded_batch(config).items()}
    data = tmp_path / "inputs.json"
    data.write_text(json.dumps({k: v.tolist() for k, v in inputs.items()}))
    assert b"_XlaCompile" not in (pathlib.Path(path) / "saved_model.pb").read_bytes()  # fusion is opt-in
    for signature, names in (("serving_default", inputs), ("ids_only", {"input_ids": inputs["input_ids"]})):
        data.write_text(json.dumps({k: v.tolist() for k, v in names.items()}))
        # as the stock TF Serving model server runs it: XLA compilation off
        proc = run_client("saved_model_client", path, data, signature, env={"LIKE_STOCK_MODEL_SERVER": "1"})
        assert proc.returncode == 0, proc.stderr[-3000:]
        served = np.asarray(result_of(proc)["session"]["logits"])
        assert served.shape == (len(inputs["input_ids"]), 3) and np.isfinite(served).all()
    expected = np.asarray(quantized_copy(model)(inputs).logits)
    data.write_text(json.dumps({k: v.tolist() for k, v in inputs.items()}))
    served = np.asarray(result_of(run_client("saved_model_client", path, data))["load"]["logits"])
    np.testing.assert_allclose(served, expected, atol=1e-4)
