"""Hugging Face conventions an experienced transformers user relies on, beyond the numerics (test_parity.py).

Each case here was a difference from transformers 4.57.6's ELECTRA found by a review pass; the expected
behaviour is transformers' own, written out.
"""

import json

import numpy as np
import pytest

import tf_electra
from tf_electra.config_fields import ACTIVATIONS

from conftest import copy_hf_weights
from conftest import hf_model
from conftest import tiny_config
from conftest import torch_or_skip

IDS = np.arange(2 * 6).reshape(2, 6) % 60 + 3


@pytest.mark.parametrize("cls", [tf_electra.TFElectraModel, tf_electra.TFElectraForSequenceClassification])
def test_the_configs_output_flags_apply_when_the_call_does_not_say(cls):
    """transformers: `output_attentions if output_attentions is not None else self.config.output_attentions`."""
    config = tiny_config(output_hidden_states=True, output_attentions=True)
    model = cls(config)
    out = model(IDS)
    assert len(out.hidden_states) == config.num_hidden_layers + 1  # was: None, the config ignored
    assert len(out.attentions) == config.num_hidden_layers
    quiet = model(IDS, output_hidden_states=False, output_attentions=False)
    assert quiet.hidden_states is None and quiet.attentions is None
    plain = cls(tiny_config())(IDS)
    assert plain.hidden_states is None and plain.attentions is None


def test_a_config_asking_for_tuples_is_named():
    with pytest.warns(UserWarning, match="config.return_dict is false"):
        model = tf_electra.TFElectraModel(tiny_config(return_dict=False))
    assert isinstance(model(IDS, return_dict=False), tuple)


@pytest.fixture(scope="module")
def two_label_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("loader")
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_labels=2))
    model.save_pretrained(str(root / "repo" / "sub"))
    return root / "repo"


def load(folder, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tf_electra.TFElectraForSequenceClassification.from_pretrained(str(folder), **kwargs)


NO_EFFECT = [{"local_files_only": True}, {"from_pt": True}, {"revision": "main"}, {"token": None}, {"cache_dir": "x"}]


@pytest.mark.parametrize("kwargs", NO_EFFECT, ids=lambda k: next(iter(k)))
def test_loader_options_are_not_config_fields(two_label_folder, tmp_path, kwargs):
    """They were taken as config overrides and written into the next config.json."""
    model = load(two_label_folder, subfolder="sub", **kwargs)
    model.save_pretrained(str(tmp_path / "again"))
    assert not set(kwargs) & set(json.loads((tmp_path / "again" / "config.json").read_text()))


def test_output_loading_info_and_ignore_mismatched_sizes(two_label_folder):
    plain = load(two_label_folder / "sub")
    model, info = load(two_label_folder / "sub", num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True)
    assert sorted(info) == ["error_msgs", "mismatched_keys", "missing_keys", "unexpected_keys"]
    assert info["missing_keys"] == [] and info["unexpected_keys"] == [] and info["error_msgs"] == []
    shapes = {key: (a, b) for key, a, b in info["mismatched_keys"]}
    assert shapes == {"classifier.out_proj.weight": ((2, 16), (5, 16)), "classifier.out_proj.bias": ((2,), (5,))}
    assert model(IDS).logits.shape == (2, 5)
    for a, b in zip(plain.electra.weights, model.electra.weights):  # the encoder is the checkpoint's
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(tf_electra.WeightsError, match=r"has shape \(2, 16\) but the model expects \(5, 16\)"):
        load(two_label_folder / "sub", num_labels=5)  # without the option: refused, as in transformers


@pytest.mark.parametrize(
    "kwargs,dtype",
    [
        ({"torch_dtype": "bfloat16"}, "bfloat16"),
        ({"torch_dtype": "torch.float16"}, "float16"),
        ({"torch_dtype": "auto"}, "float32"),  # the checkpoint's (config.json has no torch_dtype: float32)
        ({"dtype": "auto"}, "float32"),
    ],
)
def test_torch_dtype_chooses_the_keras_dtype(two_label_folder, kwargs, dtype):
    assert load(two_label_folder / "sub", **kwargs).dtype_policy.name == dtype


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"revision": "v2.0"}, "revision='v2.0': only the folder"),
        ({"force_download": True}, "nothing is downloaded"),
        ({"variant": "fp16"}, "variant='fp16'"),
        ({"torch_dtype": "float64"}, "torch_dtype='float64' is not one of"),
        ({"torch_dtype": "float16", "dtype": "float32"}, "not both"),
        ({"foo": 1}, r"from_pretrained got \['foo'\]: neither config fields nor loader options"),  # transformers too
        ({"subfolder": "nothing"}, "nothing does not exist"),
    ],
)
def test_loader_options_it_cannot_follow_are_refused(two_label_folder, kwargs, match):
    with pytest.raises((tf_electra.ConfigError, tf_electra.WeightsError), match=match):
        load(two_label_folder / ("." if "subfolder" in kwargs else "sub"), **kwargs)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_is_transformers_own(name):
    """hidden_act values transformers supports (gelu_fast, quick_gelu, mish, ...) were refused by ElectraConfig."""
    torch, transformers = torch_or_skip()
    from transformers.activations import ACT2FN

    from tf_electra.layers.activations import get_activation

    x = np.concatenate([np.linspace(-12, 12, 401), np.random.default_rng(0).normal(0, 3, 200)]).astype("float32")
    theirs = ACT2FN[name](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(get_activation(name)(x)), theirs, rtol=2e-6, atol=2e-6)
    tf_electra.TFElectraModel(tiny_config(hidden_act=name))(IDS)  # the config takes it, the model builds and runs


