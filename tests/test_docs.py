"""Every task guide under docs/ runs as written (its Python blocks, in order, in a fresh process)."""

import os
import re
import subprocess
import sys

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
GUIDES = sorted(f for f in os.listdir(DOCS) if f.endswith(".md") and f != "README.md")


def test_every_task_has_a_guide():
    assert (
        sorted(
            [
                "sequence_classification.md",
                "token_classification.md",
                "question_answering.md",
                "language_modeling.md",
                "masked_language_modeling.md",
                "multiple_choice.md",
            ]
        )
        == GUIDES
    )


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_runs(guide, tmp_path):
    with open(os.path.join(DOCS, guide), encoding="utf-8") as f:
        text = f.read()
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    assert code, f"{guide} has no Python example"
    script = tmp_path / "guide.py"
    script.write_text(code)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
    )
    assert result.returncode == 0, f"{guide}:\n{result.stderr[-3000:]}"
