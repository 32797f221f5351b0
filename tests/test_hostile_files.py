"""Hostile files and folders: weights, configs, tokenizers and checkpoints that are wrong, corrupt or malicious.

Each case raises one error naming the file (and the tensor, field or line) before anything is built
or written; none loads silently wrong values.
"""

import json
import os
import shutil
import time

import numpy as np
import pytest
from safetensors.numpy import save_file

import tf_electra
from tf_electra import ConfigError
from tf_electra import TokenizerError
from tf_electra import WeightsError
from tf_electra.errors import CheckpointError

from conftest import tiny_config


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "good"
    tf_electra.TFElectraForPreTraining(tiny_config()).save_pretrained(str(path))
    return path


def copy(folder, tmp_path, name="case"):
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


def edit_config(path, **changes):
    config = json.loads((path / "config.json").read_text())
    config.update(changes)
    (path / "config.json").write_text(json.dumps(config))


def edit_weights(path, change):
    from safetensors.numpy import load_file

    tensors = dict(load_file(str(path / "model.safetensors")))
    change(tensors)
    save_file(tensors, str(path / "model.safetensors"), metadata={"format": "pt"})


def cast(key, dtype):
    return lambda t: t.__setitem__(key, t[key].astype(dtype))


WORD = "electra.embeddings.word_embeddings.weight"
CASES = {
    "uint8 weights": (lambda p: edit_weights(p, cast(WORD, np.uint8)), WeightsError, f"{WORD}' has dtype uint8"),
    "int32 weights": (lambda p: edit_weights(p, cast(WORD, np.int32)), WeightsError, "has dtype int32"),
    "bool weights": (lambda p: edit_weights(p, cast(WORD, bool)), WeightsError, "has dtype bool"),
    "shard outside the folder": (
        lambda p: [
            (p / "model.safetensors").rename(p / "x.safetensors"),
            (p / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {WORD: "../../etc/x"}})),
        ],
        WeightsError,
        "lies outside the model folder",
    ),
    "absolute shard path": (
        lambda p: (
            (p / "model.safetensors").unlink()
            or (p / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {WORD: "/etc/passwd"}}))
        ),
        WeightsError,
        "outside the model folder",
    ),
    "index without weight_map": (
        lambda p: (p / "model.safetensors").unlink() or (p / "model.safetensors.index.json").write_text("[1, 2]"),
        WeightsError,
        "not a valid safetensors index",
    ),
    "100000 layers": (lambda p: edit_config(p, num_hidden_layers=100000), WeightsError, "only 2 layers"),
    "vocab 2e8": (lambda p: edit_config(p, vocab_size=200000000), WeightsError, "vocab_size=200000000"),
    "dropout as a string": (lambda p: edit_config(p, hidden_dropout_prob="0.1"), ConfigError, "hidden_dropout_prob"),
    "epsilon 'tiny'": (lambda p: edit_config(p, layer_norm_eps="tiny"), ConfigError, "layer_norm_eps"),
    "initializer null": (lambda p: edit_config(p, initializer_range=None), ConfigError, "initializer_range"),
    "id2label keys": (lambda p: edit_config(p, id2label={"a": "x", "b": "y"}), ConfigError, "integer label ids"),
    "typo in config": (lambda p: edit_config(p, num_hiden_layers=1), ConfigError, "did you mean 'num_hidden_layers'"),
    "config not utf-8": (lambda p: (p / "config.json").write_bytes(b"\xff\xfe{}"), ConfigError, "not valid JSON"),
    "config a list": (lambda p: (p / "config.json").write_text("[]"), ConfigError, "JSON object"),
    "empty weights": (lambda p: (p / "model.safetensors").write_bytes(b""), WeightsError, "corrupted or truncated"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_from_pretrained_refuses_before_building(folder, tmp_path, case):
    damage, error, match = CASES[case]
    path = copy(folder, tmp_path)
    damage(path)
    start = time.monotonic()
    with pytest.raises(error, match=match):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(path))
    assert time.monotonic() - start < 30  # nothing huge was built


def test_nan_weights_load_with_a_warning_naming_the_tensor(folder, tmp_path):
    path = copy(folder, tmp_path)
    edit_weights(path, lambda t: t[WORD].__setitem__((0, 0), np.nan))
    with pytest.warns(UserWarning, match=f"{WORD}' holds 1 NaN"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(path))


@pytest.mark.parametrize("path", [None, 5, ["a"]])
def test_from_pretrained_needs_a_path(path):
    with pytest.raises(WeightsError, match="needs a model folder path"):
        tf_electra.TFElectraModel.from_pretrained(path)


