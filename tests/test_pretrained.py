"""Hugging Face interop: from_pretrained / save_pretrained against transformers' own files."""

import json
import os
import shutil
import warnings

import numpy as np
import pytest

import tf_electra
from tf_electra import ConfigError
from tf_electra import WeightsError

from conftest import hf_model
from conftest import padded_batch
from conftest import tiny_config
from conftest import torch_or_skip

DATA = os.path.join(os.path.dirname(__file__), "data", "hf_tf")
PT_CLASSES = {name: name[2:] for name in tf_electra.MODEL_CLASSES}


@pytest.mark.parametrize("name", sorted(os.listdir(DATA)))
def test_reads_tf_model_h5_written_by_transformers(name):
    """Fixtures written by transformers 4.57.6's TF save_pretrained (tools/make_hf_tf_h5_fixture.py)."""
    expected = dict(np.load(os.path.join(DATA, name, "expected.npz")))
    inputs = {k: expected.pop(k) for k in ("input_ids", "attention_mask", "token_type_ids")}
    model = tf_electra.MODEL_CLASSES[name].from_pretrained(os.path.join(DATA, name))
    out = model(inputs)
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(out[key]), value, atol=1e-5, err_msg=key)


def torch_outputs(model, inputs, torch):
    with torch.no_grad():
        return model(**{k: torch.as_tensor(v).long() for k, v in inputs.items()})


@pytest.mark.parametrize("name", list(tf_electra.MODEL_CLASSES))
def test_transformers_loads_our_save_pretrained(name, tmp_path):
    torch, transformers = torch_or_skip()
    config = tiny_config()
    model = tf_electra.MODEL_CLASSES[name](config)
    model.save_pretrained(tmp_path / "m")
    assert sorted(os.listdir(tmp_path / "m")) == ["config.json", "model.safetensors"]
    theirs, info = getattr(transformers, PT_CLASSES[name]).from_pretrained(
        str(tmp_path / "m"), output_loading_info=True
    )
    assert info["missing_keys"] == [] and info["unexpected_keys"] == [], info
    assert info["mismatched_keys"] == [] and info["error_msgs"] == [], info
    inputs = padded_batch(config, choices=2 if "MultipleChoice" in name else None)
    ours = model(inputs)
    ref = torch_outputs(theirs.eval(), inputs, torch)
    for key in ours:
        if key in ref and key != "hidden_states":
            np.testing.assert_allclose(np.asarray(ours[key]), ref[key].numpy(), atol=1e-5, err_msg=key)


@pytest.mark.parametrize("safe", [True, False])
def test_loads_transformers_pytorch_folders(tmp_path, safe):
    torch, _ = torch_or_skip()
    config = tiny_config()
    theirs = hf_model("ElectraForSequenceClassification", config)
    theirs.save_pretrained(tmp_path, safe_serialization=safe)
    assert (tmp_path / ("model.safetensors" if safe else "pytorch_model.bin")).is_file()
    ours = tf_electra.TFElectraForSequenceClassification.from_pretrained(str(tmp_path))
    inputs = padded_batch(config)
    np.testing.assert_allclose(ours(inputs).logits, torch_outputs(theirs, inputs, torch).logits.numpy(), atol=1e-5)


def test_an_untied_generator_head_is_refused_not_replaced_by_the_embeddings(tmp_path):
    # transformers' tie_word_embeddings=False keeps a generator_lm_head.weight of its own; ours is always tied
    torch_or_skip()
    hf_model("ElectraForMaskedLM", tiny_config(tie_word_embeddings=False)).save_pretrained(tmp_path)
    with pytest.raises(ConfigError, match="tie_word_embeddings false"):
        tf_electra.TFElectraForMaskedLM.from_pretrained(str(tmp_path))
    discriminator = tf_electra.TFElectraForPreTraining.from_pretrained(str(tmp_path), warn_unmatched=False)
    assert discriminator.config.tie_word_embeddings is False  # no output layer to tie: loads as before
    with pytest.raises(ConfigError, match="did you mean 'num_labels'"):  # an override's typo, refused at once
        tf_electra.TFElectraForSequenceClassification.from_pretrained(str(tmp_path), num_label=5)


def test_loads_sharded_safetensors(tmp_path):
    torch, _ = torch_or_skip()
    config = tiny_config()
    theirs = hf_model("ElectraForMaskedLM", config)
    theirs.save_pretrained(tmp_path, max_shard_size="20KB")
    assert (tmp_path / "model.safetensors.index.json").is_file()
    ours = tf_electra.TFElectraForMaskedLM.from_pretrained(str(tmp_path))
    inputs = padded_batch(config)
    np.testing.assert_allclose(ours(inputs).logits, torch_outputs(theirs, inputs, torch).logits.numpy(), atol=1e-5)


