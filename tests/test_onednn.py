"""oneDNN's frozen weights (TF_ONEDNN_ASSUME_FROZEN_WEIGHTS): what TensorFlow does under it, where it is
refused, and an export served under it. TensorFlow reads the variable once per process, so everything that
runs a model under it runs in a fresh process."""

import json
import os
import sys

import numpy as np
import pytest

import tf_electra
from tf_electra.errors import ConfigError
from tf_electra.serving.export import export_saved_model
from tf_electra.utils import onednn

from conftest import padded_batch
from conftest import result_of
from conftest import run_cli
from conftest import run_client
from conftest import tiny_config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from bench.system import cpu_flags

ENV = "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"


@pytest.mark.parametrize(
    "value, frozen", [(None, False), ("1", True), ("true", True), ("TRUE", True), ("0", False), ("False", False)]
)
def test_the_values_tensorflow_accepts(monkeypatch, value, frozen):
    if value is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, value)
    assert onednn.frozen_weights() is frozen
    if frozen:
        with pytest.raises(ConfigError, match=f"{ENV} is or was true in this process"):
            onednn.check_not_frozen()
    else:
        onednn.check_not_frozen()


def test_a_true_value_seen_by_a_compiled_step_is_remembered_after_it_is_unset(monkeypatch):
    monkeypatch.setattr(onednn, "_ran_frozen", [])
    monkeypatch.setenv(ENV, "0")
    onednn.note_compiled_step()
    monkeypatch.delenv(ENV)
    assert not onednn.frozen_weights()
    monkeypatch.setenv(ENV, "true")
    onednn.note_compiled_step()  # TensorFlow may read it during this step, and keeps what it read
    monkeypatch.delenv(ENV)
    assert onednn.frozen_weights()
    with pytest.raises(ConfigError, match="training would silently compute with stale weights"):
        onednn.check_not_frozen()


# TensorFlow aborts the process on each of these (checked: "", " 1" and "yes" end Python with a stack dump).
@pytest.mark.parametrize("value", ["", " 1", "1 ", "yes", "on", "2", "frozen"])
def test_a_value_tensorflow_would_abort_on_is_one_clear_error(monkeypatch, value):
    monkeypatch.setenv(ENV, value)
    message = f"{ENV}={value!r}: TensorFlow accepts 1 or true"
    for check in (onednn.frozen_weights, onednn.check_not_frozen):
        with pytest.raises(ConfigError) as raised:
            check()
        assert str(raised.value).startswith(message), raised.value


def test_a_bad_value_stops_any_command_with_one_line_before_tensorflow_sees_it(tmp_path):
    result = run_cli("summary", "electra-small-discriminator", "--length", "4", env={ENV: "yes"})
    assert result.returncode == 1
    assert result.stderr.strip() == f"tf-electra summary: error: {ENV}='yes': TensorFlow accepts 1 or true " + (
        "(inference-only processes), 0 or false"
    ), result.stderr[-2000:]


def test_compiled_functions_keep_the_first_weights_so_training_is_refused():
    result = result_of(run_client("frozen_weights", env={ENV: "1"}))
    assert result["weights_moved_output"] > 1e-3  # the change is visible to eager calls
    assert result["retraced_vs_eager"] < 1e-5  # and to a newly traced function
    # but not to the function that ran before the change where oneDNN caches the weights (it did on the Intel Xeon
    # with AMX we measured on; on an AVX2-only AMD EPYC it does not, and the function sees the change); never
    # anything in between
    stale, fresh = result["compiled_vs_eager"] > 1e-3, result["compiled_vs_eager"] < 1e-5
    assert stale or fresh, result
    assert stale or "amx_tile" not in cpu_flags(), result
    refused = f"ConfigError: {ENV} is or was true in this process, so oneDNN keeps the first weights"
    assert result["fit"].startswith(refused), result["fit"]
    assert result["fit_after_unset"].startswith(refused), result["fit_after_unset"]  # TensorFlow read it already


def test_an_export_serves_the_same_outputs_under_frozen_weights(tmp_path):
    config = tiny_config(hidden_size=64, intermediate_size=128, num_labels=3, hidden_dropout_prob=0.0)
    model = tf_electra.TFElectraForSequenceClassification(config)
    path = export_saved_model(model, tmp_path / "serving")
    inputs = {k: v.astype("int64") for k, v in padded_batch(config).items()}
    (tmp_path / "inputs.json").write_text(json.dumps({k: v.tolist() for k, v in inputs.items()}))
    expected = np.asarray(model(inputs)["logits"])
    for value in ("1", "0"):
        served = result_of(run_client("saved_model_client", path, tmp_path / "inputs.json", env={ENV: value}))
        for how in ("session", "load"):  # TF Serving's loader, and tf.saved_model.load
            np.testing.assert_allclose(np.asarray(served[how]["logits"]), expected, atol=1e-5, err_msg=(value, how))
