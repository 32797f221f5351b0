"""tf_electra.layers.dropout.Dropout: Keras' Dropout with two decisions per random word and the exact rate in bf16."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_electra.layers.dropout import LEVELS
from tf_electra.layers.dropout import Dropout

N = 2_000_000  # binomial std of the dropped fraction at rate 0.1: 2.1e-4


POLICY = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def dropped_fraction(layer, dtype, shape=(1000, 2000)):
    x = keras.ops.ones(shape, dtype=dtype)
    y = layer(x, training=True)
    assert keras.backend.standardize_dtype(y.dtype) == dtype  # computed in that dtype, not autocast to float32
    y = np.asarray(keras.ops.cast(y, "float32"))
    return float(np.mean(y == 0)), y


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_the_drop_rate_is_the_asked_one_in_every_dtype(dtype, rate):
    fraction, _ = dropped_fraction(Dropout(rate, seed=1, dtype=POLICY[dtype]), dtype)
    assert abs(fraction - rate) < 5 * np.sqrt(rate * (1 - rate) / N)


def test_keras_own_dropout_misses_the_rate_in_bfloat16_which_is_why_this_layer_exists():
    for seed in (1, 2):
        layer = keras.layers.Dropout(0.1, seed=seed, dtype="mixed_bfloat16")
        fraction, _ = dropped_fraction(layer, "bfloat16", shape=(2000, 2000))
        assert fraction - 0.1 > 5 * np.sqrt(0.09 / 4e6)  # 10.12-10.17%: uniform draws with 8 bits of precision


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_kept_elements_are_scaled_by_the_inverse_keep_probability_and_the_gradient_is_the_same_mask(dtype):
    layer = Dropout(0.1, seed=3, dtype=POLICY[dtype])
    x = tf.Variable(tf.cast(tf.random.normal((64, 256), seed=0), dtype))
    with tf.GradientTape() as tape:
        y = layer(x, training=True)
        total = tf.reduce_sum(tf.cast(y, "float32"))
    assert y.dtype == dtype
    scale = LEVELS / (LEVELS - round(0.1 * LEVELS))
    kept = y.numpy() != 0
    expected = tf.cast(x * scale, "float32").numpy()
    np.testing.assert_array_equal(tf.cast(y, "float32").numpy()[kept], expected[kept])
    grad = tf.cast(tape.gradient(total, x), "float32").numpy()
    np.testing.assert_array_equal(grad != 0, kept)
    np.testing.assert_allclose(grad[kept], tf.cast(tf.cast(scale, dtype), "float32").numpy(), rtol=0)


def test_the_two_decisions_from_one_word_are_independent():
    _, y = dropped_fraction(Dropout(0.1, seed=5), "float32")
    first, second = y[:, :1000] == 0, y[:, 1000:] == 0  # halves of one word: column j and j + 1000
    assert abs(first.mean() - 0.1) < 5 * np.sqrt(0.09 / first.size)
    assert abs(second.mean() - 0.1) < 5 * np.sqrt(0.09 / second.size)
    both = np.mean(first & second)
    assert abs(both - 0.01) < 5 * np.sqrt(0.0099 / first.size)


@pytest.mark.parametrize("shape", [(3, 7), (2, 3, 1), (5, 4, 129), (1, 2)])
def test_odd_and_tiny_last_dimensions_keep_their_shape(shape):
    y = Dropout(0.5, seed=0)(keras.ops.ones(shape), training=True)
    assert tuple(y.shape) == shape
    assert set(np.unique(np.asarray(y))) <= {0.0, 2.0}


def test_unknown_batch_and_length_in_a_compiled_function():
    layer = Dropout(0.25, seed=0)
    fn = tf.function(lambda x: layer(x, training=True), input_signature=[tf.TensorSpec((None, None, 9))])
    y = fn(tf.ones((4, 6, 9))).numpy()
    assert y.shape == (4, 6, 9) and set(np.unique(y)) <= {0.0, np.float32(LEVELS / (LEVELS - LEVELS // 4))}


@pytest.mark.parametrize("width", [9, 10])
def test_an_unknown_last_dimension_in_a_compiled_function(width):
    layer = Dropout(0.5, seed=0)
    fn = tf.function(lambda x: layer(x, training=True), input_signature=[tf.TensorSpec((None, None, None))])
    y = fn(tf.ones((40, 30, width))).numpy()
    assert y.shape == (40, 30, width) and set(np.unique(y)) <= {0.0, 2.0}
    for column in range(width):  # each column, from either half of the words, dropped at the rate
        assert abs(np.mean(y[..., column] == 0) - 0.5) < 5 * np.sqrt(0.25 / 1200)


def test_a_scalar_falls_back_to_keras():
    y = float(np.asarray(Dropout(0.5, seed=0)(keras.ops.convert_to_tensor(3.0), training=True)))
    assert y in (0.0, 6.0)


@pytest.mark.parametrize(
    "rate, training, check",
    [
        (0.1, False, "identity"),
        (0.0, True, "identity"),
        (1.0, True, "zeros"),
        (0.999999, True, "zeros"),  # rounds to 2^15 of 2^15: dropped as Keras drops at rate 1
        (1e-7, True, "identity"),  # rounds to 0 of 2^15
    ],
)
def test_edge_rates_and_inference(rate, training, check):
    x = keras.ops.reshape(keras.ops.arange(1, 61, dtype="float32"), (3, 20))
    y = np.asarray(Dropout(rate, seed=0)(x, training=training))
    np.testing.assert_array_equal(y, np.zeros((3, 20)) if check == "zeros" else np.asarray(x))


def test_a_seed_repeats_the_masks_and_each_call_draws_new_ones():
    x = keras.ops.ones((50, 40))
    a, b = Dropout(0.3, seed=7), Dropout(0.3, seed=7)
    first, second = np.asarray(a(x, training=True)), np.asarray(a(x, training=True))
    np.testing.assert_array_equal(first, np.asarray(b(x, training=True)))
    assert not np.array_equal(first, second)


def test_noise_shape_falls_back_to_keras_dropout():
    y = np.asarray(Dropout(0.5, noise_shape=(4, 1), seed=0)(keras.ops.ones((4, 30)), training=True))
    for row in y:  # one decision per row
        assert len(set(row)) == 1


def test_config_round_trip_gives_this_class():
    layer = Dropout(0.2, seed=4, name="drop")
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(again) is Dropout and again.rate == 0.2 and again.seed == 4 and again.name == "drop"


@pytest.mark.parametrize(
    "rate, error",
    [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("0.1", TypeError), (None, TypeError)],
)
def test_bad_rates_are_refused_when_the_layer_is_made(rate, error):
    with pytest.raises(error):
        Dropout(rate)


@pytest.mark.parametrize(
    "name,make",
    [
        ("bool", lambda: tf.constant([True, False] * 4)),
        ("int32", lambda: tf.constant([1, 2, 3, 4])),
        ("complex", lambda: tf.constant([1 + 1j, 2j])),
        ("ragged", lambda: tf.ragged.constant([[1.0, 2.0], [3.0]])),
    ],
)
def test_inputs_keras_refuses_are_refused_as_keras_does(name, make):
    """Not floating point, or not dense: Keras' own checks answer (no random booleans, no obscure TypeError)."""
    with pytest.raises(Exception) as keras_error:
        keras.layers.Dropout(0.25)(make(), training=True)
    with pytest.raises(type(keras_error.value)) as ours:
        Dropout(0.25)(make(), training=True)
    assert str(ours.value).splitlines()[-1:] == str(keras_error.value).splitlines()[-1:] or name == "ragged"


def test_a_tensor_rate_and_an_unknown_rank_use_keras_dropout():
    dropped = Dropout(tf.constant(0.25))(tf.ones([20000]), training=True) == 0
    assert abs(float(tf.reduce_mean(tf.cast(dropped, tf.float32))) - 0.25) < 0.02
    layer = Dropout(0.25)
    fn = tf.function(lambda x: layer(x, training=True), input_signature=[tf.TensorSpec(None, tf.float32)])
    dropped = fn(tf.ones([100, 200])) == 0
    assert dropped.shape == (100, 200) and abs(float(tf.reduce_mean(tf.cast(dropped, tf.float32))) - 0.25) < 0.02
