"""tf.distribute: MirroredStrategy on two logical CPUs and MultiWorkerMirroredStrategy with two local
workers each end with the same weights as single-device training on the same global batch."""

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import CLIENTS
from conftest import run_cli
from conftest import sotu_speeches

pytestmark = pytest.mark.slow

# Trains a tiny classifier for a few steps on a fixed global batch of 8 and saves its weights.


def run(mode, out, env=None):
    return subprocess.Popen(
        [sys.executable, os.path.join(CLIENTS, "distributed_train.py"), mode, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {})),
    )


def finished(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return out


def weights(path):
    data = np.load(path)
    return [data[f"arr_{i}"] for i in range(len(data.files))]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dist")
    import tf_electra

    config = tf_electra.ElectraConfig(
        vocab_size=50,
        embedding_size=8,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
    )
    model = tf_electra.TFElectraForSequenceClassification(config)
    np.savez(folder / "init.npz", **{f"w{i}": w.numpy() for i, w in enumerate(model.weights)})
    finished(run("single", folder / "single.npz"))
    return folder, weights(folder / "single.npz"), [w.numpy() for w in model.weights]


def assert_same_training(reference, initial, other):
    moved = max(np.abs(a - b).max() for a, b in zip(reference, initial))
    assert moved > 1e-3  # training really changed the weights
    for a, b in zip(reference, other):
        np.testing.assert_allclose(a, b, atol=2e-5)


def test_mirrored_on_two_logical_cpus(single):
    folder, reference, initial = single
    out = finished(run("mirrored", folder / "mirrored.npz"))
    assert "replicas 2" in out
    assert_same_training(reference, initial, weights(folder / "mirrored.npz"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_worker_with_two_local_workers(single):
    folder, reference, initial = single
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    procs = [
        run(
            "multi-worker",
            folder / f"worker{i}.npz",
            {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})},
        )
        for i in range(2)
    ]
    outputs = [finished(p) for p in procs]
    assert all("replicas 2" in o for o in outputs)
    for i in range(2):
        assert_same_training(reference, initial, weights(folder / f"worker{i}.npz"))


def start_alone(index, env=None, other=None):
    """Worker `index` of a two-worker cluster whose other worker never starts (its port is closed, or held by
    `other`, a socket that is not a worker). Returns the process and the other's address."""
    ports = [free_port(), other.getsockname()[1] if other else free_port()]
    cluster = {"worker": [f"127.0.0.1:{ports[index == 1]}", f"127.0.0.1:{ports[index == 0]}"]}
    tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
    code = (
        "from tf_electra.errors import TrainingError\n"
        "from tf_electra.training.distribute import make_strategy\n"
        "try:\n    make_strategy('multi-worker')\nexcept TrainingError as e:\n    print('error:', e)\n"
        "else:\n    print('started')\n"
    )
    env = {"TF_CONFIG": tf_config, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ, **env), timeout=120
    )
    return proc, cluster["worker"][1 - index]


@pytest.mark.parametrize(
    "index, message",
    [
        (0, "multi-worker start-up: worker 1 at {other} did not answer within 2 s; start every worker of "
            "TF_CONFIG's cluster (or raise TF_ELECTRA_WORKER_TIMEOUT)"),  # the leader
        (1, "multi-worker start-up: this worker could not register with the leader, worker 0 at {other}, within "
            "4 s: the leader, or a worker it waits for, has not started; start every worker of TF_CONFIG's "
            "cluster within TF_ELECTRA_WORKER_TIMEOUT (2 s) of each other"),
    ],
)  # fmt: skip
def test_an_absent_worker_is_named_after_the_timeout(index, message):
    # TensorFlow alone waits an hour (the leader in C++ code that ignores Ctrl-C): the test would time out.
    proc, other = start_alone(index, {"TF_ELECTRA_WORKER_TIMEOUT": "2"})
    assert proc.stdout.strip() == "error: " + message.format(other=other)


def test_an_address_held_by_something_else_ends_the_leader_with_one_line():
    # The address answers, so the leader goes on into TensorFlow's start-up, which then waits in C++ (holding the
    # GIL) for a worker that never registers: a watchdog process ends it.
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(8)
        proc, address = start_alone(0, {"TF_ELECTRA_WORKER_TIMEOUT": "3"}, other=other)
    assert proc.returncode == -9, (proc.returncode, proc.stderr[-2000:])
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: multi-worker start-up: TensorFlow's start-up did not end within 3 s although every worker's "
        f"address answered (worker 1 at {address}): is one held by a program that is not a worker of this run?"
    )


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "86401"])
def test_a_bad_worker_timeout_is_one_line(value):
    proc, _ = start_alone(0, {"TF_ELECTRA_WORKER_TIMEOUT": value})
    expected = f"TF_ELECTRA_WORKER_TIMEOUT must be a whole number of seconds from 1 to 86400, got {value!r}"
    assert proc.stdout.strip() == "error: " + expected


