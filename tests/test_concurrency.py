"""Shared objects under threads, concurrent writers, and the permissions of what is written."""

import json
import os
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import tf_electra

from conftest import run_cli
from conftest import tiny_config

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + "the film was good bad not a movie fun dull ##s".split()


@pytest.fixture(scope="module")
def vocab(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    path.write_text("".join(t + "\n" for t in VOCAB))
    return str(path)


def run_threads(count, target):
    errors, threads = [], []

    def guarded(i):
        try:
            target(i)
        except Exception as e:  # collected and reported below
            errors.append(e)

    for i in range(count):
        threads.append(threading.Thread(target=guarded, args=(i,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


SETTINGS = [
    dict(padding=True),
    dict(truncation=True, max_length=5),
    dict(padding="max_length", max_length=8),
    dict(),
    dict(padding=True, truncation=True, max_length=4),
]


def test_one_tokenizer_shared_by_eight_threads_with_mixed_settings(vocab):
    tokenizer = tf_electra.ElectraTokenizer(vocab)
    texts = [["the film was good", "not a bad movie at all"], ["the film"], ["a movie was fun , not dull"]]
    expected = {(i, j): tokenizer(texts[j], **SETTINGS[i])["input_ids"] for i in range(5) for j in range(3)}

    def work(thread):
        for k in range(125):
            i, j = (thread + k) % 5, k % 3
            assert tokenizer(texts[j], **SETTINGS[i])["input_ids"] == expected[(i, j)]

    assert run_threads(8, work) == []


def test_one_model_shared_by_eight_threads_gives_identical_outputs():
    model = tf_electra.TFElectraForSequenceClassification(tiny_config())
    ids = np.random.default_rng(0).integers(1, 64, (4, 12)).astype("int32")
    expected = model(ids).logits.numpy()
    results = [None] * 8

    def work(i):
        results[i] = [model(ids).logits.numpy() for _ in range(5)]

    assert run_threads(8, work) == []
    assert all(np.array_equal(r, expected) for rs in results for r in rs)


def test_two_saves_into_one_new_folder_one_wins_and_the_other_fails(tmp_path):
    models = [tf_electra.TFElectraForPreTraining(tiny_config()) for _ in range(2)]
    target = tmp_path / "model"
    outcomes = [None, None]

    def save(i):
        try:
            models[i].save_pretrained(str(target))
            outcomes[i] = "saved"
        except FileExistsError as e:
            outcomes[i] = str(e)

    assert run_threads(2, save) == []
    assert sorted(o == "saved" for o in outcomes) == [False, True], outcomes
    winner = outcomes.index("saved")
    loaded = tf_electra.TFElectraForPreTraining.from_pretrained(str(target))
    np.testing.assert_array_equal(loaded.get_weights()[0], models[winner].get_weights()[0])
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]


@pytest.mark.slow
def test_concurrent_exports_take_the_next_free_versions(tmp_path):
    tf_electra.TFElectraForSequenceClassification(tiny_config()).save_pretrained(str(tmp_path / "model"))
    command = [
        sys.executable,
        "-m",
        "tf_electra.cli",
        "export",
        str(tmp_path / "model"),
        "--output",
        str(tmp_path / "serving"),
    ]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-1000:] for _, err in outputs]
    assert sorted(os.listdir(tmp_path / "serving")) == ["1", "2", "3"]


@pytest.mark.slow
def test_a_second_finetune_into_a_running_runs_folder_fails_clearly(vocab, tmp_path):
    tokenizer = tf_electra.ElectraTokenizer(vocab)
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(vocab_size=len(tokenizer)))
    model.save_pretrained(str(tmp_path / "model"), tokenizer=tokenizer)
    (tmp_path / "train.csv").write_text("text,label\n" + "the film was good,good\nnot a good movie,bad\n" * 400)
    args = [
        "finetune",
        str(tmp_path / "model"),
        "--task",
        "classification",
        "--train",
        str(tmp_path / "train.csv"),
        "--output",
        str(tmp_path / "run"),
        "--epochs",
        "3",
        "--batch-size",
        "4",
        "--max-length",
        "32",
        "--quiet",
    ]
    first = subprocess.Popen(
        [sys.executable, "-m", "tf_electra.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lock = tmp_path / "run" / ".lock"
    deadline = time.time() + 120
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        assert time.time() < deadline and first.poll() is None
        time.sleep(0.1)
    second = run_cli(*args)
    assert second.returncode == 1 and f"in use by another fine-tuning run (process {first.pid})" in second.stderr
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, err[-2000:]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"]


def modes(root):
    """{relative path: permission bits} of everything under root."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            out[os.path.relpath(path, root)] = stat.S_IMODE(os.stat(path).st_mode)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_written_files_get_the_permissions_the_umask_gives(vocab, tmp_path, umask):
    (tmp_path / "train.csv").write_text("text,label\n" + "the film was good,good\nnot a good movie,bad\n" * 8)
    script = f"""
import os, sys
os.umask({umask})
import tf_electra
from conftest import tiny_config
root = {str(tmp_path)!r}
tokenizer = tf_electra.ElectraTokenizer({vocab!r})
model = tf_electra.TFElectraForSequenceClassification(tiny_config(vocab_size=len(tokenizer)))
model.save_pretrained(root + "/saved", tokenizer=tokenizer)
tf_electra.finetune(root + "/saved", "classification", root + "/train.csv", root + "/run", epochs=1, max_length=32,
                    verbose=0)
from tf_electra.training.predict import predict_file
predict_file(root + "/run", root + "/train.csv", output=root + "/predictions.jsonl", max_length=32)
tf_electra.export_saved_model(tf_electra.load_model_dir(root + "/run"), root + "/serving", tokenizer=tokenizer)
"""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(__file__))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    folder_mode, file_mode = 0o777 & ~umask, 0o666 & ~umask
    written = {}
    for name in ("saved", "run", "serving"):
        written.update({f"{name}/{k}": v for k, v in modes(tmp_path / name).items()})
    written["predictions.jsonl"] = stat.S_IMODE(os.stat(tmp_path / "predictions.jsonl").st_mode)
    wrong = {
        k: oct(v)
        for k, v in written.items()
        if k.endswith(".lock") is False and v != (folder_mode if (tmp_path / k).is_dir() else file_mode)
    }
    assert not wrong, wrong
    assert "serving/1/assets/labels.txt" in written and "run/best/model.safetensors" in written


@pytest.mark.parametrize("existed", [False, True])
def test_a_run_that_fails_before_writing_leaves_no_new_folder_behind(tmp_path, existed):
    from tf_electra.utils.locks import folder_lock

    folder = tmp_path / "out"
    if existed:
        folder.mkdir()
    with pytest.raises(RuntimeError, match="bad input"), folder_lock(str(folder)):
        assert (folder / ".lock").read_text() == str(os.getpid())
        raise RuntimeError("bad input")
    assert folder.exists() is existed
    with folder_lock(str(folder)):
        (folder / "model.keras").write_text("x")
    assert sorted(os.listdir(folder)) == [".lock", "model.keras"]  # a run that finished keeps its folder
    created = tmp_path / "done"
    with folder_lock(str(created)):
        pass
    assert created.is_dir()  # nothing written, but no failure: the folder stays for what comes next
    failed = tmp_path / "failed-after-writing"
    with pytest.raises(RuntimeError), folder_lock(str(failed)):
        (failed / "partial.json").write_text("{}")
        raise RuntimeError("later step")
    assert (failed / "partial.json").exists()  # never deletes what the run wrote
