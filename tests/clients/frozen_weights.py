"""What TensorFlow does under TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1 (set by the caller), and that training is refused.

Prints RESULT {...}: how far a compiled function's output moved when the weights changed after its first
call, against eager and a newly traced function, and the errors that `fit` raised, before and after the
variable was unset.
"""

import gc
import json
import os

import keras
import numpy as np
import tensorflow as tf

import tf_electra

assert os.environ.get("TF_ONEDNN_ASSUME_FROZEN_WEIGHTS") == "1"
config = tf_electra.ElectraConfig(
    vocab_size=1000, embedding_size=32, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
    intermediate_size=128, num_labels=2,
)  # fmt: skip
keras.utils.set_random_seed(0)
model = tf_electra.TFElectraForSequenceClassification(config)
features = {"input_ids": tf.constant(np.random.default_rng(0).integers(5, 999, (4, 16)), tf.int32)}
compiled = tf.function(lambda f: model(f, training=False).logits)
before = compiled(features).numpy()
for variable in model.trainable_variables:
    variable.assign(variable * 1.5)
eager = model(features, training=False).logits.numpy()
retraced = tf.function(lambda f: model(f, training=False).logits)(features).numpy()
result = {
    "weights_moved_output": float(np.abs(eager - before).max()),
    "compiled_vs_eager": float(np.abs(compiled(features).numpy() - eager).max()),
    "retraced_vs_eager": float(np.abs(retraced - eager).max()),
}
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
try:
    model.fit(features, tf.constant([0, 1, 0, 1]), epochs=1, verbose=0)
    result["fit"] = "trained"
except Exception as e:  # the guard's error, checked by the test
    result["fit"] = f"{type(e).__name__}: {e}"
del os.environ["TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"]  # too late: TensorFlow read it when the first step ran
try:
    model.fit(features, tf.constant([0, 1, 0, 1]), epochs=1, verbose=0)
    result["fit_after_unset"] = "trained"
except Exception as e:
    result["fit_after_unset"] = f"{type(e).__name__}: {e}"
print("RESULT" + json.dumps(result))
gc.freeze()  # the process ends here: its exit skips Python's collections over TensorFlow's objects (~1 s)
