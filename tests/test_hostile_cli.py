"""Every command's mistakes end in one line, `tf-electra CMD: error: ...`, a non-zero exit, and nothing written.

Includes an unwritable destination (/sys refuses every write, even root's) and a full disk (a file-size
limit: writes past it fail as on a full disk).
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys

import pytest

import tf_electra

from conftest import run_cli
from conftest import tiny_config

pytestmark = pytest.mark.slow
UNWRITABLE = "/sys/tf_electra_test_output"


def full_disk():
    resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def run_full_disk(*args):
    return subprocess.run(
        [sys.executable, "-m", "tf_electra.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=full_disk,
    )


def one_line_error(result, command, message=""):
    """The error is the one last line of stderr (progress lines may come before it), with no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode in (1, 2), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert [ln for ln in lines if "error:" in ln] == lines[-1:], result.stderr
    assert f"tf-electra {command}: error: " in lines[-1] or lines[-1].startswith("tf-electra")
    assert message in lines[-1], (message, lines[-1])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    (root / "vocab.txt").write_text(
        "".join(
            f"{t}\n"
            for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            + "the film was good bad not a movie fun dull".split()
        )
    )
    tokenizer = tf_electra.ElectraTokenizer(str(root / "vocab.txt"))
    config = tiny_config(vocab_size=len(tokenizer), max_position_embeddings=32)
    tf_electra.TFElectraForSequenceClassification(config).save_pretrained(str(root / "model"), tokenizer=tokenizer)
    rows = "text,label\n" + "".join(f"the film was {w},{w}\n" for w in ["good", "bad"] * 8)
    (root / "train.csv").write_text(rows)
    (root / "header.csv").write_text("text,label\n")
    (root / "latin1.csv").write_bytes(b"text,label\nthe film,good\nthe caf\xe9,bad\n")
    (root / "long.csv").write_text("text,label\n" + "x" * 140000 + ",LABEL_0\n")
    (root / "corpus.txt").write_text("the film was good .\nnot a bad movie .\n\n" * 3000)
    (root / "a_file").write_text("not a folder")
    shutil.copytree(root / "model", root / "other_head")  # config.json names a head whose weights the folder lacks
    config_file = root / "other_head" / "config.json"
    config_file.write_text(
        config_file.read_text().replace("ElectraForSequenceClassification", "ElectraForTokenClassification")
    )
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "checkpoint")
    (root / "fifo_index").mkdir()
    os.mkfifo(root / "fifo_index" / "model.ckpt-1.index")  # TensorFlow's reader would block on it
    return root


