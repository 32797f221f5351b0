"""Trains a tiny classifier for a few steps on a fixed global batch of 8 and saves its weights.

Usage: python distributed_train.py MODE OUT.npz   (MODE: single, mirrored or multi-worker)
"""

import os
import sys

import numpy as np

mode, out = sys.argv[1], sys.argv[2]
import tensorflow as tf

if mode == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras

import tf_electra
from tf_electra.training.distribute import make_strategy
from tf_electra.training.optimization import create_optimizer

if mode == "mirrored":
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
elif mode == "multi-worker":  # ours: the leader first waits for the other worker's address
    strategy = make_strategy("multi-worker")
else:
    strategy = tf.distribute.get_strategy()
keras.utils.set_random_seed(0)
config = tf_electra.ElectraConfig(
    vocab_size=50,
    embedding_size=8,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    classifier_dropout=0.0,
)
rng = np.random.default_rng(0)
ids = rng.integers(1, 50, (32, 10)).astype("int32")
labels = (ids[:, 0] > ids[:, 1]).astype("int32")
data = tf.data.Dataset.from_tensor_slices(({"input_ids": ids, "attention_mask": np.ones_like(ids)}, labels)).batch(8)
with strategy.scope():
    model = tf_electra.TFElectraForSequenceClassification(config)
    init = np.load(os.path.join(os.path.dirname(out), "init.npz"))
    model.set_weights([init[f"w{i}"] for i in range(len(model.weights))])
    model.compile(optimizer=create_optimizer(model, total_steps=8, learning_rate=1e-2, warmup_ratio=0.25))
model.fit(data, epochs=2, verbose=0, shuffle=False)
np.savez(out, *[w.numpy() for w in model.weights])
print("replicas", strategy.num_replicas_in_sync)
