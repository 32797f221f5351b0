"""The package's shape: imports run one way, modules stay small, public names stay importable."""

import ast
import os
import subprocess
import sys
import warnings

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tf_electra")

# Lower layers never import higher ones (the README's Architecture section draws the same picture).
LAYERS = (
    ("tf_electra.errors", "tf_electra._keras_compat", "tf_electra._deprecated", "tf_electra.utils"),
    ("tf_electra.config_fields", "tf_electra.configuration", "tf_electra.presets", "tf_electra.pretraining_config"),
    ("tf_electra.layers",),
    ("tf_electra.io", "tf_electra.tokenization"),
    ("tf_electra.models",),
    ("tf_electra.tasks",),
    ("tf_electra.training", "tf_electra.serving", "tf_electra.pretraining"),
    ("tf_electra.cli",),
    # Deprecated aliases of moved modules: they import nothing until a name is used.
    ("tf_electra.tokenizer", "tf_electra.export", "tf_electra.google_checkpoint", "tf_electra.synthetic"),
)
MAX_LINES = 300


def rank(module):
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    return None


def modules():
    for root, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                relative = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
                yield relative.removesuffix(".__init__"), path


def imports(path):
    """Every tf_electra module a file imports, at any depth (function-level imports included)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("tf_electra"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tf_electra"):
            if node.module == "tf_electra":
                yield from (f"tf_electra.{alias.name}" for alias in node.names)
            else:
                yield node.module


def test_imports_run_one_way():
    upward = []
    for module, path in modules():
        if module == "tf_electra":
            continue  # the root only re-exports, lazily
        own = rank(module)
        assert own is not None, f"{module} belongs to no layer; add it to LAYERS (and the README)"
        for target in imports(path):
            if target in ("tf_electra.__version__",):
                continue
            level = rank(target)
            assert level is not None, f"{module} imports {target}, which belongs to no layer"
            if level > own:
                upward.append(f"{module} (layer {own}) imports {target} (layer {level})")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def line_count(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


def test_no_module_is_long():
    long_ = {m: n for m, p in modules() if (n := line_count(p)) > MAX_LINES}
    assert not long_, f"modules over {MAX_LINES} lines: {long_}"


def test_the_layer_check_would_catch_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tf_electra.cli import main\n")
    assert list(imports(str(bad))) == ["tf_electra.cli"]
    assert rank("tf_electra.cli") > rank("tf_electra.layers.attention")


def test_every_public_name_imports():
    import tf_electra

    for name in tf_electra.__all__:
        assert getattr(tf_electra, name) is not None, name


@pytest.mark.parametrize(
    "old,name",
    [
        ("tf_electra.training.tasks", "encode_classification"),
        ("tf_electra.training.squad", "encode_question_answering"),
        ("tf_electra.training.metrics", "squad_metrics"),
        ("tf_electra.export", "export_saved_model"),
        ("tf_electra.tokenizer", "ElectraTokenizer"),
        ("tf_electra.google_checkpoint", "load_google_checkpoint"),
        ("tf_electra.training.finetune", "predict_file"),
    ],
)
def test_moved_names_still_import_with_a_deprecation_warning(old, name):
    import importlib

    module = importlib.import_module(old)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert callable(getattr(module, name))
    assert any(issubclass(w.category, DeprecationWarning) and name in str(w.message) for w in caught)


def test_importing_the_package_does_not_import_tensorflow():
    code = "import sys, tf_electra, tf_electra.cli; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_processes_tests_start_run_on_a_users_install():
    """The CLI's modules import without the test-only packages, and the processes the tests start do not see them
    (tools/own_install/sitecustomize.py): TensorFlow and Keras would import several, ~2 s a process."""
    from conftest import TEST_ONLY

    code = (
        "import sys, importlib.util, tf_electra.cli.commands, tf_electra.training.finetune;"
        f"print([n for n in {TEST_ONLY.split(',')} if sys.modules.get(n) or importlib.util.find_spec(n)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.split() == ["[]"], out.stderr[-2000:]
    shown = subprocess.run(
        [sys.executable, "-c", "import importlib.util; print(importlib.util.find_spec('torch') is not None)"],
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_ELECTRA_HIDDEN_PACKAGES=""),
    )
    assert shown.stdout.split() == ["True"], shown.stderr[-2000:]  # a test that needs one can see it


def test_the_configs_import_where_keras_is_marked_absent():
    """A process that hides Keras (a PyTorch cold start of tools/benchmark.py reads our presets) imports the
    configs: `import tf_electra` took the `None` that marks Keras absent for Keras itself and imported the models."""
    code = "from tf_electra.presets import preset_config_dict as c; print(c('electra-small-generator')['hidden_size'])"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, TF_ELECTRA_HIDDEN_PACKAGES="keras,tensorflow"),
    )
    assert out.returncode == 0 and out.stdout.split() == ["256"], out.stderr[-2000:]