def test_base_checkpoint_into_a_head_and_cross_loading(tmp_path):
    torch, _ = torch_or_skip()
    config = tiny_config()
    base = hf_model("ElectraModel", config)
    base.save_pretrained(tmp_path / "base")
    with pytest.warns(UserWarning, match="newly initialized.*classifier.out_proj") as caught:
        head = tf_electra.TFElectraForSequenceClassification.from_pretrained(str(tmp_path / "base"), num_labels=3)
    assert len(caught) == 1
    assert head.config.num_labels == 3
    # Loading builds from zeros; the new head's kernels still get ELECTRA's random init (and biases zeros).
    for layer in (head.classifier.dense, head.classifier.out_proj):
        kernel = np.asarray(layer.kernel)
        assert 0.5 * config.initializer_range < kernel.std() < 1.5 * config.initializer_range, layer.name
        assert np.abs(kernel).max() <= 2 * config.initializer_range + 1e-6  # truncated normal
        assert not np.asarray(layer.bias).any()
    # Each new kernel draws its own numbers (one shared unseeded initializer repeats its stream).
    dense, out_proj = np.asarray(head.classifier.dense.kernel), np.asarray(head.classifier.out_proj.kernel)
    assert not np.isclose(dense.ravel()[:8], out_proj.ravel()[:8]).any()
    inputs = padded_batch(config)
    hidden = head.electra(**inputs)[0]
    np.testing.assert_allclose(hidden, torch_outputs(base, inputs, torch).last_hidden_state.numpy(), atol=1e-5)
    # The discriminator loads into the MLM head, the generator into the pre-training head.
    tf_electra.TFElectraForPreTraining(config).save_pretrained(tmp_path / "disc")
    with pytest.warns(UserWarning, match="generator_lm_head.bias"):
        tf_electra.TFElectraForMaskedLM.from_pretrained(str(tmp_path / "disc"))
    tf_electra.TFElectraForMaskedLM(config).save_pretrained(tmp_path / "gen")
    with pytest.warns(UserWarning, match="were not used.*generator_predictions"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(tmp_path / "gen"))
    # A head checkpoint into the bare model: silent about the encoder, reports the unused head.
    with pytest.warns(UserWarning, match="discriminator_predictions"):
        bare = tf_electra.TFElectraModel.from_pretrained(str(tmp_path / "disc"))
    assert bare.hf_base_model


def test_safetensors_are_read_one_tensor_at_a_time(tmp_path, monkeypatch):
    """No second copy of the checkpoint: names and shapes from the header, values read on assignment."""
    from tf_electra.io import hf_formats

    model = tf_electra.TFElectraForTokenClassification(tiny_config())
    model.save_pretrained(tmp_path / "m")
    fmt, tensors = hf_formats.read_weights(str(tmp_path / "m" / "model.safetensors"))
    assert all(isinstance(t, hf_formats.StoredTensor) for t in tensors.values())
    reads = []
    original = hf_formats.StoredTensor.__array__
    monkeypatch.setattr(
        hf_formats.StoredTensor, "__array__", lambda self, *a, **k: reads.append(self) or original(self)
    )
    again = tf_electra.TFElectraForTokenClassification.from_pretrained(str(tmp_path / "m"))
    assert len(reads) == len(model.weights)  # each tensor read once
    np.testing.assert_array_equal(again(padded_batch(model.config)).logits, model(padded_batch(model.config)).logits)