TOKENIZER_CASES = {
    "duplicate token": (
        b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nfilm\nthe\n",
        r"token 'the' appears on line 6 and again on line 8",
    ),
    "not utf-8": (b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n\xff\xfe\n", r"vocab.txt:6 is not UTF-8"),
    "no [MASK]": (b"[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n", r"\[MASK\]"),
    "empty": (b"", "is empty"),
}


@pytest.mark.parametrize("case", list(TOKENIZER_CASES))
def test_bad_vocabularies(tmp_path, case):
    data, match = TOKENIZER_CASES[case]
    (tmp_path / "vocab.txt").write_bytes(data)
    with pytest.raises(TokenizerError, match=match):
        tf_electra.ElectraTokenizer(str(tmp_path / "vocab.txt"))


@pytest.mark.parametrize(
    "config,match",
    [("[1, 2]", "must hold a JSON object"), ('{"model_max_length": 0}', "model_max_length"), ("{", "not valid JSON")],
)
def test_bad_tokenizer_configs(tmp_path, config, match):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    (tmp_path / "tokenizer_config.json").write_text(config)
    with pytest.raises(TokenizerError, match=match):
        tf_electra.ElectraTokenizer.from_pretrained(str(tmp_path))


def test_null_model_max_length_means_no_limit(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    (tmp_path / "tokenizer_config.json").write_text('{"model_max_length": null}')
    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(str(tmp_path))
    assert len(tokenizer(" ".join(["the"] * 600), truncation=True)["input_ids"]) == 602


@pytest.mark.parametrize(
    "max_length,pair,match",
    [
        (0, False, "positive integer"),
        (1, False, "at least 2"),
        (2, True, "at least 3"),
        (-3, False, "positive integer"),
    ],
)
def test_tokenizer_max_length_too_small_is_refused(tmp_path, max_length, pair, match):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    tokenizer = tf_electra.ElectraTokenizer(str(tmp_path / "vocab.txt"))
    with pytest.raises(TokenizerError, match=match):
        tokenizer("the the", "the" if pair else None, truncation=True, max_length=max_length)


def google_checkpoint(folder, change=None):
    import tensorflow as tf

    from fixtures import checkpoint_shapes
    from fixtures import write_checkpoint

    shapes = checkpoint_shapes(
        model_hparam_overrides={
            "hidden_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 1,
            "intermediate_size": 64,
        },
        embedding_size=32,
        vocab_size=40,
        max_position=16,
    )
    values = write_checkpoint(str(folder / "model.ckpt-1"), shapes, std=0.1, adam=False)
    if change:
        change(values)
        names = sorted(values)
        tf.raw_ops.SaveV2(
            prefix=str(folder / "model.ckpt-1"),
            tensor_names=names,
            shape_and_slices=[""] * len(names),
            tensors=[tf.constant(values[n]) for n in names],
        )
    return folder


GOOGLE_CASES = {
    "int32 variable": (
        lambda v: v.__setitem__(
            "electra/encoder/layer_0/output/dense/bias", v["electra/encoder/layer_0/output/dense/bias"].astype(np.int32)
        ),
        "not floating point",
    ),
    "bool variable": (
        lambda v: v.__setitem__("discriminator_predictions/dense/bias", np.ones(64, bool)),
        "not floating point",
    ),
    "string variable": (
        lambda v: v.__setitem__("discriminator_predictions/dense_1/bias", np.array([b"x"])),
        "not floating point",
    ),
    "scalar word embeddings": (
        lambda v: v.__setitem__("electra/embeddings/word_embeddings", np.float32(1.0)),
        "is missing or is a scalar",
    ),
}


@pytest.mark.parametrize("case", list(GOOGLE_CASES))
def test_bad_google_variables_are_refused(tmp_path, case):
    change, match = GOOGLE_CASES[case]
    google_checkpoint(tmp_path, change)
    with pytest.raises(CheckpointError, match=match):
        tf_electra.load_google_checkpoint(str(tmp_path), "discriminator")


def test_inspect_says_when_the_data_file_is_missing_or_truncated(tmp_path):
    google_checkpoint(tmp_path)
    data = next(p for p in tmp_path.iterdir() if ".data-" in p.name)
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupted or truncated"):
        tf_electra.inspect_google_checkpoint(str(tmp_path))
    data.unlink()
    with pytest.raises(CheckpointError, match="data-00000-of-00001 is missing"):
        tf_electra.inspect_google_checkpoint(str(tmp_path))


def test_nan_in_a_google_checkpoint_warns_naming_the_variable(tmp_path):
    name = "electra/encoder/layer_0/output/dense/bias"
    google_checkpoint(tmp_path, lambda v: v[name].__setitem__(0, np.inf))
    with pytest.warns(UserWarning, match=f"variable {name} holds NaN or infinite"):
        tf_electra.load_google_checkpoint(str(tmp_path), "discriminator")


def test_stale_temporaries_of_killed_writers_are_removed(folder, tmp_path):
    stale = tmp_path / ".out.tmp-999999-abcd"  # pid 999999 is not running
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"x" * 1000)
    live = tmp_path / f".out.tmp-{os.getpid()}-live"  # a live writer's is kept
    live.mkdir()
    tf_electra.TFElectraForPreTraining.from_pretrained(str(folder)).save_pretrained(str(tmp_path / "out"))
    assert not stale.exists() and live.exists()


def test_an_error_inside_an_atomic_folder_names_the_final_path_not_the_temporary_one(tmp_path):
    from tf_electra.utils.files import atomic_directory

    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError) as info, atomic_directory(str(out)) as tmp:
        open(os.path.join(tmp, "missing", "x.txt"), "w").close()
    assert info.value.filename == str(out / "missing" / "x.txt")
    assert ".tmp-" not in str(info.value) and os.listdir(tmp_path) == []


def test_checkpoint_files_reach_the_disk_before_their_names_do(tmp_path, monkeypatch):
    import numpy as np

    from tf_electra.io import google_writer

    events = []
    monkeypatch.setattr(google_writer, "fsync_path", lambda p: events.append(("fsync", os.path.basename(p))))
    real_replace = os.replace
    monkeypatch.setattr(
        google_writer.os, "replace", lambda a, b: (events.append(("rename", os.path.basename(a))), real_replace(a, b))
    )
    google_writer.save_checkpoint(str(tmp_path), 7, {"w": np.ones(3, np.float32)})
    parts = [name for kind, name in events if kind == "rename" and name.startswith("model.ckpt-7")]
    assert parts and parts[-1].endswith(".index")  # the index, which makes a checkpoint visible, goes last
    for part in parts:
        assert events.index(("fsync", part)) < events.index(("rename", part))
    assert ("fsync", tmp_path.name) in events  # the folder's new entries too
