"""`import tf_electra` chooses TensorFlow's BFC allocator for CPU tensors unless the user chose."""

import json
import os
import subprocess
import sys
import warnings

import pytest

from tf_electra.utils import allocator
from tf_electra.utils import environment

PROBE = """
import json, os, sys
{first}
import numpy as np
import tf_electra
from tf_electra.utils import allocator
model = tf_electra.TFElectraModel(tf_electra.ElectraConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
    num_attention_heads=2, intermediate_size=32, max_position_embeddings=16))
out = model.predict_on_batch(np.array([[1, 5, 7, 2]], "int32"))["last_hidden_state"]
facts = dict(in_use=allocator.in_use(), env=os.environ.get(allocator.ENV), finite=bool(np.isfinite(out).all()))
print(json.dumps(facts))
"""
KERAS_FIRST = "import keras; keras.layers.Dense(2)"  # Keras imported (and a layer made) before tf_electra: fine
OP_FIRST = "import tensorflow as tf; tf.ones([2]) * 2"  # TensorFlow makes its CPU device at its first operation
DEVICES_FIRST = "import tensorflow as tf; tf.config.list_logical_devices()"  # ... or when asked for its devices


def probe(env_value, first=""):
    env = {k: v for k, v in os.environ.items() if k not in (allocator.ENV, allocator.LIMIT_ENV)}
    if env_value is not None:
        env[allocator.ENV] = env_value
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(first=first)],
        env=dict(env, KERAS_BACKEND="tensorflow"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "env_value, first, in_use, env_after",
    [
        (None, "", True, "true"),  # unset: chosen at import, and TensorFlow uses it
        (None, KERAS_FIRST, True, "true"),
        ("false", "", False, "false"),  # the user's choice is kept
        ("0", "", False, "0"),
        (None, OP_FIRST, False, "true"),  # too late: TensorFlow made its allocator before the import
        (None, DEVICES_FIRST, False, "true"),
    ],
)
def test_the_process_gets_the_bfc_allocator_unless_the_user_chose(env_value, first, in_use, env_after):
    result = probe(env_value, first)
    if result["in_use"] and not in_use:
        pytest.skip("TensorFlow's default CPU allocator keeps statistics here too (oneDNN's): cannot tell them apart")
    assert result == dict(in_use=in_use, env=env_after, finite=True)


GIB = 1024  # MB


@pytest.mark.parametrize(
    "before, memory_mb, after, chose, warns",
    [
        ({}, 24 * GIB, {allocator.ENV: "true"}, True, False),
        ({allocator.ENV: "  "}, 24 * GIB, {allocator.ENV: "true"}, True, False),  # blank = unset
        ({}, None, {allocator.ENV: "true"}, True, False),  # the platform does not say how much memory
        # above TensorFlow's 64 GB cap the cap is raised to the machine's memory ...
        ({}, 256 * GIB, {allocator.ENV: "true", allocator.LIMIT_ENV: str(256 * GIB)}, True, False),
        # ... unless the user set a cap
        ({allocator.LIMIT_ENV: "4096"}, 256 * GIB, {allocator.ENV: "true", allocator.LIMIT_ENV: "4096"}, True, False),
        ({allocator.ENV: "FALSE"}, 256 * GIB, {allocator.ENV: "FALSE"}, False, False),
        ({allocator.ENV: "True"}, 24 * GIB, {allocator.ENV: "True"}, False, False),
        ({allocator.ENV: "1"}, 24 * GIB, {allocator.ENV: "1"}, False, False),
        # a value TensorFlow cannot read is kept, and the user hears that TensorFlow will ignore it
        ({allocator.ENV: "yes"}, 24 * GIB, {allocator.ENV: "yes"}, False, True),
        ({allocator.ENV: "bfc"}, 24 * GIB, {allocator.ENV: "bfc"}, False, True),
        ({allocator.ENV: " true"}, 24 * GIB, {allocator.ENV: " true"}, False, True),  # TensorFlow does not trim
    ],
)
def test_prefer_bfc_allocator_table(monkeypatch, before, memory_mb, after, chose, warns):
    monkeypatch.setattr(allocator, "physical_memory_mb", lambda: memory_mb)
    environ = dict(before)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert allocator.prefer_bfc_allocator(environ) is chose
    assert environ == after
    messages = [str(w.message) for w in caught]
    if warns:
        assert (
            len(messages) == 1 and "TensorFlow ignores it" in messages[0] and repr(before[allocator.ENV]) in messages[0]
        )
    else:
        assert messages == []


def test_physical_memory_is_the_machines():
    memory = allocator.physical_memory_mb()
    assert memory is None or 256 <= memory <= 1 << 30
    if sys.platform.startswith("linux"):
        with open("/proc/meminfo") as f:
            total_kb = int(f.readline().split()[1])
        assert abs(memory - total_kb / 1024) / memory < 0.05


def test_the_demos_serving_client_runs_without_our_choice(monkeypatch):
    """It stands in for TF Serving, which never imports tf_electra; a value the user set still reaches it."""
    from tf_electra.cli import demo

    monkeypatch.delenv(allocator.ENV, raising=False)
    monkeypatch.delenv(allocator.LIMIT_ENV, raising=False)
    monkeypatch.setattr(environment, "_chosen", {})
    assert allocator.prefer_bfc_allocator() is True  # as at `import tf_electra`
    assert allocator.ENV not in demo.serving_client_env() and os.environ[allocator.ENV] == "true"
    monkeypatch.setenv(allocator.ENV, "1")
    assert demo.serving_client_env()[allocator.ENV] == "1"
