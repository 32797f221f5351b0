"""tools/benchmark.py's command line: the interpreters that run each family's cold starts."""

import os
import sys
import types

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))

import benchmark
import benchmark_serving
from bench import runner
from bench.impls import IMPL_ENV
from bench.impls import IMPLS
from bench.impls import variant_settings
from bench.pretraining import HF_KEYS

from conftest import int8_problem
from conftest import tiny_config
from conftest import torch_or_skip


def fake_python(tmp_path, name="python"):
    """An executable that records its arguments and prints what coldstart.py prints."""
    path = tmp_path / name
    path.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args.txt\necho \'PHASES{{"import": 0.5}}\'\n')
    path.chmod(0o755)
    return str(path)


def test_each_family_can_have_its_own_interpreter(tmp_path):
    torch_python, ours_python = fake_python(tmp_path, "torch-python"), fake_python(tmp_path, "ours-python")
    args = benchmark.parse_args(
        [f"--cold-start-python=torch={torch_python}", "--cold-start-python", f"ours={ours_python}"]
    )
    assert args.cold_start_python == {"torch": torch_python, "ours": ours_python}
    assert benchmark.parse_args([]).cold_start_python == {}


def test_a_cold_start_runs_with_the_chosen_interpreter(tmp_path):
    python = fake_python(tmp_path)
    quiet = types.SimpleNamespace(wait=lambda: None)
    result = runner._spawn_timed(["train", "torch", "electra-small-discriminator"], "torch", quiet, python)
    assert result["phases"] == {"import": 0.5} and result["wall_s"] > 0
    assert (tmp_path / "args.txt").read_text().split()[1:] == ["train", "torch", "electra-small-discriminator"]


@pytest.mark.parametrize("family, hidden, seen", [("ours", "torch", "tensorflow"), ("torch", "tensorflow", "torch")])
def test_without_an_interpreter_a_cold_start_hides_the_other_frameworks_packages(family, hidden, seen):
    """In this shared virtualenv each family starts as in its own install: TensorFlow imports jax, pandas and
    scikit-learn when they are there, transformers imports TensorFlow."""
    import subprocess

    env = dict(os.environ, **runner.own_install_env(family))
    code = "import importlib.util as u, sys; print([u.find_spec(n) is not None for n in sys.argv[1:]])"
    names = [hidden, seen, "jax", "sklearn"]
    out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["[False,", "True,", "False,", "False]"], out.stderr[-2000:]
    assert set(runner.NOT_INSTALLED["ours"].split(",")).isdisjoint({"tensorflow", "keras", "tokenizers", "h5py"})


@pytest.mark.parametrize(
    "value, message",
    [
        ("torch", "expected torch=PYTHON or ours=PYTHON"),
        ("jax={python}", "expected torch=PYTHON or ours=PYTHON"),
        ("torch=", "expected torch=PYTHON or ours=PYTHON"),
        ("torch={missing}", "is not an executable file"),
        ("torch={plain}", "is not an executable file"),
        ("torch={folder}", "is not an executable file"),
    ],
)
def test_a_bad_interpreter_is_one_error_line(tmp_path, capsys, value, message):
    plain = tmp_path / "plain.txt"
    plain.write_text("not a program")
    value = value.format(python=fake_python(tmp_path), missing=tmp_path / "nothing", plain=plain, folder=tmp_path)
    with pytest.raises(SystemExit) as stop:
        benchmark.parse_args(["--cold-start-python", value])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: --cold-start-python" in error and message in error


@pytest.mark.parametrize(
    "args,message",
    [
        (["--shapes", "8x"], "--shapes '8x': expected BATCHxSEQ"),
        (["--shapes", "0x128"], "both at least 1"),
        (["--presets", "electra-tiny"], "unknown presets ['electra-tiny']"),
        (["--rounds", "0"], "--rounds must be at least 1"),
        (["--quiet-wait", "-5"], "--quiet-wait at least 0"),
        (["--groups", ","], "--groups names nothing to measure"),  # measured nothing for an hour's setup
        (["--tasks", ","], "--tasks names nothing to measure"),
        (["--json", "/nonexistent/out.json"], "--json /nonexistent/out.json: cannot write in /nonexistent"),
        (["--json", "/proc/out.json"], "--json /proc/out.json: cannot write in /proc"),  # found after an hour
        (["--json", "/tmp"], "--json /tmp is a folder"),
        (["--json", ""], "--json needs a file name"),
    ],
)
def test_bad_benchmark_arguments_are_one_error_line_before_any_measurement(args, message, capsys):
    assert benchmark.parse_args(["--presets", "google/electra-small-discriminator"]).presets  # a hub name is fine
    with pytest.raises(SystemExit) as stop:
        benchmark.parse_args(args)
    assert stop.value.code == 2 and message in capsys.readouterr().err.strip().splitlines()[-1]


