"""Loads an export as TF Serving would (TF1 session loader) and with tf.saved_model.load; prints both outputs.

Usage: python saved_model_client.py EXPORT_DIR INPUTS.json [SIGNATURE]. It never imports tf_electra.
With LIKE_STOCK_MODEL_SERVER=1 it first turns XLA compilation off for the process, as tensorflow_model_server
does unless started with --xla_cpu_compilation_enabled=true (its main() calls tensorflow::DisableXlaCompilation).
"""

import ctypes
import gc
import json
import os
import sys

import numpy as np
import tensorflow as tf

assert "tf_electra" not in sys.modules
if os.environ.get("LIKE_STOCK_MODEL_SERVER") == "1":
    library = ctypes.CDLL(os.path.join(os.path.dirname(tf.__file__), "libtensorflow_cc.so.2"))
    library._ZN10tensorflow21DisableXlaCompilationEv()
export_dir, inputs_file = sys.argv[1], sys.argv[2]
with open(inputs_file) as f:
    inputs = {k: np.asarray(v) for k, v in json.load(f).items()}
signature = sys.argv[3] if len(sys.argv) > 3 else "serving_default"
results = {}
with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], export_dir)
    sig = meta.signature_def[signature]
    assert sig.method_name == "tensorflow/serving/predict", sig.method_name
    feed = {sig.inputs[k].name: v for k, v in inputs.items()}
    names = sorted(sig.outputs)
    values = sess.run([sig.outputs[k].name for k in names], feed_dict=feed)
    results["session"] = {
        k: (v.astype(str).tolist() if v.dtype.kind in "OSU" else v.tolist()) for k, v in zip(names, values)
    }
loaded = tf.saved_model.load(export_dir)
out = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
results["load"] = {
    k: (v.numpy().astype(str).tolist() if v.dtype == tf.string else v.numpy().tolist()) for k, v in out.items()
}
print("RESULT" + json.dumps(results))
gc.freeze()  # the process ends here: its exit skips Python's collections over TensorFlow's objects (~1 s)