def test_activations_the_config_names_are_the_ones_the_layers_build():
    from tf_electra.layers.activations import TABLE

    assert sorted(ACTIVATIONS) == sorted(TABLE)


def test_outputs_list_their_fields_in_transformers_order_and_slice():
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_labels=2))
    out = model(IDS, labels=np.array([0, 1]), output_hidden_states=True)
    assert list(out.keys()) == ["loss", "logits", "hidden_states"]  # was: loss last
    assert [k for k, _ in out.items()] == list(out.keys())
    assert out[:2] == out.to_tuple()[:2] and out[0] is out["loss"] and out[-1] is out["hidden_states"]


def mask_forms(rng, batch=3, length=6):
    row = np.ones((1, length), "int64")
    row[0, -2:] = 0
    pairs = (rng.random((batch, length, length)) < 0.7).astype("int64")
    pairs[:, :, 0] = 1  # every query sees at least one key
    return {
        "position_ids [1, seq]": {"position_ids": np.arange(length)[None, ::-1].copy()},
        "attention_mask [1, seq]": {"attention_mask": row},
        "token_type_ids [1, seq]": {"token_type_ids": np.array([[0, 0, 0, 1, 1, 1]])},
        "attention_mask [batch, seq, seq]": {"attention_mask": pairs},
    }


@pytest.mark.parametrize("form", list(mask_forms(np.random.default_rng(0))))
@pytest.mark.parametrize("decoder", [False, True], ids=["encoder", "decoder"])
def test_broadcast_rows_and_pairwise_masks_are_transformers_own(form, decoder):
    """[1, seq] rows and [batch, seq, seq] masks, which transformers takes, were refused as shape mismatches."""
    torch, _ = torch_or_skip()
    config = tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, is_decoder=decoder)
    theirs = hf_model("ElectraModel", config)
    ours = tf_electra.TFElectraModel(config)
    copy_hf_weights(ours, theirs)
    ids = np.random.default_rng(1).integers(3, 60, (3, 6))
    extra = mask_forms(np.random.default_rng(2))[form]
    with torch.no_grad():
        expected = theirs(torch.from_numpy(ids), **{k: torch.from_numpy(v) for k, v in extra.items()})
    got = ours(ids, **extra).last_hidden_state
    np.testing.assert_allclose(np.asarray(got), expected.last_hidden_state.numpy(), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"head_mask": np.ones((2, 4))}, "head_mask .* is not supported"),
        ({"past_key_values": ((1, 2),)}, "no key/value cache"),
        ({"attention_mask": np.ones((2, 6))}, r"attention_mask has shape \(2, 6\) but input_ids has shape \(3, 6\)"),
        ({"attention_mask": np.ones((3, 6, 5))}, r"must be \[batch, seq\] or \[batch, seq, seq\]"),
        ({"attention_masks": np.ones((3, 6))}, r"unexpected argument\(s\) \['attention_masks'\]"),
    ],
)
def test_arguments_the_models_do_not_take_say_so(kwargs, match):
    with pytest.raises(tf_electra.InputError, match=match):
        tf_electra.TFElectraModel(tiny_config())(np.ones((3, 6), "int32"), **kwargs)


