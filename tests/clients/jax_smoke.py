"""A forward pass of TFElectraForPreTraining on the JAX backend."""

import os

import numpy as np

os.environ["KERAS_BACKEND"] = "jax"
import keras

assert keras.backend.backend() == "jax"
import tf_electra
from tf_electra.models.outputs import register_with_jax

register_with_jax()
config = tf_electra.ElectraConfig(
    vocab_size=30,
    embedding_size=8,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=20,
    max_position_embeddings=16,
)
model = tf_electra.TFElectraForPreTraining(config)
ids = np.array([[2, 5, 7, 0], [3, 4, 0, 0]], "int32")
out = model(ids, attention_mask=(ids > 0).astype("int32"))
assert out.logits.shape == (2, 4), out.logits.shape
assert np.isfinite(np.asarray(out.logits)).all()
print("jax forward ok", out.logits.shape)
