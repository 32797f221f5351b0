"""SavedModel export, checked the way TF Serving runs it, in processes that never import tf_electra."""

import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

import tf_electra
from tf_electra.errors import ExportError
from tf_electra.serving.export import export_saved_model

from conftest import int8_problem
from conftest import padded_batch
from conftest import result_of
from conftest import run_cli
from conftest import run_client
from conftest import tiny_config

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
SAVED_MODEL_CLI = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")


def client(export_dir, inputs, tmp_path, signature="serving_default"):
    """Runs clients/saved_model_client.py (TF1 session loader and tf.saved_model.load) on the export."""
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in inputs.items()}))
    proc = run_client("saved_model_client", export_dir, path, signature)
    if proc.returncode != 0:
        return None, proc.stderr
    return result_of(proc), proc.stderr


EXPECTED_OUTPUTS = {
    "TFElectraModel": {"last_hidden_state"},
    "TFElectraForPreTraining": {"logits", "probabilities"},
    "TFElectraForMaskedLM": {"logits"},
    "TFElectraForCausalLM": {"logits"},
    "TFElectraForSequenceClassification": {"logits", "probabilities", "label"},
    "TFElectraForMultipleChoice": {"logits", "probabilities"},
    "TFElectraForTokenClassification": {"logits", "probabilities", "label"},
    "TFElectraForQuestionAnswering": {"start_logits", "end_logits"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(tf_electra.MODEL_CLASSES))
def test_every_head_serves_the_keras_outputs(name, tmp_path):
    config = (
        tiny_config(num_labels=3, id2label={0: "neg", 1: "neutral", 2: "pos"})
        if "QuestionAnswering" not in name
        else tiny_config()
    )
    model = tf_electra.MODEL_CLASSES[name](config)
    path = export_saved_model(model, tmp_path / "serving")
    assert path == str(tmp_path / "serving" / "1")
    inputs = {
        k: v.astype("int64") for k, v in padded_batch(config, choices=2 if "MultipleChoice" in name else None).items()
    }
    results, err = client(path, inputs, tmp_path)
    assert results is not None, err[-3000:]
    expected = model(inputs)
    for how in ("session", "load"):
        assert set(results[how]) == EXPECTED_OUTPUTS[name], (how, set(results[how]))
        for key in expected:
            if key in results[how]:
                np.testing.assert_allclose(
                    np.asarray(results[how][key]), np.asarray(expected[key]), atol=1e-5, err_msg=f"{how} {key}"
                )
    if "label" in results["session"]:
        best = np.argmax(np.asarray(expected["logits"]), axis=-1)
        names = np.array(["neg", "neutral", "pos"])[best]
        assert np.asarray(results["session"]["label"]).tolist() == names.tolist()
    labels = tmp_path / "serving" / "1" / "assets" / "labels.txt"
    if "label" in EXPECTED_OUTPUTS[name]:
        assert labels.read_text().split("\n")[0] in ("neg", "LABEL_0")
    else:  # a discriminator's, QA's or an encoder's outputs name no labels
        assert not labels.exists()


@pytest.mark.slow
def test_saved_model_cli_shows_what_tf_serving_needs(tmp_path):
    model = tf_electra.TFElectraForSequenceClassification(tiny_config())
    path = export_saved_model(model, tmp_path / "serving")
    proc = subprocess.run(
        [SAVED_MODEL_CLI, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "MetaGraphDef with tag-set: 'serve'" in out
    default = out[out.index("signature_def['serving_default']") :]
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        block = re.search(rf"inputs\['{name}'\] tensor_info:\s+dtype: (\S+)\s+shape: (\(.*?\))", default)
        assert block, name
        assert block.groups() == ("DT_INT64", "(-1, -1)"), (name, block.groups())
    assert "tensorflow/serving/predict" in default
    for signature in ("ids_only", "ids_and_mask"):
        assert f"signature_def['{signature}']" in out


@pytest.mark.slow
def test_optional_inputs_signatures(tmp_path):
    config = tiny_config()
    model = tf_electra.TFElectraForSequenceClassification(config)
    path = export_saved_model(model, tmp_path / "serving")
    inputs = padded_batch(config)
    ids_only, err = client(path, {"input_ids": inputs["input_ids"]}, tmp_path, "ids_only")
    assert ids_only is not None, err[-2000:]
    np.testing.assert_allclose(ids_only["load"]["logits"], model(inputs["input_ids"]).logits, atol=1e-5)
    with_mask, err = client(
        path, {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}, tmp_path, "ids_and_mask"
    )
    assert with_mask is not None, err[-2000:]
    np.testing.assert_allclose(
        with_mask["session"]["logits"],
        model(inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits,
        atol=1e-5,
    )


@pytest.mark.slow
def test_mixed_precision_model_exports(tmp_path):
    config = tiny_config()
    model = tf_electra.TFElectraForTokenClassification(config, dtype="mixed_bfloat16")
    assert model.electra.compute_dtype == "bfloat16"
    path = export_saved_model(model, tmp_path / "serving")
    inputs = padded_batch(config)
    results, err = client(path, inputs, tmp_path)
    assert results is not None, err[-2000:]
    # bfloat16 rounding depends on which ops the graph optimizer fuses: the export must be as close to
    # the float32 computation as the Keras model itself is, not bit-identical to it.
    reference = tf_electra.TFElectraForTokenClassification(config)
    for target, source in zip(reference.weights, model.weights):
        target.assign(source)
    exact = np.asarray(reference(inputs).logits)
    keras_error = np.abs(np.asarray(model(inputs).logits) - exact).max()
    export_error = np.abs(np.asarray(results["load"]["logits"]) - exact).max()
    assert export_error <= 2 * keras_error + 1e-3, (export_error, keras_error)
    assert export_error < 0.05 * np.abs(exact).max()


def readme_requests():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    bodies = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    return [json.loads(b) for b in bodies if '"instances"' in b or '"inputs"' in b]


def rest_to_tensors(body, signature_inputs):
    """TF Serving's REST conversion: row format ("instances") or columnar ("inputs")."""
    if "instances" in body:
        rows = body["instances"]
        return {name: np.array([row[name] for row in rows], dtype=np.int64) for name in rows[0]}
    return {name: np.array(value, dtype=np.int64) for name, value in body["inputs"].items()}


@pytest.mark.slow
def test_readme_rest_requests_match_the_signature(tmp_path):
    bodies = readme_requests()
    assert {("instances" in b) for b in bodies} == {True, False}, "README must show both request formats"
    config = tiny_config(vocab_size=30522, max_position_embeddings=64)
    model = tf_electra.TFElectraForSequenceClassification(config)
    path = export_saved_model(model, tmp_path / "serving")
    for body in bodies:
        inputs = rest_to_tensors(body, ("input_ids", "attention_mask", "token_type_ids"))
        signature = body.get("signature_name", "serving_default")
        results, err = client(path, inputs, tmp_path, signature)
        assert results is not None, err[-2000:]
        np.testing.assert_allclose(results["load"]["logits"], model(inputs).logits, atol=1e-5)


@pytest.mark.slow
def test_out_of_vocabulary_request_is_an_error(tmp_path):
    config = tiny_config()
    path = export_saved_model(tf_electra.TFElectraForSequenceClassification(config), tmp_path / "serving")
    inputs = padded_batch(config)
    inputs["input_ids"][0, 1] = config.vocab_size + 5
    results, err = client(path, inputs, tmp_path)
    assert results is None
    assert "input_ids must lie in [0, 64)" in err
    import tensorflow as tf

    ids_only = tf.saved_model.load(path).signatures["ids_only"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_ids has sequence length 0"):
        ids_only(input_ids=tf.zeros((2, 0), tf.int64))  # was an out-of-bounds slice deep in the model
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="[Ss]hape"):
        ids_only(input_ids=tf.constant([1, 2], tf.int64))  # a rank the signature does not take


@pytest.mark.slow
def test_the_cli_never_exports_a_head_its_folder_has_no_weights_for(tmp_path):
    tf_electra.TFElectraForPreTraining(tiny_config()).save_pretrained(str(tmp_path / "discriminator"))
    with pytest.raises(tf_electra.WeightsError, match="has no weights for classifier.*fine-tune the folder"):
        tf_electra.TFElectraForSequenceClassification.from_pretrained(
            str(tmp_path / "discriminator"),
            require_all_weights=True,  # what `tf-electra export` loads with
        )
    # In Python a new head may be trained (model.fit) and then exported: export itself does not refuse it.
    model = tf_electra.TFElectraForSequenceClassification.from_pretrained(
        str(tmp_path / "discriminator"), warn_unmatched=False
    )
    assert os.path.isdir(export_saved_model(model, tmp_path / "serving"))


@pytest.mark.slow
def test_label_names_and_lengths_the_text_assets_cannot_hold_are_refused(tmp_path):
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(id2label={0: "bad\n", 1: "ok"}))  # bad, "", ok
    with pytest.raises(ExportError, match="a label name holds a line break"):  # labels.txt: one name per line
        export_saved_model(model, tmp_path / "serving")
    assert not [n for n in os.listdir(tmp_path / "serving") if not n.startswith(".")]
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(59)]  # the model's 64 ids
    (tmp_path / "vocab.txt").write_text("".join(w + "\n" for w in words))
    # as a tokenizer_config.json may set it: [CLS] one token [SEP], and a pair's text would be lost entirely
    tokenizer = tf_electra.ElectraTokenizer(str(tmp_path / "vocab.txt"), model_max_length=3)
    with pytest.raises(ExportError, match="the tokenizer's model_max_length 3 is too short"):
        export_saved_model(model, tmp_path / "serving2", tokenizer=tokenizer, text_signatures=True)


@pytest.mark.slow
def test_versions_and_bad_destinations(tmp_path):
    model = tf_electra.TFElectraForPreTraining(tiny_config())
    base = tmp_path / "serving"
    assert export_saved_model(model, base).endswith("/1")
    assert export_saved_model(model, base, version=7).endswith("/7")
    assert export_saved_model(model, base).endswith("/8")
    with pytest.raises(ExportError, match="already exists"):
        export_saved_model(model, base, version=7)
    assert sorted(os.listdir(base)) == ["1", "7", "8"]  # nothing half-written left behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        export_saved_model(model, tmp_path / "file")
    with pytest.raises(ExportError, match="cannot create"):
        export_saved_model(model, tmp_path / "file" / "sub")
    with pytest.raises(ExportError, match="tf_electra model"):
        export_saved_model(keras.Sequential([keras.layers.Dense(1)]), base)


@pytest.mark.slow
def test_warmup_requests_are_valid_prediction_logs(tmp_path):
    import tensorflow as tf
    from google.protobuf import descriptor_pb2
    from google.protobuf import descriptor_pool
    from google.protobuf import message_factory

    config = tiny_config()
    path = export_saved_model(tf_electra.TFElectraForPreTraining(config), tmp_path / "serving", warmup=True)
    records = list(tf.data.TFRecordDataset(os.path.join(path, "assets.extra", "tf_serving_warmup_requests")))
    assert len(records) == 3
    # Decode with descriptors of tensorflow_serving's PredictionLog built here (an independent parser).
    fdp = descriptor_pb2.FileDescriptorProto(name="warmup_test.proto", package="tensorflow.serving")
    fdp.dependency.append("tensorflow/core/framework/tensor.proto")
    spec = fdp.message_type.add(name="ModelSpec")
    spec.field.add(name="name", number=1, type=9, label=1)
    spec.field.add(name="signature_name", number=3, type=9, label=1)
    request = fdp.message_type.add(name="PredictRequest")
    request.field.add(name="model_spec", number=1, type=11, label=1, type_name=".tensorflow.serving.ModelSpec")
    entry = request.nested_type.add(name="InputsEntry")
    entry.field.add(name="key", number=1, type=9, label=1)
    entry.field.add(name="value", number=2, type=11, label=1, type_name=".tensorflow.TensorProto")
    entry.options.map_entry = True
    request.field.add(
        name="inputs", number=2, type=11, label=3, type_name=".tensorflow.serving.PredictRequest.InputsEntry"
    )
    log = fdp.message_type.add(name="PredictLog")
    log.field.add(name="request", number=1, type=11, label=1, type_name=".tensorflow.serving.PredictRequest")
    top = fdp.message_type.add(name="PredictionLog")
    top.field.add(name="predict_log", number=6, type=11, label=1, type_name=".tensorflow.serving.PredictLog")
    pool = descriptor_pool.DescriptorPool()
    from tensorflow.core.framework import tensor_pb2

    added = set()

    def add_with_dependencies(file_descriptor):
        if file_descriptor.name in added:
            return
        for dependency in file_descriptor.dependencies:
            add_with_dependencies(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file_descriptor.CopyToProto(proto)
        pool.Add(proto)
        added.add(file_descriptor.name)

    add_with_dependencies(tensor_pb2.DESCRIPTOR)
    pool.Add(fdp)
    PredictionLog = message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.serving.PredictionLog"))
    signatures = set()
    loaded = tf.saved_model.load(path)
    for record in records:
        message = PredictionLog.FromString(record.numpy())
        req = message.predict_log.request
        signatures.add(req.model_spec.signature_name)
        inputs = {k: tf.make_ndarray(v) for k, v in req.inputs.items()}
        assert all(v.dtype == np.int64 for v in inputs.values())
        loaded.signatures[req.model_spec.signature_name](**{k: tf.constant(v) for k, v in inputs.items()})
    assert signatures == {"serving_default", "ids_only", "ids_and_mask"}


@pytest.mark.slow
def test_cli_export(tmp_path):
    config = tiny_config(num_labels=2, id2label={0: "no", 1: "yes"})
    model = tf_electra.TFElectraForSequenceClassification(config)
    model.save_pretrained(tmp_path / "model")
    result = run_cli("export", str(tmp_path / "model"), "--output", str(tmp_path / "serving"), "--warmup")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "exported TFElectraForSequenceClassification" in result.stdout
    assert "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS" not in result.stdout  # the advice is for bfloat16 exports
    assert (tmp_path / "serving" / "1" / "assets.extra" / "tf_serving_warmup_requests").is_file()
    assert (tmp_path / "serving" / "1" / "assets" / "labels.txt").read_text() == "no\nyes\n"
    result = run_cli("export", str(tmp_path / "model"), "--output", str(tmp_path / "serving"), "--version", "1")
    assert result.returncode == 1 and "already exists" in result.stderr
    result = run_cli("export", str(tmp_path / "serving"), "--output", str(tmp_path / "other"))
    assert result.returncode == 1 and "not a model folder" in result.stderr
    assert not (tmp_path / "other").exists() or os.listdir(tmp_path / "other") == []
    inputs = padded_batch(config)
    results, err = client(str(tmp_path / "serving" / "1"), inputs, tmp_path)
    assert results is not None, err[-2000:]
    np.testing.assert_allclose(results["session"]["logits"], model(inputs).logits, atol=1e-5)
    result = run_cli("export", str(tmp_path / "model"), "--output", str(tmp_path / "bf16"), "--dtype", "bfloat16")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1].startswith("serve it with TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1"), result.stdout
    result = run_cli(
        "export", str(tmp_path / "model"), "--output", str(tmp_path / "int8"), "--quantize", "int8", "--fuse-with-xla"
    )
    if int8_problem():  # this CPU cannot run the int8 product: one line, nothing written
        assert result.returncode == 1 and result.stderr.strip().endswith(int8_problem()), result.stderr[-2000:]
        assert not (tmp_path / "int8").exists()
        return
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert "(int8)" in lines[-3] and "--xla_cpu_compilation_enabled=true" in lines[-2], result.stdout
    assert "tf_xla_async_compilation" in lines[-1]
    assert b"_XlaCompile" in (tmp_path / "int8" / "1" / "saved_model.pb").read_bytes()  # the CLI passed it on


@pytest.mark.parametrize(
    "error,reason",
    [("ResourceExhaustedError", "No space left on device"), ("OutOfRangeError", "File too large")],  # ENOSPC, EFBIG
)
def test_a_full_disk_during_the_export_is_one_export_error_and_leaves_nothing(tmp_path, monkeypatch, error, reason):
    import tensorflow as tf

    def full(self, filepath, **kwargs):  # what SaveV2 raises on a full disk, or past the file size limit
        message = f"{{{{function_node __wrapped__SaveV2}}}} {filepath}/variables/variables_temp/part-0; {reason}"
        raise getattr(tf.errors, error)(None, None, message + " [Op:SaveV2]")

    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", full)  # the backend's class
    model = tf_electra.TFElectraForSequenceClassification(tiny_config())
    base = tmp_path / "base"
    with pytest.raises(ExportError) as info:
        export_saved_model(model, str(base), version=3)
    written = f"{base}/3/variables/variables_temp/part-0"
    assert str(info.value) == f"cannot write the export under {base}: {written}; {reason}"
    assert os.listdir(base) == []
