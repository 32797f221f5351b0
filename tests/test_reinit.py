"""Re-initialising the top encoder blocks before fine-tuning (`models/reinit.py`, `finetune(reinit_layers=N)`)."""

import numpy as np
import pytest

import tf_electra
from tf_electra.errors import ConfigError
from tf_electra.models.reinit import reinitialize_top_layers

from conftest import tiny_config

CONFIG = tiny_config(  # wide enough to measure a kernel's spread
    hidden_size=64, num_hidden_layers=3, num_attention_heads=2, intermediate_size=256, initializer_range=0.05
)


def weights(model):
    return {v.path: np.array(v.numpy()) for v in model.weights}


def in_block(path, i):
    return f"/layer_{i}/" in path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A saved model whose weights are far from a fresh draw (every weight 0.5 + its index), loaded as a loader does."""
    model = tf_electra.TFElectraForPreTraining(CONFIG)
    for i, v in enumerate(model.weights):
        v.assign(np.full(v.shape, 0.5 + i, "float32"))
    path = tmp_path_factory.mktemp("reinit") / "model"
    model.save_pretrained(str(path))
    return str(path)


def test_the_top_blocks_are_drawn_afresh_and_the_rest_kept(folder):
    model = tf_electra.TFElectraForSequenceClassification.from_pretrained(folder, num_labels=2, warn_unmatched=False)
    before = weights(model)
    drawn = reinitialize_top_layers(model, 2, seed=7)
    after = weights(model)
    changed = {p for p in before if not np.array_equal(before[p], after[p])}
    assert changed == set(drawn)
    assert changed and all(in_block(p, 1) or in_block(p, 2) for p in changed)
    # every weight of the two top blocks, none of layer 0, the embeddings or the head
    assert {p for p in before if in_block(p, 1) or in_block(p, 2)} == changed
    for path in changed:
        value, name = after[path], path.rsplit("/", 1)[-1]
        if name == "kernel":  # ELECTRA's truncated normal with the config's stddev, not the loader's zeros
            assert 0.8 * 0.05 < value.std() * 1.14 < 1.2 * 0.05, (path, value.std())
            assert np.abs(value).max() <= 2 * 0.05 + 1e-6
        elif name in ("bias", "beta"):
            assert not value.any(), path
        else:
            assert name == "gamma" and (value == 1).all(), path
    query = [p for p in changed if p.endswith("layer_1/attention/self/query/kernel")]
    key = [p for p in changed if p.endswith("layer_1/attention/self/key/kernel")]
    assert not np.array_equal(after[query[0]], after[key[0]])  # each kernel its own draw


def test_a_seed_repeats_the_draw_and_another_seed_does_not(folder):
    draws = []
    for seed in (3, 3, 4):
        model = tf_electra.TFElectraForSequenceClassification.from_pretrained(
            folder, num_labels=2, warn_unmatched=False
        )
        reinitialize_top_layers(model, 1, seed=seed)
        draws.append([v for p, v in weights(model).items() if "/layer_" in p])  # the head is new: random
    assert all(np.array_equal(a, b) for a, b in zip(draws[0], draws[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(draws[0], draws[2]))


def test_zero_layers_changes_nothing(folder):
    model = tf_electra.TFElectraModel.from_pretrained(folder, warn_unmatched=False)
    before = weights(model)
    assert reinitialize_top_layers(model, 0) == []
    assert all(np.array_equal(before[p], v) for p, v in weights(model).items())


def test_the_main_layer_itself_and_every_layer(folder):
    model = tf_electra.TFElectraModel.from_pretrained(folder, warn_unmatched=False)
    drawn = reinitialize_top_layers(model.electra, 3, seed=0)
    assert all(any(in_block(p, i) for p in drawn) for i in range(3))
    assert all(any(in_block(p, i) for i in range(3)) for p in drawn)


@pytest.mark.parametrize(
    "layers,seed,message",
    [
        (4, None, "reinit_layers must be an integer from 0 to the model's 3 layers, got 4"),
        (-1, None, "got -1"),
        (1.0, None, "got 1.0"),
        (True, None, "got True"),
        ("1", None, "got '1'"),
        (None, None, "got None"),
        (1, "7", "seed must be an int or None, got '7'"),
        (1, 1.5, "seed must be an int or None, got 1.5"),
        (1, False, "seed must be an int or None, got False"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_changes(folder, layers, seed, message):
    model = tf_electra.TFElectraModel.from_pretrained(folder, warn_unmatched=False)
    before = weights(model)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reinitialize_top_layers(model, layers, seed=seed)
    assert all(np.array_equal(before[p], v) for p, v in weights(model).items())


def test_a_model_without_encoder_blocks_is_refused_by_name():
    import keras

    with pytest.raises(ConfigError, match="Dense has no ELECTRA encoder blocks"):
        reinitialize_top_layers(keras.layers.Dense(2), 1)
