"""Hugging Face conventions an experienced transformers user relies on, beyond the numerics (test_parity.py).

Each case here was a difference from transformers 4.57.6's ELECTRA found by a review pass; the expected
behaviour is transformers' own, written out.
"""

import json

import numpy as np
import pytest

import tf_electra
from tf_electra.config_fields import ACTIVATIONS

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
