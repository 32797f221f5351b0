"""The tf-electra command line tool."""

import gc
import importlib
import pathlib
import signal
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from tf_electra import cli


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "summary" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().out


@pytest.mark.parametrize(
    "length, message",
    [
        ("1000000000", "the presets' models have 512 positions, got 1000000000"),  # 2 x 10^9 ids filled the memory
        ("99999999999999999999999", "512 positions"),
        ("0", "expected a positive integer"),
        ("2.5", "expected a positive integer"),
    ],
)
def test_summary_refuses_a_length_before_building_anything(capsys, length, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["summary", "electra-small-discriminator", "--length", length])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err.strip().splitlines()[-1] and "Traceback" not in err


def test_the_program_runs_the_command_then_spares_the_shutdown_its_collections(monkeypatch):
    program = importlib.import_module("tf_electra.cli.main")  # the package exports the function `main`
    monkeypatch.setattr(program, "main", lambda argv=None: 3)
    before = gc.get_freeze_count()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert program.run(["summary"]) == 3
        assert gc.get_freeze_count() > before
        # Was: a second Ctrl-C after the command printed a traceback from the collection or the shutdown.
        assert [signal.getsignal(sig) for sig in handlers] == [signal.SIG_IGN, signal.SIG_IGN]
    finally:
        for sig, handler in handlers.items():  # this test process goes on
            signal.signal(sig, handler)
        if before == 0:
            gc.unfreeze()  # and collecting
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "tf-electra"]
    assert script.value == "tf_electra.cli.main:run"
    assert "sys.exit(run())" in pathlib.Path(program.__file__).with_name("__main__.py").read_text()


@pytest.mark.slow
def test_summary_builds_a_preset_and_runs_a_forward_pass():
    result = subprocess.run(
        [sys.executable, "-m", "tf_electra.cli", "summary", "electra-small-discriminator", "--length", "8"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "13,549,057" in result.stdout  # ELECTRA-Small discriminator parameters
    assert "logits: shape (2, 8), dtype float32" in result.stdout


def test_the_data_commands_start_without_tensorflow(tmp_path):
    """Was: every command imported TensorFlow first (~4 s and 700 MB here), build-vocab too, which never uses it,
    and build-pretraining-data, whose worker processes write the shards."""
    (tmp_path / "text.txt").write_text("the cat sat on the mat .\nthe dog sat on the log .\n" * 20, encoding="utf-8")
    text, vocab, data = (str(tmp_path / name) for name in ("text.txt", "v.txt", "data"))
    code = (
        "import sys; from tf_electra.cli.main import main; "
        f"status = main(['build-vocab', {text!r}, '--output', {vocab!r}]); "
        f"status += main(['build-pretraining-data', {text!r}, '--vocab', {vocab!r}, '--output', {data!r}, "
        "'--max-seq-length', '16', '--shards', '2', '--workers', '2']); "
        "print(status, sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    tokens = (tmp_path / "v.txt").read_text().splitlines()
    lines = result.stdout.splitlines()
    assert lines[0] == f"wrote {len(tokens)} tokens to {vocab}" and lines[-1] == "0 []", (result.stdout, result.stderr)
    assert lines[1].startswith("wrote ") and lines[1].endswith(f" examples of 16 tokens in 2 shards to {data}")
    assert tokens[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] and "sat" in tokens


def test_build_vocab_takes_the_alphabet_limit_its_warning_names(tmp_path, capsys):
    """Was: the warning said to lower limit_alphabet, which the command did not take."""
    import collections

    text = "the cat sat on the mat\nthe dog sat on the log\n" * 3
    (tmp_path / "text.txt").write_text(text, encoding="utf-8")
    vocab = tmp_path / "v.txt"
    assert cli.main(["build-vocab", str(tmp_path / "text.txt"), "--output", str(vocab), "--limit-alphabet", "5"]) == 0
    tokens = vocab.read_text().splitlines()
    counts = collections.Counter(text.replace(" ", "").replace("\n", ""))
    assert [t for t in tokens[5:] if len(t) == 1] == sorted(sorted(sorted(counts), key=lambda c: -counts[c])[:5])
