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
    monkeypatch.setenv(environment.RECORD_ENV, "{}")  # (choose writes it: restored after the test)
    assert allocator.prefer_bfc_allocator() is True  # as at `import tf_electra`
    assert allocator.ENV not in demo.serving_client_env() and os.environ[allocator.ENV] == "true"
    monkeypatch.setenv(allocator.ENV, "1")
    assert demo.serving_client_env()[allocator.ENV] == "1"


CHILD = """
import json, os
import tf_electra
from tf_electra.utils.environment import without_our_choice
peer = without_our_choice(os.environ)
print(json.dumps(dict(ours=os.environ.get("{name}"), peer=peer.get("{name}"), record="{record}" in peer)))
"""


@pytest.mark.parametrize("user_value", [None, "false"])
def test_a_child_that_imports_tf_electra_still_tells_our_choice_from_the_users(user_value):
    """A benchmark driver started by a process that imported tf_electra (a test, a notebook) inherits our value: it
    must still start its peers without it, and keep a value the user set."""
    env = {k: v for k, v in os.environ.items() if k not in (allocator.ENV, allocator.LIMIT_ENV, environment.RECORD_ENV)}
    if user_value is not None:
        env[allocator.ENV] = user_value
    child = CHILD.format(name=allocator.ENV, record=environment.RECORD_ENV)
    parent = f"import subprocess, sys; import tf_electra; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    run = subprocess.run([sys.executable, "-c", parent], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    assert facts == dict(ours=user_value or "true", peer=user_value, record=False)


@pytest.mark.parametrize(
    "record, kept",
    [
        ('{"TF_X": ["ours", null]}', True),  # our value still in place: the child knows it as ours
        ('{"TF_X": ["other", null]}', False),  # changed since: the user's
        ('{"TF_X": ["ours", "before"]}', True),
        ("not json", False),
        ("[]", False),
        ('{"TF_X": "ours"}', False),
        ('{"TF_X": ["ours"]}', False),
        ('{"TF_X": [1, null]}', False),
        ('{"TF_X": ["ours", 5]}', False),
        ("", False),
    ],
)
def test_an_inherited_record_is_read_only_where_it_is_sound(monkeypatch, record, kept):
    monkeypatch.setattr(environment, "_chosen", {})
    monkeypatch.setenv(environment.RECORD_ENV, "{}")  # (choose writes it: restored after the test)
    monkeypatch.setenv(environment.RECORD_ENV, record)
    monkeypatch.setenv("TF_X", "ours")
    environment._inherit()  # as at import
    assert ("TF_X" in environment._chosen) is kept
    peer = environment.without_our_choice(os.environ)
    assert environment.RECORD_ENV not in peer
    assert peer.get("TF_X") == (("before" if "before" in record else None) if kept else "ours")