def test_use_cache_is_ignored_where_transformers_ignores_it():
    tf_electra.TFElectraModel(tiny_config())(IDS, use_cache=True)  # an encoder makes no cache there either
    with pytest.raises(tf_electra.InputError, match="use_cache=True: there is no key/value cache"):
        tf_electra.TFElectraForCausalLM(tiny_config())(IDS, use_cache=True)
    tf_electra.TFElectraForCausalLM(tiny_config())(IDS, use_cache=False)


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    _, transformers = torch_or_skip()
    vocab = tmp_path_factory.mktemp("tok") / "vocab.txt"
    words = "the a film movie was good bad not fun dull , . ! ' s play ##ing ##ed ##s".split()
    vocab.write_text("".join(t + "\n" for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]))
    ours = tf_electra.ElectraTokenizer(str(vocab))
    theirs = transformers.ElectraTokenizerFast(str(vocab), model_max_length=512)
    slow = transformers.ElectraTokenizer(str(vocab), model_max_length=512)
    return ours, theirs, slow


TEXTS = ["the film was good .", "not a fun movie , playing dull !", "the"]
PAIRS = [("the film", "was good ."), ("a movie", "not fun")]


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.encode_plus(TEXTS[1]),
        lambda t: t.encode_plus(TEXTS[0], "a movie", truncation=True, max_length=8),
        lambda t: t.batch_encode_plus(TEXTS, padding=True),
        lambda t: t.batch_encode_plus(PAIRS, padding="max_length", max_length=10),
        lambda t: t.build_inputs_with_special_tokens([5, 6, 7]),
        lambda t: t.build_inputs_with_special_tokens([5, 6], [7]),
        lambda t: t.create_token_type_ids_from_sequences([5, 6], [7, 8, 9]),
        lambda t: t.get_special_tokens_mask([2, 5, 3, 6, 3], already_has_special_tokens=True),
        lambda t: t.num_special_tokens_to_add(pair=True),
        lambda t: t.convert_tokens_to_string(["the", "play", "##ing", "film", "##s", "."]),
        lambda t: t.pad([{"input_ids": [2, 5, 3]}, {"input_ids": [2, 5, 6, 7, 3]}]),
        lambda t: t.pad({"input_ids": [[2, 5, 3], [2, 3]], "token_type_ids": [[0, 0, 0], [0, 0]]}, padding_side="left"),
        lambda t: t.pad({"input_ids": [[2, 5, 3]]}, padding="max_length", max_length=6, pad_to_multiple_of=4),
        lambda t: t.pad(t(TEXTS[:2])),  # (with return_attention_mask=False transformers leaves the mask unpadded)
        lambda t: t.pad({"input_ids": [2, 5, 3]}, padding="max_length", max_length=5),
        lambda t: t(TEXTS[1]).tokens(),
        lambda t: [t(TEXTS[1]).char_to_token(i) for i in range(len(TEXTS[1]))],
        lambda t: [t(TEXTS[1]).char_to_word(i) for i in range(len(TEXTS[1]))],
        lambda t: [t(TEXTS).token_to_chars(1, i) for i in range(1, 5)],
        lambda t: [t(TEXTS[1]).token_to_word(i) for i in range(8)],
        lambda t: t(TEXTS[1]).word_to_tokens(3),
    ],
)
def test_tokenizer_methods_are_transformers_own(tokenizers, call):
    """Each was missing (AttributeError), or took only transformers' two-index form (char_to_token)."""
    ours, theirs, _ = tokenizers
    expected, got = call(theirs), call(ours)
    normal = (
        (lambda v: {k: list(map(list, v[k])) if v[k] and isinstance(v[k][0], list) else v[k] for k in v})
        if (isinstance(expected, dict))
        else (lambda v: [tuple(x) if hasattr(x, "start") else x for x in v] if isinstance(v, list) else v)
    )
    if isinstance(expected, dict):
        assert dict(normal(dict(got))) == dict(normal(dict(expected)))
    else:
        assert normal(got) == normal(expected)


