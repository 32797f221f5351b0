"""The tf-electra command line tool."""

import subprocess
import sys

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