def test_a_family_given_twice_is_refused(tmp_path, capsys):
    python = fake_python(tmp_path)
    with pytest.raises(SystemExit):
        benchmark.parse_args(["--cold-start-python", f"torch={python}", "--cold-start-python", f"torch={python}"])
    assert "torch given twice" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, env",
    [
        ("tf_electra", {}),
        ("tf_electra XLA-elementwise mixed_bfloat16", {"TF_ELECTRA_XLA": "elementwise"}),
        ("tf_electra frozen-weights bfloat16", {"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "1"}),
        ("tf_electra default-allocator", {"TF_CPU_ALLOCATOR_USE_BFC": "false"}),
        (
            "tf_electra frozen-weights XLA-elementwise bfloat16",
            {"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "1", "TF_ELECTRA_XLA": "elementwise"},
        ),
    ],
)
def test_each_variant_runs_in_the_environment_it_names(name, env):
    assert IMPL_ENV[name] == env
    process = runner.worker_env(name, {"EXTRA": "1"})  # what runner.Worker starts the process with
    assert process["TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"] == ("1" if "frozen" in name else "0")
    assert process["KERAS_BACKEND"] == "tensorflow" and process["EXTRA"] == "1"
    assert all(process[key] == value for key, value in env.items())
    assert variant_settings(IMPLS[name][3])[1] in ("fp32", "bf16", "pure_bf16")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rounds", "0"], "must be positive"),
        (["--calls", "0"], "must be positive"),
        (["--batch", "0"], "must be positive"),
        (["--seq", "-1"], "must be positive"),
        (["--exports", "float16"], "--exports: choose from"),
        (["--exports", ","], "--exports: choose from"),
    ],
)
def test_the_serving_benchmark_refuses_bad_arguments(args, message, capsys):
    with pytest.raises(SystemExit) as raised:
        benchmark_serving.main(args)
    assert raised.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.slow
def test_the_serving_benchmark_serves_an_export_with_and_without_frozen_weights(capsys):
    args = ["--presets", "electra-small-discriminator", "--rounds", "1", "--calls", "2", "--batch", "1", "--seq", "8"]
    exports = ["float32", "int8-xla" if int8_problem() is None else "bfloat16"]  # (int8 needs a capable CPU)
    assert benchmark_serving.main([*args, "--exports", ",".join(exports)]) == 0
    rows = [line.split("|") for line in capsys.readouterr().out.splitlines() if line.startswith("| electra-small")]
    assert [row[2].strip() for row in rows] == exports
    for row in rows:
        off, on, ratio, versus = row[3:7]
        assert float(off) > 0 and float(on) > 0 and ratio.strip().endswith("x") and versus.strip().endswith("x")


