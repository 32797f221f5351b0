"""Every guide under docs/ runs as written (its Python blocks, in order, in a fresh process) and learns."""

import os
import re
import subprocess
import sys

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
REFERENCE_PAGES = {"README.md", "checkpoint_format.md"}  # no code to run
GUIDES = sorted(f for f in os.listdir(DOCS) if f.endswith(".md") and f not in REFERENCE_PAGES)


def python_blocks(path):
    with open(path, encoding="utf-8") as f:
        return "\n".join(re.findall(r"```python\n(.*?)```", f.read(), flags=re.S))


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
                "pretraining.md",
            ]
        )
        == GUIDES
    )


def test_the_index_links_every_page():
    with open(os.path.join(DOCS, "README.md"), encoding="utf-8") as f:
        index = f.read()
    for page in GUIDES + ["checkpoint_format.md"]:
        assert f"({page})" in index, page


@pytest.mark.slow
@pytest.mark.parametrize("guide", GUIDES)
def test_guide_runs_and_learns(guide, tmp_path):
    code = python_blocks(os.path.join(DOCS, guide))
    assert code, f"{guide} has no Python example"
    assert "assert " in code, f"{guide} must check that its example learns (or say why it cannot)"
    script = tmp_path / "guide.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{guide}:\n{result.stderr[-3000:]}"
