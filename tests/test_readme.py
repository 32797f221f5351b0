"""The README's Python examples run as written: in order, in one fresh process, in an empty folder.

The only thing they take from the user is a Google checkpoint folder (`electra_small/`): the test writes
a tiny one in the original's layout there first.
"""

import os
import re
import subprocess
import sys

import pytest

from fixtures import checkpoint_shapes
from fixtures import write_checkpoint

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")

pytestmark = pytest.mark.slow


def python_blocks():
    with open(README, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def test_the_readme_examples_run(tmp_path):
    blocks = python_blocks()
    assert len(blocks) >= 4, "the README lost its examples"
    shapes = checkpoint_shapes(model_size="small", model_hparam_overrides={"num_hidden_layers": 2}, vocab_size=200)
    os.makedirs(tmp_path / "electra_small")
    write_checkpoint(str(tmp_path / "electra_small" / "model.ckpt-1000"), shapes, std=0.02)
    # Blocks run in order, each announced, so the failure names the block that broke.
    script = "\n".join(f"print('BLOCK', {i}, flush=True)\n{code}" for i, code in enumerate(blocks))
    (tmp_path / "readme.py").write_text(script)
    result = subprocess.run([sys.executable, "readme.py"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-500:] + result.stderr[-3000:]
    assert f"BLOCK {len(blocks) - 1}" in result.stdout
    assert (tmp_path / "out" / "config.json").is_file() and (tmp_path / "m.keras").is_file()