@pytest.mark.parametrize(
    "presets, tempdir, message",
    [
        ("electra-small-discriminator", "/sys/kernel", "error: [Errno"),  # /sys refuses every write, even root's
        ("electra-huge", None, "error: "),
    ],
)
def test_the_serving_benchmark_fails_in_one_line(monkeypatch, capsys, presets, tempdir, message):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", tempdir)
    assert benchmark_serving.main(["--presets", presets, "--rounds", "1", "--calls", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err


@pytest.mark.parametrize(
    "tool,args,message",
    [
        ("benchmark_tokenizer.py", ["--vocab", "/nonexistent/none.txt"], "none.txt is not a file"),  # was exit 0
        ("benchmark_gpu.py", ["--preset", "nope"], "unknown --preset 'nope'"),
        ("benchmark_gpu.py", ["--batches", "2,x"], "--batches and --seqs take comma-separated integers"),
        ("benchmark_import.py", ["--sizes", "tiny"], "--sizes takes small, base and large, got ['tiny']"),
        ("benchmark_pretraining.py", ["--groups", ","], "--groups names nothing to measure"),
        ("benchmark_pretraining.py", ["--json", "/proc/out.json"], "--json /proc/out.json: cannot write in /proc"),
        # pretraining_reference.py: a ZeroDivisionError, and (3 of 5) a run that printed nothing with exit 0
        ("pretraining_reference.py", ["d", "v", "--impl", "ours", "--every", "0"], "expected a positive integer"),
        ("pretraining_reference.py", ["d", "v", "--impl", "ours", "--steps", "3", "--every", "5"], "does not divide"),
        ("pretraining_reference.py", ["d", "v", "--impl", "ours", "--hparams", "{bad"], "--hparams is not JSON"),
        ("pretraining_reference.py", ["d", "v", "--impl", "ours", "--hparams", "[1]"], "must be a JSON object"),
        ("pretraining_reference.py", ["d", "/nonexistent/v.txt", "--impl", "ours"], "v.txt"),  # was a traceback
    ],
)
def test_the_other_benchmark_tools_refuse_bad_arguments_in_one_line(tool, args, message):
    import subprocess

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", tool)
    result = subprocess.run([sys.executable, path, *args], capture_output=True, text=True, timeout=300)
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert message in result.stderr.strip().splitlines()[-1] and "error: " in result.stderr.strip().splitlines()[-1]


def test_a_worker_that_died_answers_with_an_error_and_the_run_goes_on():
    # A worker killed mid-run (out of memory, say) was a BrokenPipeError that lost every result so far.
    import subprocess

    worker = runner.Worker.__new__(runner.Worker)
    worker.name, worker.other_lines = "ours", []
    worker.proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.exit(3)"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    worker.proc.wait()
    for _ in range(2):
        assert worker.send({"op": "time", "repeat": 1}) == {"error": "the ours worker exited (code 3)"}
    worker.close()


def test_the_serving_benchmark_leaves_int8_out_where_the_cpu_cannot_run_it(monkeypatch, capsys):
    # Was: float32 and bfloat16 measured for minutes, then an error at the first int8 export.
    from tf_electra.serving import quantize

    monkeypatch.setattr(quantize, "int8_problem", lambda: "int8 export needs a CPU on which ...")
    with pytest.raises(SystemExit) as raised:
        benchmark_serving.main(["--exports", "float32,int8"])
    assert raised.value.code == 2
    assert "--exports float32,int8: int8 export needs a CPU on which" in capsys.readouterr().err
    measured = []
    monkeypatch.setattr(benchmark_serving, "measure", lambda args: measured.append(args.exports))
    assert benchmark_serving.main([]) == 0  # the default list: int8 left out, the rest measured
    assert measured == [["float32", "bfloat16"]]
    assert "# int8 left out: int8 export needs a CPU on which" in capsys.readouterr().out


@pytest.mark.parametrize(
    "dtype, flags, count",
    [("float32", [], 2), ("bfloat16", [], 1), ("bfloat16", ["avx512_bf16"], 2), ("bfloat16", ["amx_bf16"], 2)],
)
def test_emulated_bfloat16_products_are_timed_on_the_small_shape_only(dtype, flags, count):
    # On an AVX2-only CPU PyTorch's one 4096^3 bfloat16 product ran for minutes before any case was timed.
    from bench import worker

    assert worker.ceiling_shapes(dtype, flags) == worker.SHAPES[:count]


def test_a_kernel_probe_that_failed_is_a_line_of_the_report_not_a_crash():
    # On a CPU without the int8 kernel the probe's {"error": ...} crashed the report after 17 minutes of measuring.
    from bench import report

    run = dict(started="now", cpu="cpu", cores=2, flags=[], python="3.11", versions={}, load_before=0.1)
    run.update(load_after=0.2, busy={"busy": 0, "timings": 4, "max_foreign": 0.0}, cases=[])
    run["kernels"] = {"tf_electra int8": {"error": "int8 export needs a CPU"}, "tf_electra": {"gemm:jit (f32)": 74.0}}
    text = report.markdown(run, {})
    assert "- tf_electra int8: error: int8 export needs a CPU" in text
    assert "- tf_electra: gemm:jit (f32) x74; AMX: no" in text


@pytest.mark.slow
def test_each_tensorflow_worker_reports_the_cpu_allocator_it_got():
    """Ours gets the BFC allocator that `import tf_electra` chooses; the default-allocator variant does not, so one
    run shows what the choice does; a PyTorch worker has no TensorFlow allocator to report (token ids start at 1000)."""
    torch_or_skip()  # the PyTorch worker
    cfg = {k: v for k, v in tiny_config(vocab_size=1100).to_dict().items() if k in HF_KEYS}
    got = {}
    for name in ("tf_electra", "tf_electra default-allocator", "PyTorch fp32"):
        worker = runner.Worker(name, extra_env={"TF_ELECTRA_HIDDEN_PACKAGES": ""})  # torch visible
        try:
            reply = worker.send(dict(op="setup", cfg=cfg, batch=2, seq=8, task="train", variant=IMPLS[name][3]))
        finally:
            worker.close()
        assert "error" not in reply, reply
        got[name] = reply["allocator"]
    from tensorflow.python.util import _pywrap_util_port

    # TensorFlow's default allocator is oneDNN's own where oneDNN is on (CPUs with AVX-512 VNNI/BF16 or AMX)
    default = "onednn" if _pywrap_util_port.IsMklEnabled() else "default"
    assert got == {"tf_electra": "bfc", "tf_electra default-allocator": default, "PyTorch fp32": None}


def test_the_peers_run_without_the_allocator_choice_that_importing_tf_electra_made(monkeypatch):
    """The driver imports tf_electra, so its environment holds our TF_CPU_ALLOCATOR_USE_BFC; a peer's process
    gets TensorFlow's default as its users have it, while a value the user set reaches every process."""
    from tf_electra.utils import allocator
    from tf_electra.utils import environment

    monkeypatch.delenv(allocator.ENV, raising=False)
    monkeypatch.delenv(allocator.LIMIT_ENV, raising=False)
    monkeypatch.setattr(environment, "_chosen", {})
    monkeypatch.setenv(environment.RECORD_ENV, "{}")  # (choose writes it: restored after the test)
    assert allocator.prefer_bfc_allocator() is True  # as at `import tf_electra`
    assert os.environ[allocator.ENV] == "true"
    for name in ("KerasHub", "KerasHub XLA", "transformers-4 TF tf.function", "PyTorch fp32"):
        assert allocator.ENV not in runner.worker_env(name), name
    assert runner.worker_env("tf_electra")[allocator.ENV] == "true"
    assert runner.worker_env("tf_electra default-allocator")[allocator.ENV] == "false"
    monkeypatch.setenv(allocator.ENV, "1")  # the user's own choice
    assert runner.worker_env("KerasHub")[allocator.ENV] == "1"


@pytest.mark.parametrize("user_flags", [None, "--tf_xla_min_cluster_size=4"])
def test_the_peers_run_without_the_xla_flags_that_importing_tf_electra_added(monkeypatch, user_flags):
    """Run with TF_ELECTRA_XLA=elementwise, the driver's import adds our flags to TF_XLA_FLAGS: a peer starts with
    TF_XLA_FLAGS as the user set it (or without it), ours with the flags; a value the user sets later is kept."""
    from tf_electra.utils import environment
    from tf_electra.utils import graph_rewrites

    monkeypatch.setattr(environment, "_chosen", {})
    monkeypatch.setenv(environment.RECORD_ENV, "{}")  # (choose writes it: restored after the test)
    monkeypatch.setenv(graph_rewrites.XLA_ENV, "elementwise")
    if user_flags is None:
        monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    else:
        monkeypatch.setenv("TF_XLA_FLAGS", user_flags)
    assert graph_rewrites.prepare_xla_flags() is True  # as at `import tf_electra`
    ours = os.environ["TF_XLA_FLAGS"]
    assert "--tf_xla_ops_to_cluster=FUSIBLE" in ours
    for name in ("KerasHub", "KerasHub XLA", "transformers-4 TF tf.function", "PyTorch fp32"):
        assert runner.worker_env(name).get("TF_XLA_FLAGS") == user_flags, name
    assert runner.worker_env("tf_electra")["TF_XLA_FLAGS"] == ours
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_min_cluster_size=8")  # the user's, set after the import
    assert runner.worker_env("KerasHub")["TF_XLA_FLAGS"] == "--tf_xla_min_cluster_size=8"
    assert graph_rewrites.prepare_xla_flags() is True  # again, as a fit does: ours added to the user's new value
    assert "--tf_xla_ops_to_cluster=FUSIBLE" in os.environ["TF_XLA_FLAGS"]
    assert runner.worker_env("KerasHub")["TF_XLA_FLAGS"] == "--tf_xla_min_cluster_size=8"


def test_the_serving_processes_run_without_our_allocator_choice(monkeypatch):
    """They stand in for TF Serving, which never imports tf_electra."""
    from tf_electra.utils import allocator
    from tf_electra.utils import environment

    monkeypatch.delenv(allocator.ENV, raising=False)
    monkeypatch.delenv(allocator.LIMIT_ENV, raising=False)
    monkeypatch.setattr(environment, "_chosen", {})
    monkeypatch.setenv(environment.RECORD_ENV, "{}")  # (choose writes it: restored after the test)
    allocator.prefer_bfc_allocator()
    seen = {}

    def fake_run(command, env, **kwargs):
        seen.update(env)
        return types.SimpleNamespace(returncode=0, stdout='RESULT{"ms": 1.0, "peak_rss_mb": 1.0}', stderr="")

    monkeypatch.setattr(benchmark_serving.subprocess, "run", fake_run)
    args = types.SimpleNamespace(batch=1, seq=8, calls=1)
    assert benchmark_serving.run_server("/nowhere", True, args)["ms"] == 1.0
    assert allocator.ENV not in seen and seen["TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"] == "1"