# Pre-training with MultiWorkerMirroredStrategy, through the command line.
TINY_PRETRAINING = {
    "model_hparam_overrides": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2},
    "embedding_size": 32,
    "generator_hidden_size": 0.5,
    "train_batch_size": 16,
    "max_seq_length": 32,
    "save_checkpoints_steps": 10,
    "iterations_per_loop": 10,
}


@pytest.fixture(scope="module")
def pretraining_data(tmp_path_factory):
    """Pre-training records of State of the Union addresses (the `sotu` package, public domain)."""
    texts = sotu_speeches(count=6)
    folder = tmp_path_factory.mktemp("pretraining")
    for args in (
        ["build-vocab", *texts, "--vocab-size", "1500", "--output", folder / "vocab.txt"],
        ["build-pretraining-data", *texts, "--vocab", folder / "vocab.txt", "--output", folder / "data"],
    ):
        result = run_cli(*args, "--max-seq-length", "32") if args[0] != "build-vocab" else run_cli(*args)
        assert result.returncode == 0, result.stderr[-2000:]
    return folder / "data"


def pretrain_workers(data, outputs, steps):
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    command = [sys.executable, "-m", "tf_electra.cli", "pretrain", str(data), "--steps", str(steps), "--quiet"]
    command += ["--hparams", json.dumps(TINY_PRETRAINING), "--strategy", "multi-worker"]
    return [
        subprocess.Popen(
            command + ["--output", str(outputs[i])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})),
        )
        for i in range(2)
    ]


def test_pretraining_with_two_workers_writes_one_run_that_imports(pretraining_data, tmp_path):
    """Was: every multi-worker pre-training failed at its first step (Keras averages the first batch, a dict,
    with strategy.reduce to build the model, which MultiWorkerMirroredStrategy cannot do for a dict)."""
    run0, run1 = tmp_path / "run0", tmp_path / "run1"  # each worker's own folder: the chief writes run0
    procs = pretrain_workers(pretraining_data, [run0, run1], 20)
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
    chief, other = (out.strip().splitlines()[-1] for out, _ in outputs)
    assert chief.startswith("pre-trained to step 20 (") and chief.endswith(f"folders in {run0}")
    assert other == chief.split(";")[0] + "; the chief wrote"  # the same metrics: one model, averaged over both
    assert (run0 / "model.ckpt-20.index").exists() and not run1.exists()
    result = run_cli("import-google", run0, "--model", "discriminator", "--output", tmp_path / "disc")
    assert result.returncode == 0, result.stderr[-2000:]
    # Continued, worker 1 would restore nothing from its empty run1 and train other weights: refused on both.
    procs = pretrain_workers(pretraining_data, [run0, run1], 30)
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 1, err[-3000:]
        assert (
            err.strip()
            .splitlines()[-1]
            .startswith(
                "tf-electra pretrain: error: the workers of this run start from different checkpoints (this one from "
                f"step {20 if proc is procs[0] else 0} in {run0 if proc is procs[0] else run1}, the mean over all 10.0)"
            )
        ), err[-2000:]
    # Both reading the chief's folder (as on a shared file system) continue it.
    procs = pretrain_workers(pretraining_data, [run0, run0], 30)
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs[1][1][-3000:]
    assert outputs[0][0].strip().splitlines()[-1].startswith("pre-trained to step 30 (")


def test_a_worker_killed_mid_run_ends_the_other_with_one_line_and_intact_checkpoints(pretraining_data, tmp_path):
    procs = pretrain_workers(pretraining_data, [tmp_path / "run0", tmp_path / "run1"], 100_000)
    run0, deadline = tmp_path / "run0", time.monotonic() + 300
    while not (run0 / "model.ckpt-10.index").exists():
        assert procs[0].poll() is None and time.monotonic() < deadline, procs[0].stderr.read()[-3000:]
        time.sleep(0.2)
    procs[1].kill()
    procs[1].wait()
    _, err = procs[0].communicate(timeout=180)  # TensorFlow's collectives notice the lost peer (not an hour)
    assert procs[0].returncode == 1 and "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    assert lines[-1].startswith("tf-electra pretrain: error: ") and len(lines[-1]) < 600, lines[-3:]
    import tensorflow as tf

    newest = tf.train.latest_checkpoint(str(run0))
    assert tf.train.load_checkpoint(newest).get_tensor("global_step") >= 10
