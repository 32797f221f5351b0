"""Hostile model inputs: eagerly, inside tf.function, and through a SavedModel as TF Serving loads it.

Every case either raises an error naming the input (InputError eagerly, INVALID_ARGUMENT in a graph) or
was checked to give the right answer; none gives a silently wrong one.
"""

import numpy as np
import pytest
import tensorflow as tf

import tf_electra
from tf_electra import InputError
from tf_electra.serving.export import export_saved_model

from conftest import tiny_config

IDS = np.array([[1, 2, 3, 4]], "int64")


@pytest.fixture(scope="module")
def model():
    return tf_electra.TFElectraForSequenceClassification(tiny_config())


@pytest.mark.parametrize(
    "inputs,match",
    [
        (dict(input_ids=np.array([[1.0, 2.7]])), "must hold integer token ids, got dtype float"),
        (dict(input_ids=np.array([[-0.5, 2.0]], "float32")), "integer token ids, got dtype float32"),
        (dict(input_ids=np.array([[True, False]])), "integer token ids, got dtype bool"),
        (dict(input_ids=np.array([["a", "b"]])), "integer token ids"),
        (dict(input_ids="the film"), "integer tensor or array of token ids"),
        (dict(input_ids=[[1, 2], [3]]), "rectangular"),
        (dict(input_ids=np.zeros((2, 0), "int32")), "sequence length 0"),
        (dict(input_ids=np.array([1, 2, 3])), r"shape \[batch, seq\]"),
        (dict(input_ids=np.array([[1, 64]])), r"input_ids holds 64 at position \(0, 1\)"),
        (dict(input_ids=np.array([[1, 2**32 + 5]])), "outside the valid range"),
        (dict(input_ids=np.array([[1, 2]]), token_type_ids=np.array([[0, 2**32]])), "token_type_ids"),
        (dict(input_ids=np.ones((1, 41), "int32")), "max_position_embeddings=40"),
        (dict(inputs_embeds=np.zeros((1, 3, 5), "float32")), r"\[batch, seq, 12\]"),
        (dict(inputs_embeds=np.zeros((1, 3, 12), "int32")), "inputs_embeds must be a float tensor"),
        (dict(input_ids=np.ones((1, 3), "int32"), inputs_embeds=np.zeros((1, 3, 12), "float32")), "not both"),
        (dict(), "pass input_ids or inputs_embeds"),
        (dict(input_ids=np.ones((2, 5), "int32"), attention_mask=np.ones((2, 4), "int32")), "attention_mask has shape"),
    ],
)
def test_eager_calls_raise_one_clear_error(model, inputs, match):
    with pytest.raises(InputError, match=match):
        model(**inputs)


def test_a_plain_list_of_ids_is_accepted_and_equals_the_array(model):
    np.testing.assert_allclose(model([[1, 2, 3]]).logits, model(np.array([[1, 2, 3]], "int32")).logits, atol=1e-6)


def test_float_ids_are_refused_inside_tf_function_too(model):
    fn = tf.function(lambda ids: model(ids).logits)
    with pytest.raises(InputError, match="dtype float32"):
        fn(tf.constant([[1.0, 2.0]]))


@pytest.fixture(scope="module")
def export_dir(model, tmp_path_factory):
    return export_saved_model(model, tmp_path_factory.mktemp("serving"))


@pytest.mark.parametrize(
    "name,values",
    [
        ("input_ids", [[1, 2**32 + 5, 3]]),  # would be 5 after a cast to int32
        ("input_ids", [[1, -(2**32) + 5, 3]]),
        ("attention_mask", [[1, 2**32, 1]]),  # would be 0
        ("token_type_ids", [[0, 2**32, 0]]),
        ("attention_mask", [[1, 2, 1]]),
        ("input_ids", [[1, -1, 3]]),
    ],
)
@pytest.mark.parametrize("loader", ["saved_model.load", "tf1_session"])
def test_saved_model_checks_int64_values_before_the_int32_cast(export_dir, name, values, loader):
    inputs = {"input_ids": [[1, 2, 3]], "attention_mask": [[1, 1, 1]], "token_type_ids": [[0, 0, 0]]}
    inputs[name] = values
    feed = {k: np.array(v, np.int64) for k, v in inputs.items()}
    if loader == "saved_model.load":
        signature = tf.saved_model.load(export_dir).signatures["serving_default"]
        with pytest.raises(tf.errors.InvalidArgumentError, match=f"{name} must lie in"):
            signature(**{k: tf.constant(v) for k, v in feed.items()})
        return
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], export_dir)
        sig = meta.signature_def["serving_default"]
        with pytest.raises(tf.errors.InvalidArgumentError, match=f"{name} must lie in"):
            sess.run(sig.outputs["logits"].name, {sig.inputs[k].name: v for k, v in feed.items()})


def test_saved_model_answers_valid_requests_like_the_model(model, export_dir):
    signature = tf.saved_model.load(export_dir).signatures["ids_only"]
    np.testing.assert_allclose(signature(input_ids=tf.constant(IDS))["logits"], model(IDS).logits, atol=1e-5)
