"""Hostile model inputs: eagerly, inside tf.function, and through a SavedModel as TF Serving loads it.

Every case either raises an error naming the input (InputError eagerly, INVALID_ARGUMENT in a graph) or
was checked to give the right answer; none gives a silently wrong one.
"""

import numpy as np
import pytest
import tensorflow as tf

import tf_electra
from tf_electra import InputError
from tf_electra.errors import failed_check
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
        (dict(input_ids=np.ones((1, 3), "int32"), attention_mask=np.array([[1, 2, 1]])), "holds 2 at position"),
        (dict(input_ids=np.ones((1, 3), "int32"), attention_mask=np.array([[1, -1, 1]])), "holds -1 at position"),
        (dict(input_ids=np.ones((1, 3), "int32"), attention_mask=np.array([[1, 0.5, 1]])), "holds 0.5 at position"),
        (dict(input_ids=np.ones((1, 3), "int32"), attention_mask=np.array([[1, np.nan, 1]])), "holds nan at position"),
        (
            dict(input_ids=np.ones((1, 3), "int32"), token_type_ids=np.array([[0, 0.5, 0]])),
            "token_type_ids must hold int",
        ),
        (
            dict(input_ids=np.ones((1, 3), "int32"), position_ids=np.array([[0.0, 1.0, 4.5]])),
            "position_ids must hold int",
        ),
        (dict(input_ids=np.ones((2, 3), "int32"), labels=np.array([-1, 1])), r"labels holds -1 at position \(0,\)"),
        (dict(input_ids=np.ones((2, 3), "int32"), labels=np.array([0, 2])), r"outside the valid range \[0, 2\)"),
        (dict(input_ids=np.ones((2, 3), "int32"), labels=np.array([1])), r"labels has shape \(1,\) but the logits"),
        (dict(input_ids=np.ones((2, 3), "int32"), labels=np.array([0.5, 1.0])), "multi-label labels have shape"),
        (dict(input_ids=np.ones((1, 3), "int32"), labels=np.array([[0.5, 2.0]])), "a multi-label target in \\[0, 1\\]"),
        (
            dict(input_ids=np.ones((1, 3), "int32"), attention_masks=np.ones((1, 3))),
            r"argument\(s\) \['attention_masks'\]",
        ),
        (dict(input_ids={"input_ids": IDS, "token_type_id": IDS * 0}), r"input names \['token_type_id'\]"),
        (dict(input_ids=tf.ragged.constant([[1, 2, 3], [4]])), "inputs are a RaggedTensor: pad them"),
        (dict(input_ids={"input_ids": tf.ragged.constant([[1, 2], [4]])}), "inputs are a RaggedTensor: pad them"),
        (dict(input_ids=[IDS] * 5), "5 inputs in a list"),
    ],
)
def test_eager_calls_raise_one_clear_error(model, inputs, match):
    with pytest.raises(InputError, match=match):
        model(**inputs)


def test_a_plain_list_of_ids_is_accepted_and_equals_the_array(model):
    np.testing.assert_allclose(model([[1, 2, 3]]).logits, model(np.array([[1, 2, 3]], "int32")).logits, atol=1e-6)
    as_dict = model({"input_ids": [[1, 2, 3]], "attention_mask": [[1, 1, 0]]}, labels=[1]).loss  # lists in a dict too
    assert float(as_dict) == pytest.approx(
        float(model(np.array([[1, 2, 3]]), np.array([[1, 1, 0]]), labels=np.array([1])).loss)
    )
    as_column = model(np.ones((2, 3), "int32"), labels=np.array([[0], [1]])).loss  # [batch, 1]: as Hugging Face takes
    assert float(as_column) == pytest.approx(float(model(np.ones((2, 3), "int32"), labels=np.array([0, 1])).loss))


@pytest.mark.parametrize(
    "name,call,match",
    [
        (
            "TFElectraForQuestionAnswering",
            dict(labels=np.array([1])),
            "takes its labels as start_positions, end_positions",
        ),
        ("TFElectraModel", dict(labels=np.array([1])), "TFElectraModel takes no labels"),
        ("TFElectraForPreTraining", dict(labels=np.array([[0, 1, 2, 0]])), "labels holds 2 at position \\(0, 2\\)"),
        ("TFElectraForPreTraining", dict(labels=np.array([[0, 1, -100, 0]])), "holds -100 at position"),
        ("TFElectraForPreTraining", dict(labels=np.array([[1]])), r"labels has shape \(1, 1\) but the logits need"),
        ("TFElectraForCausalLM", dict(labels=np.array([1])), r"labels has shape \(1,\) but the logits need"),
        (
            "TFElectraForMultipleChoice",
            dict(attention_mask=np.ones((2, 1, 4))),
            r"attention_mask has shape \(2, 1, 4\)",
        ),
        ("TFElectraForMultipleChoice", dict(token_type_ids=np.zeros((1, 2, 3), "int32")), "token_type_ids has shape"),
        ("TFElectraForMultipleChoice", dict(input_ids=np.ones((2, 4), "int32")), r"shape \[batch, num_choices, seq\]"),
        ("TFElectraForMultipleChoice", dict(input_ids=np.ones((1, 0, 4), "int32")), "no choices to choose among"),
    ],
)
def test_labels_and_inputs_a_head_cannot_use_are_refused(name, call, match):
    model = tf_electra.MODEL_CLASSES[name](tiny_config(num_labels=2))
    ids = np.ones((1, 2, 4) if "MultipleChoice" in name else (1, 4), "int32")
    with pytest.raises(InputError, match=match):
        model(**dict({"input_ids": ids}, **call))