@pytest.mark.parametrize("cls", ["ElectraForMaskedLM", "ElectraForSequenceClassification", "ElectraModel"])
def test_model_counts_and_output_embeddings_are_transformers_own(cls):
    config = tiny_config()
    theirs = hf_model(cls, config)
    ours = getattr(tf_electra, "TF" + cls)(config)
    assert ours.num_parameters() == theirs.num_parameters()
    assert ours.num_parameters(exclude_embeddings=True) == theirs.num_parameters() - config.vocab_size * 12
    assert (ours.get_output_embeddings() is None) == (theirs.get_output_embeddings() is None)


def test_the_special_tokens_mask_of_bare_ids_is_transformers_slow_tokenizers(tokenizers):
    """transformers' fast tokenizer refuses this form (already_has_special_tokens=False); its slow one answers."""
    ours, _, slow = tokenizers
    assert ours.get_special_tokens_mask([5, 6], [7]) == slow.get_special_tokens_mask([5, 6], [7])
    assert ours.get_special_tokens_mask([5]) == slow.get_special_tokens_mask([5])


def test_shapes_checked_at_run_time_in_a_graph_of_unknown_shapes():
    """The run-time shape check compared a [batch, choices, seq] mask's first two dimensions with all three of its
    ids' (fit of a multiple-choice model failed at its first step, 2026-12-07)."""
    import tensorflow as tf

    choice = tf_electra.TFElectraForMultipleChoice(tiny_config())
    spec = tf.TensorSpec((None, None, None), tf.int32)
    call = tf.function(lambda ids, mask: choice(ids, attention_mask=mask).logits, input_signature=[spec, spec])
    ids = np.ones((2, 3, 5), "int32")
    assert call(ids, ids).shape == (2, 3)
    encoder = tf_electra.TFElectraModel(tiny_config())
    pairs = tf.function(
        lambda ids, mask: encoder(ids, attention_mask=mask).last_hidden_state,
        input_signature=[tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None, None, None), tf.int32)],
    )
    assert pairs(np.ones((2, 5), "int32"), np.ones((2, 5, 5), "int32")).shape == (2, 5, 16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="attention_mask"):
        pairs(np.ones((2, 5), "int32"), np.ones((3, 5, 5), "int32"))


def test_a_dict_of_inputs_is_checked_as_keyword_arguments_are():
    model = tf_electra.TFElectraModel(tiny_config())
    assert model({"input_ids": IDS, "head_mask": None}).last_hidden_state.shape == (2, 6, 16)
    with pytest.raises(tf_electra.InputError, match="head_mask .* is not supported"):
        model({"input_ids": IDS, "head_mask": np.ones((2, 4))})
    with pytest.raises(tf_electra.InputError, match=r"unexpected input names \['input_idz'\]"):
        model({"input_ids": IDS, "input_idz": IDS})


def test_inputs_as_a_list_in_transformers_order_equal_the_dict():
    """transformers' TF models took [input_ids, attention_mask, token_type_ids, position_ids] (a prefix) as one list,
    and Keras users pass multi-input data as lists: it stacked them into one [3, batch, seq] "input_ids"."""
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_labels=2, hidden_dropout_prob=0.0))
    ids = np.random.default_rng(0).integers(5, 64, (4, 6)).astype("int32")
    mask, types = np.ones_like(ids), np.zeros_like(ids)
    mask[0, -2:], types[1, 3:] = 0, 1
    want = model({"input_ids": ids, "attention_mask": mask, "token_type_ids": types}).logits.numpy()
    np.testing.assert_allclose(model([ids, mask, types]).logits.numpy(), want, atol=1e-6)
    np.testing.assert_allclose(model([ids, mask]).logits.numpy(), model(ids, attention_mask=mask).logits.numpy())
    model.compile(optimizer="adam")
    np.testing.assert_allclose(model.predict([ids, mask, types], verbose=0).logits, want, atol=1e-5)
    assert np.isfinite(model.fit([ids, mask, types], np.array([0, 1, 1, 0]), verbose=0).history["loss"]).all()
    rows = [np.array([5, 6, 7]), np.array([8, 9, 10])]  # 1-D rows: a batch of ids, as before
    np.testing.assert_allclose(model(rows).logits.numpy(), model(np.stack(rows)).logits.numpy())
    with pytest.raises(tf_electra.InputError, match="5 inputs in a list"):
        model([ids, mask, types, types, types])
