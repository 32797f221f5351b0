"""TF_ELECTRA_XLA=elementwise: XLA fuses the element-wise ops of our compiled steps, oneDNN keeps the matmuls."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tf_electra.errors import ConfigError
from tf_electra.utils import environment
from tf_electra.utils import graph_rewrites


@pytest.fixture(autouse=True)
def _own_record(monkeypatch):
    """prepare_xla_flags records what it sets (utils/environment): each test starts and ends with the session's."""
    monkeypatch.setattr(environment, "_chosen", dict(environment._chosen))
    monkeypatch.setenv(environment.RECORD_ENV, os.environ.get(environment.RECORD_ENV, "{}"))


TESTS = Path(__file__).parent

TRAIN = """
import json, sys
import keras, numpy as np, tensorflow as tf
sys.path.insert(0, {tests!r})
import tf_electra
from conftest import padded_batch, tiny_config
config = tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
keras.utils.set_random_seed(0)
model = tf_electra.TFElectraForSequenceClassification(config)
model.compile(optimizer=keras.optimizers.Adam(1e-2))
x, y = padded_batch(config), np.array([0, 1, 1])
losses = [float(model.train_on_batch(x, y)) for _ in range(3)]
logits = model.predict_on_batch(x)["logits"].tolist()
print(json.dumps(dict(losses=losses, logits=logits, jit=tf.config.optimizer.get_jit())))
"""


def clustered_ops(dump):
    """Op types of the nodes that TensorFlow's mark-for-compilation pass put into XLA clusters."""
    ops = []
    for path in dump.glob("mark_for_compilation*.pbtxt"):
        for node in path.read_text().split("\nnode {"):
            if '"_XlaCluster"' in node:
                ops.append(re.search(r'op: "([^"]+)"', node).group(1))
    return ops


def train(tmp_path, setting, extra_flags=""):
    dump = tmp_path / setting
    dump.mkdir()
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_ELECTRA_XLA=setting, TF_DUMP_GRAPH_PREFIX=str(dump))
    env["TF_XLA_FLAGS"] = f"--tf_xla_clustering_debug {extra_flags}".strip()
    run = subprocess.run(
        [sys.executable, "-c", TRAIN.format(tests=str(TESTS))], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1]), clustered_ops(dump)


def test_elementwise_xla_fuses_only_element_wise_ops_and_computes_the_same(tmp_path):
    off, off_ops = train(tmp_path, "off")
    fused, fused_ops = train(tmp_path, "elementwise")
    assert off["jit"] == "" and off_ops == []
    assert fused["jit"] == "autoclustering"
    assert {"Mul", "AddV2", "Sub"} <= set(fused_ops), sorted(set(fused_ops))
    matmuls = {op for op in fused_ops if "MatMul" in op or "Einsum" in op}
    assert not matmuls, matmuls  # the matrix products stay oneDNN's
    assert fused["losses"][-1] < fused["losses"][0]
    for key in ("losses", "logits"):
        flat = lambda v: [x for row in v for x in (row if isinstance(row, list) else [row])]
        assert flat(fused[key]) == pytest.approx(flat(off[key]), rel=1e-4, abs=1e-5)


def test_a_users_own_choice_of_ops_to_cluster_is_kept(tmp_path):
    # With another --tf_xla_ops_to_cluster, turning clustering on could compile the matmuls too: left off.
    result, ops = train(tmp_path, "elementwise", "--tf_xla_ops_to_cluster=MISC")
    assert result["jit"] == "" and ops == []


@pytest.mark.parametrize("value", ["1", "on", "full", "elementwise,off"])
def test_a_wrong_switch_is_one_clear_error_and_sets_no_flags(monkeypatch, value):
    monkeypatch.setenv(graph_rewrites.XLA_ENV, value)
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_min_cluster_size=4")
    with pytest.raises(ConfigError, match=f"{graph_rewrites.XLA_ENV}=.*choose 'off'") as error:
        graph_rewrites.apply_elementwise_xla()
    assert "\n" not in str(error.value)
    assert graph_rewrites.prepare_xla_flags() is False
    assert os.environ["TF_XLA_FLAGS"] == "--tf_xla_min_cluster_size=4"


@pytest.mark.parametrize(
    "before, after",
    [
        (None, "--tf_xla_cpu_global_jit --tf_xla_ops_to_cluster=FUSIBLE"),
        (
            "--tf_xla_min_cluster_size=4",
            "--tf_xla_min_cluster_size=4 --tf_xla_cpu_global_jit --tf_xla_ops_to_cluster=FUSIBLE",
        ),
        ("--tf_xla_ops_to_cluster=FUSIBLE", "--tf_xla_ops_to_cluster=FUSIBLE --tf_xla_cpu_global_jit"),
        (
            "--tf_xla_cpu_global_jit --tf_xla_ops_to_cluster=FUSIBLE",
            "--tf_xla_cpu_global_jit --tf_xla_ops_to_cluster=FUSIBLE",
        ),
    ],
)
def test_the_flags_are_added_once_to_what_the_user_set(monkeypatch, before, after):
    monkeypatch.setenv(graph_rewrites.XLA_ENV, "elementwise")
    if before is None:
        monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    else:
        monkeypatch.setenv("TF_XLA_FLAGS", before)
    assert graph_rewrites.prepare_xla_flags() is True
    assert graph_rewrites.prepare_xla_flags() is True
    assert os.environ["TF_XLA_FLAGS"] == after


def test_the_cli_option_sets_the_switch_before_tensorflow_starts(monkeypatch, tmp_path, capsys):
    from tf_electra.cli.main import main

    monkeypatch.delenv(graph_rewrites.XLA_ENV, raising=False)
    monkeypatch.setenv("TF_XLA_FLAGS", "")
    missing = tmp_path / "no-such-model"
    code = main(["finetune", str(missing), "--task", "classification", "--train", str(tmp_path / "t.csv"),
                 "--output", str(tmp_path / "out"), "--xla-elementwise"])  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert os.environ[graph_rewrites.XLA_ENV] == "elementwise"
    assert "--tf_xla_ops_to_cluster=FUSIBLE" in os.environ["TF_XLA_FLAGS"]
    assert not (tmp_path / "out").exists()  # the output folder it created is gone again