@pytest.mark.parametrize(
    "name,labels",
    [
        ("TFElectraForTokenClassification", np.array([[0, 1, -100, 7]])),
        ("TFElectraForMaskedLM", np.array([[-100, 64, -100, -100]])),
        ("TFElectraForMultipleChoice", np.array([9])),
    ],
)
def test_out_of_range_labels_of_every_head_name_labels(name, labels):
    config = tiny_config(num_labels=2)
    model = tf_electra.MODEL_CLASSES[name](config)
    ids = np.ones((1, 2, 4) if "MultipleChoice" in name else (1, 4), "int32")
    with pytest.raises(InputError, match="labels holds"):
        model(ids, labels=labels)


def test_a_bad_label_or_mask_inside_tf_function_is_a_graph_error(model):
    loss = tf.function(lambda ids, labels: model(ids, labels=labels).loss)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must lie in"):
        loss(tf.ones((2, 3), tf.int32), tf.constant([0, 5]))
    logits = tf.function(lambda ids, mask: model(ids, attention_mask=mask).logits)
    with pytest.raises(tf.errors.InvalidArgumentError, match="attention_mask must hold only 0 and 1"):
        logits(tf.ones((1, 3), tf.int32), tf.constant([[1, 2, 1]]))
    assert loss(tf.ones((2, 3), tf.int32), tf.constant([1, -100])).shape == ()


@pytest.mark.parametrize(
    "ids,line",
    [
        ([[1, 2, 3], [4, 64, -1]], "it holds 64 at position (1, 1); 2 value(s) out of range"),
        ([[1, 2, 3], [4, 5, 9000]], "it holds 9000 at position (1, 2); 1 value(s) out of range"),
        ([[-7, 2, 3]], "it holds -7 at position (0, 0); 1 value(s) out of range"),
    ],
)
def test_a_bad_id_inside_tf_function_is_named_with_its_position(model, ids, line):
    """TensorFlow's own range assertions print the tensor's first three values only: the graph error names the first
    id outside the vocabulary, where it is, and how many there are, as the eager error does; the CLI's one line
    (`errors.failed_check`) says the same."""
    logits = tf.function(lambda ids: model(ids).logits)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input_ids must lie in \[0, 64\)") as error:
        logits(tf.constant(ids, tf.int32))
    assert failed_check(error.value) == (
        f"input_ids must lie in [0, 64) (token id out of range for the model's vocabulary/table): {line}"
    )
    assert logits(tf.constant([[1, 2, 3]], tf.int32)).shape == (1, 2)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_an_empty_batch_passes_the_graph_range_check(model, jit_compile):
    """The check's report (first bad id, its position) is computed on every call: an empty batch must not break it."""
    logits = tf.function(lambda ids: model(ids).logits, jit_compile=jit_compile)
    assert logits(tf.zeros((0, 3), tf.int32)).shape == (0, 2)


def test_a_bad_id_under_xla_gives_nan_not_a_compile_error(model):
    """XLA drops assertions: the graph check must still compile there, and the bad row's logits are NaN."""
    logits = tf.function(lambda ids: model(ids).logits, jit_compile=True)
    out = logits(tf.constant([[1, 2, 3], [4, 64, 6]], tf.int32)).numpy()
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


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


def test_saved_model_names_the_first_bad_id_and_its_position(export_dir):
    signature = tf.saved_model.load(export_dir).signatures["ids_only"]
    ids = tf.constant([[1, 2, 3, 4, 5], [1, 2, 3, 4, 70]], tf.int64)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"input_ids must lie in \[0, 64\).*\[70\] \[at position\] \[1 4\]"
    ):
        signature(input_ids=ids)


def test_saved_model_answers_an_empty_batch(export_dir):
    signature = tf.saved_model.load(export_dir).signatures["ids_only"]
    assert signature(input_ids=tf.zeros((0, 5), tf.int64))["logits"].shape == (0, 2)