def test_a_stored_tensor_is_copied_once(tmp_path, monkeypatch):
    """safetensors' numpy reader copies each tensor into a bytearray of its own: that array is kept as it is (no
    second copy), while an array that still shares the mapped file's memory is copied before the mapping closes."""
    import mmap

    from tf_electra.io import hf_formats

    model = tf_electra.TFElectraForTokenClassification(tiny_config())
    model.save_pretrained(tmp_path / "m")
    _, tensors = hf_formats.read_weights(str(tmp_path / "m" / "model.safetensors"))
    copies = []
    original = np.array
    monkeypatch.setattr(hf_formats.np, "array", lambda *a, **k: copies.append(a[0]) or original(*a, **k))
    word = tensors["electra.embeddings.word_embeddings.weight"]
    values = np.asarray(word)
    assert copies == [] and values.flags.writeable
    np.testing.assert_array_equal(values, model.electra.embeddings.word_embeddings.embeddings.numpy())
    assert copies == [] and word.rows(2, 5).shape == (3, model.config.embedding_size)
    with open(tmp_path / "m" / "model.safetensors", "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        mapped = np.frombuffer(m, np.uint8, count=16)
        kept = hf_formats._owned(mapped)
        assert len(copies) == 1 and not np.shares_memory(kept, mapped)
        del mapped, copies[:]  # (the mapping closes only once no array points into it)
    assert kept.shape == (16,)


def test_bfloat16_safetensors_get_a_clear_error(tmp_path):
    torch, _ = torch_or_skip()
    base = hf_model("ElectraModel", tiny_config()).to(torch.bfloat16)
    base.save_pretrained(tmp_path / "bf16")
    with pytest.raises(tf_electra.errors.WeightsError, match="stored in bfloat16.*float32"):
        tf_electra.TFElectraModel.from_pretrained(str(tmp_path / "bf16"))


def test_identical_weights_load_without_warnings(tmp_path):
    model = tf_electra.TFElectraForTokenClassification(tiny_config())
    model.save_pretrained(tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = tf_electra.TFElectraForTokenClassification.from_pretrained(str(tmp_path / "m"))
    inputs = padded_batch(model.config)
    np.testing.assert_array_equal(model(inputs).logits, again(inputs).logits)


@pytest.mark.parametrize("dtype", ["mixed_bfloat16", "bfloat16", "float16", "mixed_float16", "float32"])
def test_dtype_policies(tmp_path, dtype):
    tf_electra.TFElectraForPreTraining(tiny_config()).save_pretrained(tmp_path / "m")
    model = tf_electra.TFElectraForPreTraining.from_pretrained(
        str(tmp_path / "m"), dtype=dtype, attn_implementation="sdpa"
    )
    assert model.electra.compute_dtype == dtype.replace("mixed_", "")
    assert model.attn_implementation == "sdpa"
    out = model(padded_batch(model.config))
    assert out.logits.dtype == "float32"
    assert np.isfinite(np.asarray(out.logits)).all()
    with pytest.raises(ValueError, match="dtype"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(tmp_path / "m"), dtype="int8")


def test_hub_ids_resolve_from_the_local_cache_only(tmp_path, monkeypatch):
    model = tf_electra.TFElectraForPreTraining(tiny_config())
    snapshot = tmp_path / "hub" / "models--google--electra-tiny" / "snapshots" / "abc123"
    model.save_pretrained(snapshot)
    (tmp_path / "hub" / "models--google--electra-tiny" / "refs").mkdir()
    (tmp_path / "hub" / "models--google--electra-tiny" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    loaded = tf_electra.TFElectraForPreTraining.from_pretrained("google/electra-tiny")
    assert loaded.config.hidden_size == 16
    with pytest.raises(WeightsError, match="never downloads.*google/electra-unknown"):
        tf_electra.TFElectraForPreTraining.from_pretrained("google/electra-unknown")


def test_bad_folders_name_the_file(tmp_path):
    model = tf_electra.TFElectraForPreTraining(tiny_config())
    good = tmp_path / "good"
    model.save_pretrained(good)

    no_config = tmp_path / "no_config"
    shutil.copytree(good, no_config)
    os.remove(no_config / "config.json")
    with pytest.raises(ConfigError, match="config.json"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(no_config))

    no_weights = tmp_path / "no_weights"
    shutil.copytree(good, no_weights)
    os.remove(no_weights / "model.safetensors")
    with pytest.raises(WeightsError, match="no weights"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(no_weights))

    truncated = tmp_path / "truncated"
    shutil.copytree(good, truncated)
    data = (good / "model.safetensors").read_bytes()
    (truncated / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match=r"truncated/model.safetensors.*corrupted or truncated"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(truncated))

    garbage = tmp_path / "garbage"
    shutil.copytree(good, garbage)
    (garbage / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(WeightsError, match="garbage/model.safetensors"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(garbage))

    wrong_sizes = tmp_path / "wrong_sizes"
    shutil.copytree(good, wrong_sizes)
    cfg = json.loads((good / "config.json").read_text())
    cfg["intermediate_size"] = 32
    (wrong_sizes / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(WeightsError, match=r"intermediate.dense.weight.*\(24, 16\).*\(32, 16\)"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(wrong_sizes))

    broken_h5 = tmp_path / "broken_h5"
    broken_h5.mkdir()
    shutil.copy(good / "config.json", broken_h5)
    (broken_h5 / "tf_model.h5").write_bytes(b"not hdf5")
    with pytest.raises(WeightsError, match="tf_model.h5"):
        tf_electra.TFElectraForPreTraining.from_pretrained(str(broken_h5))


def test_save_pretrained_refuses_a_non_empty_folder_and_writes_nothing(tmp_path):
    model = tf_electra.TFElectraForPreTraining(tiny_config())
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not empty"):
        model.save_pretrained(target)
    assert os.listdir(target) == ["notes.txt"]
    assert [p for p in os.listdir(tmp_path) if p != "out"] == []  # no temporary folder left behind
    model.save_pretrained(target, overwrite=True, keras_weights=True)
    assert sorted(os.listdir(target)) == ["config.json", "model.safetensors", "model.weights.h5"]


@pytest.mark.parametrize("source, dtype", [("safetensors", None), ("safetensors", "bfloat16"), ("pytorch", None)])
def test_large_weights_load_in_blocks_of_rows_with_the_same_values(tmp_path, monkeypatch, source, dtype):
    from tensorflow.python.ops.resource_variable_ops import BaseResourceVariable

    from tf_electra.io import weights

    config = tiny_config()
    if source == "pytorch":
        torch_or_skip()
        hf_model("ElectraForMaskedLM", config).save_pretrained(tmp_path, safe_serialization=False)
    else:
        tf_electra.TFElectraForMaskedLM(config).save_pretrained(tmp_path)
    whole = tf_electra.TFElectraForMaskedLM.from_pretrained(str(tmp_path), dtype=dtype)
    writes = []
    real = BaseResourceVariable.scatter_update
    monkeypatch.setattr(weights, "BLOCK_BYTES", 64)  # every table over 64 bytes goes in blocks of rows
    monkeypatch.setattr(
        BaseResourceVariable, "scatter_update", lambda self, rows, **k: writes.append(rows) or real(self, rows, **k)
    )
    blocked = tf_electra.TFElectraForMaskedLM.from_pretrained(str(tmp_path), dtype=dtype)
    # the word and position embeddings (stored as held; kernels are stored transposed and go whole), in blocks
    assert len(writes) > 4 and max(len(rows.indices) for rows in writes) < config.vocab_size
    for ours, reference in zip(blocked.weights, whole.weights):
        assert ours.path.split("/", 1)[1] == reference.path.split("/", 1)[1]
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(reference), err_msg=ours.path)
        # A scatter leaves a variable in copy-on-read mode, where every read copies it (ELECTRA-Base's word
        # embeddings: 94 MB and 30 ms per call). After the load, reads share the variable's buffer again.
        assert _reads_share_memory(ours), ours.path


def _reads_share_memory(variable):
    """Whether two reads of a (TensorFlow) variable return its own buffer rather than two copies of it."""
    import tensorflow as tf

    class DLPack:  # NumPy's view of a tensor's own memory (`.numpy()` would copy)
        def __init__(self, tensor):
            self.tensor = tensor

        def __dlpack__(self, **kwargs):
            return tf.experimental.dlpack.to_dlpack(self.tensor)

        def __dlpack_device__(self):
            return (1, 0)  # kDLCPU

    def address(tensor):
        if tensor.dtype == tf.bfloat16:
            tensor = tf.bitcast(tensor, tf.uint16)  # NumPy has no bfloat16; a bitcast keeps the buffer
        return np.from_dlpack(DLPack(tensor)).ctypes.data

    return address(tf.convert_to_tensor(variable.value)) == address(tf.convert_to_tensor(variable.value))


def test_nan_in_weights_loaded_in_blocks_is_one_warning_with_the_whole_count(tmp_path, monkeypatch):
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    from tf_electra.io import weights

    tf_electra.TFElectraModel(tiny_config()).save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    table = tensors["embeddings.word_embeddings.weight"]
    table[0, 0], table[-1, -1], table[len(table) // 2, 1] = np.nan, np.inf, -np.inf  # in different blocks
    bias = tensors["encoder.layer.0.output.dense.bias"]  # small: read whole
    bias[0], bias[1] = np.inf, -np.inf  # their sum is NaN: found, with no NumPy warning of its own
    save_file(tensors, tmp_path / "model.safetensors")
    monkeypatch.setattr(weights, "BLOCK_BYTES", 64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tf_electra.TFElectraModel.from_pretrained(str(tmp_path))
    messages = sorted(f"{w.category.__name__}: {w.message}" for w in caught)
    assert len(messages) == 2, messages
    assert any("layer.0.output.dense.bias' holds 2 NaN" in m for m in messages), messages
    assert any("word_embeddings.weight' holds 3 NaN" in m for m in messages), messages
    assert all(m.startswith("UserWarning") for m in messages), messages


def test_a_file_cut_short_while_its_blocks_are_read_is_one_clear_error(tmp_path, monkeypatch):
    # Another process rewrites the folder mid-load: the next block's read fails, naming the file and the tensor.
    from tf_electra.io import hf_formats
    from tf_electra.io import weights

    tf_electra.TFElectraModel(tiny_config()).save_pretrained(tmp_path)
    path = tmp_path / "model.safetensors"
    monkeypatch.setattr(weights, "BLOCK_BYTES", 64)
    real = hf_formats.StoredTensor.rows

    def rows_then_cut(self, start, stop):
        block = real(self, start, stop)
        path.write_bytes(path.read_bytes()[:200])
        return block

    monkeypatch.setattr(hf_formats.StoredTensor, "rows", rows_then_cut)
    with pytest.raises(WeightsError, match=r"model.safetensors was replaced or changed .*tensor '[a-z_.]*embeddings"):
        tf_electra.TFElectraModel.from_pretrained(str(tmp_path))
