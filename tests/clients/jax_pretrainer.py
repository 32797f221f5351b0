"""A few ElectraPretrainer training steps on the JAX backend (its model code is keras.ops only)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras
import numpy as np

from tf_electra.models.electra_pretrainer import ElectraPretrainer
from tf_electra.pretraining_config import PretrainingConfig

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
model.compile(optimizer=keras.optimizers.Adam(1e-3))
losses = [float(model.train_on_batch(x, return_dict=True)["loss"]) for _ in range(5)]
assert all(np.isfinite(losses)), losses
print("jax pretrainer ok", losses)
