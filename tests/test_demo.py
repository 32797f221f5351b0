"""The README's main job: `tf-electra demo` runs the whole pipeline and serves correct answers."""

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_every_stage(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tf_electra.cli", "demo", "--workdir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for stage in range(1, 8):
        assert f"=== [{stage}/7]" in out
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy >= 0.95, out[-2000:]
    # the fresh serving process labels both word-order variants correctly
    assert "'the movie was not boring but brilliant': positive" in out
    assert "'the movie was not brilliant but boring': negative" in out
    assert os.path.isfile(tmp_path / "demo" / "serving" / "1" / "saved_model.pb")