CASES = [
    # (name, command line (with {root}), expected text)
    (
        "finetune max-length over positions",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o1 --max-length 384",
        "max_length 384 exceeds the model's max_position_embeddings 32",
    ),
    (
        "finetune lr nan",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o2 --learning-rate nan",
        "learning_rate must be a finite number",
    ),
    (
        "finetune lr -1",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o3 --learning-rate -1",
        "learning_rate must be in",
    ),
    (
        "finetune epochs 0",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o4 --epochs 0",
        "expected a positive integer",
    ),
    (
        "finetune reinit-layers -1",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/or1 --reinit-layers -1",
        "expected a whole number of at least 0, got -1",
    ),
    (
        "finetune reinit-layers over the layers",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/or2 --max-length 16 "
        "--reinit-layers 3",
        "reinit_layers 3 exceeds the model's 2 encoder layers",
    ),
    (
        "finetune column without =",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o5 --column text",
        "expected NAME=COLUMN",
    ),
    (
        "finetune unknown column",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o6 --column txt_column=a",
        "unknown column option(s) ['txt_column']",
    ),
    (
        "finetune output is a file",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/a_file",
        "is not a folder",
    ),
    (
        "finetune header only",
        "finetune {root}/model --task classification --train {root}/header.csv --output {root}/o7",
        "holds no examples",
    ),
    (
        "finetune not utf-8",
        "finetune {root}/model --task classification --train {root}/latin1.csv --output {root}/o8",
        "latin1.csv:3 is not UTF-8",
    ),
    (
        "finetune unwritable",
        f"finetune {{root}}/model --task classification --train {{root}}/train.csv --output {UNWRITABLE}",
        "Operation not permitted",
    ),
    ("predict header only", "predict {root}/model --input {root}/header.csv", "holds no examples"),
    (
        "predict output is a folder",
        "predict {root}/model --input {root}/train.csv --output {root}/model",
        "is or holds the input",  # the output is the model folder
    ),
    (
        "predict unwritable",
        f"predict {{root}}/model --input {{root}}/train.csv --output {UNWRITABLE}/p.jsonl",
        "Operation not permitted",
    ),
    ("evaluate long field", "evaluate {root}/model --input {root}/long.csv", ""),
    (
        "export max-length 0",
        "export {root}/model --output {root}/e1 --with-tokenizer --max-length 0",
        "expected a positive integer",
    ),
    (
        "export max-length over positions",
        "export {root}/model --output {root}/e2 --with-tokenizer --max-length 512",
        "max_length 512 exceeds the model's max_position_embeddings 32",
    ),
    ("export output is a file", "export {root}/model --output {root}/a_file", "is not a folder"),
    (
        "export version beyond int64",
        "export {root}/model --output {root}/e3 --version 9223372036854775808",
        "the largest TF Serving reads",
    ),
    ("export unwritable", f"export {{root}}/model --output {UNWRITABLE}", "cannot create"),
    (
        "export XLA fusion without int8",
        "export {root}/model --output {root}/e4 --fuse-with-xla",
        "--fuse-with-xla applies to --quantize int8 only",
    ),
    (
        "import-google hparams type",
        "import-google {root}/nothing --model discriminator --output {root}/i1",
        "does not exist",
    ),
    ("summary length 0", "summary electra-small-discriminator --length 0", "expected a positive integer"),
    (
        "build-vocab unwritable",
        f"build-vocab {{root}}/corpus.txt --output {UNWRITABLE}/v.txt",
        "Operation not permitted",
    ),
    ("build-vocab empty list", "build-vocab {root}/nothing.txt --output {root}/v.txt", "does not exist"),
    (
        "build-vocab min-frequency 2^64",  # was: OverflowError: int too big to convert
        "build-vocab {root}/corpus.txt --output {root}/v.txt --min-frequency 18446744073709551616",
        "min_frequency must be a whole number from 1 to 2**63 - 1, got 18446744073709551616",
    ),
    (
        "build-vocab vocab-size 2^40",
        "build-vocab {root}/corpus.txt --output {root}/v.txt --vocab-size 1099511627776",
        "vocab_size must be at most 16,777,216",
    ),
    (
        "build-pretraining-data unwritable",
        f"build-pretraining-data {{root}}/corpus.txt --vocab {{root}}/vocab.txt --output {UNWRITABLE}",
        "Operation not permitted",
    ),
    ("inspect missing", "inspect {root}/nothing", "does not exist"),
    ("export a head with random weights", "export {root}/other_head --output {root}/e4", "they would be random"),
    ("inspect a folder whose state file is a FIFO", "inspect {root}/fifo", "no checkpoint"),  # it used to hang
    ("inspect a folder whose index is a FIFO", "inspect {root}/fifo_index", "no checkpoint"),
    (
        "pretrain seed -1",
        "pretrain {root}/nothing --output {root}/p1 --seed -1",
        "a seed must lie in [0, 2**32), got -1",
    ),
    (
        "pretrain data not a folder",
        "pretrain {root}/nothing --output {root}/p2",
        "nothing is not a folder; pass the folder build-pretraining-data wrote",
    ),
    (
        "build-vocab over a folder",
        "build-vocab {root}/corpus.txt --output {root}/model --overwrite",
        "/model)",  # the folder asked for, not the temporary file beside it
    ),
    (
        "finetune seed 2^32",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/o9 --seed 4294967296",
        "a seed must lie in",
    ),
    (
        "predict over its input",
        "predict {root}/model --input {root}/train.csv --output {root}/train.csv",
        "is or holds the input",
    ),
    (
        "predict over a file of its model folder",
        "predict {root}/model --input {root}/train.csv --output {root}/model/config.json --overwrite",
        "is inside the model folder",
    ),
    ("predict over a file", "predict {root}/model --input {root}/train.csv --output {root}/a_file", "pass --overwrite"),
    (
        "build-vocab over its input",
        "build-vocab {root}/corpus.txt --output {root}/corpus.txt --overwrite",
        "is or holds the input",
    ),
    (
        "build-pretraining-data over its input's folder",
        "build-pretraining-data {root}/corpus.txt --vocab {root}/vocab.txt --output {root} --overwrite",
        "is or holds the input",
    ),
]


