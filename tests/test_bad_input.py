"""Bad inputs give clear errors, eagerly and inside compiled graphs; never a silent zero embedding."""

import numpy as np
import pytest
import tensorflow as tf

import tf_electra
from tf_electra import ConfigError
from tf_electra import InputError

from conftest import tiny_config


@pytest.fixture(scope="module")
def model():
    return tf_electra.TFElectraForSequenceClassification(tiny_config())


def test_token_id_at_or_above_vocab_size(model):
    ids = np.array([[1, 2, 64, 3]], "int32")
    with pytest.raises(InputError, match=r"input_ids holds 64 at position \(0, 2\).*\[0, 64\)"):
        model(ids)


def test_negative_token_id(model):
    with pytest.raises(InputError, match="-1"):
        model(np.array([[1, -1]], "int32"))


def test_token_type_out_of_range(model):
    ids = np.array([[1, 2]], "int32")
    with pytest.raises(InputError, match="token_type_ids"):
        model(ids, token_type_ids=np.array([[0, 2]], "int32"))


def test_out_of_range_id_inside_a_compiled_graph(model):
    fn = tf.function(lambda ids: model(ids).logits)
    fn(tf.constant([[1, 2, 3]], tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_ids"):
        fn(tf.constant([[1, 99, 3]], tf.int32))


def test_sequence_longer_than_max_position_embeddings(model):
    ids = np.ones((1, 41), "int32")
    with pytest.raises(InputError, match="max_position_embeddings=40"):
        model(ids)


def test_mismatched_shapes(model):
    ids = np.ones((2, 5), "int32")
    with pytest.raises(InputError, match="attention_mask has shape"):
        model(ids, attention_mask=np.ones((2, 4), "int32"))
    with pytest.raises(InputError, match="token_type_ids has shape"):
        model(ids, token_type_ids=np.zeros((3, 5), "int32"))  # (1, 5) is one row for the batch, as in transformers


def test_mismatched_shapes_inside_a_compiled_graph(model):
    spec = tf.TensorSpec((None, None), tf.int32)
    fn = tf.function(lambda ids, mask: model(ids, attention_mask=mask).logits, input_signature=[spec, spec])
    with pytest.raises(tf.errors.InvalidArgumentError, match="attention_mask"):
        fn(tf.ones((2, 5), tf.int32), tf.ones((2, 4), tf.int32))


def test_unknown_input_name_in_a_dict(model):
    with pytest.raises(InputError, match="input_idz"):
        model({"input_idz": np.ones((1, 3), "int32")})


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda d: str(d), "is a folder; give a JSON object or a JSON file"),
        (lambda d: (d / "empty.json").write_text("") and None or str(d / "empty.json"), "empty.json is empty"),
        (lambda d: (d / "bad.json").write_text("{x") and None or str(d / "bad.json"), "bad.json is not valid JSON"),
        (lambda d: "nothing.json", "'nothing.json' is neither a JSON object nor an existing file"),
        (lambda d: '{"a": 1', "hparams are not valid JSON"),
        (lambda d: "[1, 2]", "must be a JSON object, got list"),
    ],
)
def test_hparams_files_and_strings_name_what_is_wrong(tmp_path, make, message):
    from tf_electra.utils.values import parse_json_object

    with pytest.raises(ConfigError, match=message):
        parse_json_object(make(tmp_path), "hparams")
