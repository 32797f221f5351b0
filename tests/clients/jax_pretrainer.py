"""A few ElectraPretrainer training steps on the JAX backend (its model code is keras.ops only), with the
pre-training optimizer (ElectraAdamW), whose arithmetic is also checked against a NumPy transcription."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras
import numpy as np
from adamw_reference import adamw_reference

from tf_electra.layers.dropout import Dropout
from tf_electra.models.electra_pretrainer import ElectraPretrainer
from tf_electra.pretraining_config import PretrainingConfig
from tf_electra.training.optimization import ElectraAdamW
from tf_electra.training.schedules import WarmupLinearDecay

assert keras.backend.backend() == "jax"
config = PretrainingConfig.from_hparams(
    {
        "model_hparam_overrides": {
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        "embedding_size": 16,
        "generator_hidden_size": 0.5,
        "vocab_size": 50,
        "max_seq_length": 16,
    }
)
model = ElectraPretrainer(config.discriminator_config(), config.generator_config(), 4, [2, 3, 4], 16, seed=0)
rng = np.random.default_rng(0)
ids = rng.integers(5, 50, (8, 16)).astype("int32")
ids[:, 0], ids[:, -1] = 2, 3
x = {"input_ids": ids, "input_mask": np.ones_like(ids), "segment_ids": np.zeros_like(ids)}
model.compile(optimizer=ElectraAdamW(WarmupLinearDecay(1e-3, 100, 2), num_layers=2, layer_decay=0.8))
losses = [float(model.train_on_batch(x, return_dict=True)["loss"]) for _ in range(5)]
assert all(np.isfinite(losses)), losses

weight = keras.Variable(np.array([0.5, -1.0, 2.0], "float32"), name="kernel")
start = np.asarray(weight.value).copy()
optimizer = ElectraAdamW(0.1, weight_decay_rate=0.1, global_clipnorm=None)
grads = [[rng.normal(size=3).astype("float32")] for _ in range(3)]
for (g,) in grads:
    optimizer.apply_gradients([(g, weight)])
want = adamw_reference([start], grads, [0.1] * 3, [1.0], [True], wd=0.1)[0]
np.testing.assert_allclose(np.asarray(weight.value), want, rtol=1e-5)
for policy in ("float32", "mixed_bfloat16"):  # tf_electra's Dropout: two decisions per random word on JAX too
    y = np.asarray(Dropout(0.1, seed=1, dtype=policy)(keras.ops.ones((1000, 1001)), training=True), "float32")
    assert abs(np.mean(y == 0) - 0.1) < 5 * np.sqrt(0.09 / y.size), (policy, np.mean(y == 0))
print("jax pretrainer ok", losses)