@pytest.mark.parametrize("name,command,message", CASES, ids=[c[0] for c in CASES])
def test_one_clear_line(workspace, name, command, message):
    args = command.format(root=workspace).split()
    inputs = {n: (workspace / n).read_bytes() for n in ("train.csv", "corpus.txt", "model/config.json", "a_file")}
    result = run_cli(*args)
    assert inputs == {n: (workspace / n).read_bytes() for n in inputs}  # no input is ever replaced
    if name == "evaluate long field":  # a 140,000-character field is read, not refused
        assert result.returncode == 0, result.stderr[-2000:]
        return
    one_line_error(result, args[0], message)
    for created in ("o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "e1", "e2", "e3", "i1", "v.txt"):
        path = workspace / created
        assert not path.exists() or not [n for n in os.listdir(path) if n != ".lock"], created


@pytest.mark.parametrize(
    "command, message",
    [
        (["inspect", "/nonexistent/run"], "/nonexistent/run.index does not exist: pass a checkpoint prefix"),
        (
            ["import-google", "/nonexistent/run", "--model", "generator", "--output", "x"],
            "/nonexistent/run.index does not exist",
        ),
        (["export", "/nonexistent", "--output", "x"], "/nonexistent does not exist (expected a model folder"),
        (["finetune", "/nonexistent", "--task", "classification", "--train", "t.csv", "--output", "x"], "/nonexistent"),
        (["predict", "/nonexistent", "--input", "t.csv"], "/nonexistent does not exist (expected a model folder"),
        (["evaluate", "acme/absent", "--input", "t.csv"], "'acme/absent' is not a local folder and is not in the"),
    ],
    ids=["inspect", "import-google", "export", "finetune", "predict", "evaluate"],
)
def test_a_missing_model_or_checkpoint_is_refused_before_tensorflow_is_imported(tmp_path, command, message):
    """TensorFlow made unimportable here: the refusal comes from the command's own check, run before the import."""
    hidden = ",".join(filter(None, [os.environ.get("TF_ELECTRA_HIDDEN_PACKAGES", ""), "tensorflow"]))
    result = run_cli(*command, env={"TF_ELECTRA_HIDDEN_PACKAGES": hidden}, cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.startswith(f"tf-electra {command[0]}: error: {message}"), result.stderr[-2000:]
    assert len(result.stderr.strip().splitlines()) == 1 and not os.listdir(tmp_path)


@pytest.mark.parametrize(
    "command",
    [
        "import-google {ckpt} --model discriminator --output {root}/full_import",
        "export {root}/model --output {root}/full_export",
        "finetune {root}/model --task classification --train {root}/train.csv --output {root}/full_finetune --epochs 1",
        "build-pretraining-data {root}/corpus.txt --vocab {root}/vocab.txt --output {root}/full_data --workers 1",
        "build-pretraining-data {root}/corpus.txt --vocab {root}/vocab.txt --output {root}/full_data2 --workers 2",
    ],
)
def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(workspace, tmp_path, command):
    from fixtures import checkpoint_shapes
    from fixtures import write_checkpoint

    ckpt = tmp_path / "ckpt"
    write_checkpoint(
        str(ckpt / "model.ckpt-1"),
        checkpoint_shapes(
            model_hparam_overrides={
                "hidden_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 1,
                "intermediate_size": 64,
            },
            embedding_size=32,
            vocab_size=15,
            max_position=32,
        ),
    )
    args = command.format(root=workspace, ckpt=ckpt).split()
    result = run_full_disk(*args)
    one_line_error(result, args[0])
    target = workspace / args[args.index("--output") + 1].split("/")[-1]
    assert ".tmp-" not in result.stderr, result.stderr  # files are named where the user asked for them
    if args[0] == "build-pretraining-data":
        assert f"{target.name}/pretrain_data.tfrecord-" in result.stderr, result.stderr
    leftovers = [n for n in os.listdir(workspace) if ".tmp-" in n]
    assert not leftovers, leftovers
    assert not target.exists() or not [n for n in os.listdir(target) if n != ".lock"] or args[0] == "finetune"
    if args[0] == "finetune":  # what a run leaves is consistent: no best/ with a half-written model
        best = target / "best"
        assert not best.exists() or json.loads((best / "config.json").read_text())


def test_overwrite_spares_checkpoints_inputs_and_live_runs(workspace, tmp_path):
    """--overwrite replaces model folders, never a training run, a folder holding the input, or a locked folder."""
    from tf_electra.utils.locks import folder_lock

    from fixtures import checkpoint_shapes
    from fixtures import write_checkpoint

    shapes = checkpoint_shapes(
        embedding_size=16,
        model_hparam_overrides=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=1, intermediate_size=64),
        generator_hidden_size=0.5,
        vocab_size=15,
    )
    run = tmp_path / "runs" / "run"
    write_checkpoint(str(run / "model.ckpt-10"), shapes)
    before = sorted(os.listdir(run))
    for output, message in ((run, "is or holds the input"), (run.parent, "is or holds the input")):
        result = run_cli("import-google", run, "--model", "discriminator", "--output", output, "--overwrite")
        one_line_error(result, "import-google", message)
    a_file = tmp_path / "a_file"
    a_file.write_text("keep")
    for output, message in ((a_file, "exists and is not a folder"), ("", "the output must be a non-empty path")):
        result = run_cli("import-google", run, "--model", "discriminator", "--output", output, "--overwrite")
        one_line_error(result, "import-google", message)
    assert a_file.read_text() == "keep"
    corpus = f"{workspace}/corpus.txt"
    result = run_cli(
        "build-pretraining-data", corpus, "--vocab", f"{workspace}/vocab.txt", "--output", run, "--overwrite"
    )
    one_line_error(result, "build-pretraining-data", "holds training checkpoints")
    assert sorted(os.listdir(run)) == before
    live = tmp_path / "live"
    with folder_lock(str(live), "pre-training run"):
        (live / "metrics.json").write_text("{}")  # a run that has not saved a checkpoint yet
        result = run_cli(
            "build-pretraining-data", corpus, "--vocab", f"{workspace}/vocab.txt", "--output", live, "--overwrite"
        )
        one_line_error(result, "build-pretraining-data", "in use by a running process")
