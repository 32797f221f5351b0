"""Dropout that draws one random 32-bit word per two elements, with the same drop rate in every dtype."""

import keras
from keras import ops

BITS = 15  # two 15-bit draws per random word: keras.random.randint(0, 2**30) gives 30 uniform bits
LEVELS = 1 << BITS


@keras.saving.register_keras_serializable(package="tf_electra")
class Dropout(keras.layers.Dropout):
    """`keras.layers.Dropout`, with its arguments and config, drawing half as many random numbers.

    Keras' dropout draws one uniform float per element, in the input's dtype. Two things follow:
    * the random numbers are half of what a training step spends on dropout (TensorFlow's Philox
      kernel, measured on CPU), and each 32-bit word carries only one decision;
    * in bfloat16 (mixed_bfloat16) the uniform numbers have 8 bits of precision, so rate 0.1 drops 10.12-10.17% of
      the elements, not 10%.
    This layer draws 30 random bits per two elements and compares each 15-bit half with an integer
    threshold: an element is dropped with probability round(rate x 2^15) / 2^15 (within 1.6e-5 of `rate`),
    whatever the dtype, and the kept ones are scaled by the inverse of that keep probability (in the input's
    dtype, as Keras and PyTorch scale: in bfloat16 1 / 0.9 rounds to 1.109375, so E[output] = 0.9984 x at
    rate 0.1, against 0.9966 x with Keras' dropout). `noise_shape` and scalar inputs fall back to Keras' own
    dropout. On JAX, `jax.random.randint` spends two words per number, so there only the rate is gained.
    """

    def call(self, inputs, training=False):
        if (
            not training
            or not isinstance(self.rate, (int, float))  # e.g. a tensor: Keras' dropout takes it
            or self.rate == 0
            or self.noise_shape is not None
            or not _dense_float(inputs)  # unknown rank, ragged, sparse, not floating point: Keras' checks and path
        ):
            return super().call(inputs, training=training)
        threshold = round(self.rate * LEVELS)
        if threshold == 0:
            return inputs
        if threshold >= LEVELS:
            return ops.zeros_like(inputs)
        shape = ops.shape(inputs)
        width = shape[-1]
        half = (width + 1) // 2
        words = keras.random.randint((*shape[:-1], half), 0, 1 << (2 * BITS), dtype="int32", seed=self.seed_generator)
        # word = high * 2^15 + low: low >= t, and high >= t exactly when word >= t * 2^15 (no shift needed)
        low_kept = ops.bitwise_and(words, LEVELS - 1) >= threshold
        keep = ops.concatenate([low_kept, words >= threshold * LEVELS], axis=-1)
        if not (isinstance(width, int) and width % 2 == 0):
            keep = keep[..., :width]
        scale = LEVELS / (LEVELS - threshold)
        return ops.where(keep, inputs * scale, ops.zeros_like(inputs))


def _dense_float(inputs):
    """A dense floating-point tensor of known rank >= 1 (what the word-pair draw handles)."""
    shape = getattr(inputs, "shape", None)
    if shape is None or getattr(shape, "rank", 0) is None or type(inputs).__name__.startswith(("Ragged", "Sparse")):
        return False
    try:
        rank = len(shape)
    except (TypeError, ValueError):
        return False
    return rank > 0 and "float" in str(getattr(inputs, "dtype", ""))