def test_saved_model_answers_valid_requests_like_the_model(model, export_dir):
    signature = tf.saved_model.load(export_dir).signatures["ids_only"]
    np.testing.assert_allclose(signature(input_ids=tf.constant(IDS))["logits"], model(IDS).logits, atol=1e-5)


def test_fit_takes_column_labels_after_flat_ones():
    # the second fit retraces with labels of unknown rank; the label check used to fail inside TensorFlow
    model = tf_electra.TFElectraForSequenceClassification(tiny_config())  # its own: fitting changes the weights
    model.compile(optimizer="adam")
    ids = np.ones((4, 3), "int32")
    model.fit({"input_ids": ids}, np.array([0, 1, 0, 1]), verbose=0, batch_size=2)
    history = model.fit({"input_ids": ids}, np.array([[0], [1], [0], [1]]), verbose=0, batch_size=2)
    assert np.isfinite(history.history["loss"][-1])


def test_discriminator_labels_may_be_bool_and_are_checked_in_graphs_too():
    model = tf_electra.TFElectraForPreTraining(tiny_config())
    ids = tf.ones((2, 4), tf.int32)
    loss = tf.function(lambda labels: model(ids, labels=labels).loss)
    eager = float(model(ids, labels=np.array([[True, False] * 2] * 2)).loss)
    assert float(loss(tf.constant([[True, False] * 2] * 2))) == pytest.approx(eager)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must lie in \\[0, 1\\]"):
        loss(tf.constant([[0, 1, 2, 0]] * 2))


def test_hugging_face_arguments_left_none_are_accepted(model):
    expected = model(IDS).logits
    np.testing.assert_allclose(model(IDS, head_mask=None, use_cache=None).logits, expected, atol=1e-6)
    np.testing.assert_allclose(model({"input_ids": IDS, "head_mask": None}).logits, expected, atol=1e-6)


def test_regression_labels_of_another_size_are_refused_by_name():
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_labels=1))
    with pytest.raises(InputError, match=r"labels have shape \(3,\) but the predictions \(2,\): one score each"):
        model(np.ones((2, 4), "int32"), labels=np.ones(3, "float32"))


@pytest.fixture(scope="module")
def xla_model():
    """Compiled with jit_compile=True: XLA drops TensorFlow's graph assertions (it clamped id 150 to the last row)."""
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_labels=2, hidden_dropout_prob=0.0))
    model.compile(optimizer="adam", jit_compile=True)
    return model


XLA_GOOD = dict(
    input_ids=np.array([[5, 6, 7, 8]] * 4, "int32"),
    attention_mask=np.ones((4, 4), "int32"),
    token_type_ids=np.zeros((4, 4), "int32"),
    position_ids=np.array([[0, 1, 2, 3]] * 4, "int32"),
)


@pytest.mark.parametrize(
    "name,row,value",
    [("input_ids", 0, 64), ("input_ids", 1, -1), ("token_type_ids", 2, 2), ("attention_mask", 3, 2)]
    + [("position_ids", 1, 40), ("attention_mask", 0, -1)],
)
def test_under_xla_a_bad_id_or_mask_value_makes_its_example_nan_not_a_wrong_answer(xla_model, name, row, value):
    good = xla_model.predict(XLA_GOOD, verbose=0)["logits"]
    inputs = {key: array.copy() for key, array in XLA_GOOD.items()}
    inputs[name][row, 2] = value
    out = xla_model.predict(inputs, verbose=0)["logits"]
    assert np.isfinite(good).all()
    assert [not np.isfinite(r).all() for r in out] == [i == row for i in range(4)]  # that example only
    others = [i for i in range(4) if i != row]
    np.testing.assert_allclose(out[others], good[others], atol=1e-5)


@pytest.mark.parametrize(
    "name,labels",
    [
        ("TFElectraForSequenceClassification", np.array([0, 1, 7, 0])),
        ("TFElectraForSequenceClassification", np.array([0, -3, 1, 0])),
        ("TFElectraForTokenClassification", np.array([[0, 1, -100, 7]] * 4)),
        ("TFElectraForPreTraining", np.array([[0, 1, 2, 0]] * 4)),
    ],
)
def test_under_xla_an_out_of_range_label_makes_the_loss_nan(name, labels):
    model = tf_electra.MODEL_CLASSES[name](tiny_config(num_labels=2))
    model.compile(optimizer="adam", jit_compile=True)
    features = {"input_ids": XLA_GOOD["input_ids"]}
    assert np.isnan(model.evaluate(features, labels, verbose=0))
    good = np.where((labels < 0) | (labels > 1), 0, labels)
    assert np.isfinite(model.evaluate(features, good, verbose=0))
