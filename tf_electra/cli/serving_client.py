"""The demo's TF Serving stand-in: answers a REST `:predict` body from an export, the way the model server does.

Run as a script (`python serving_client.py EXPORT_DIR BODY_JSON`) in a fresh interpreter; it uses
TensorFlow's TF1 session loader and signature tensor names, as TF Serving does, and never imports
tf_electra. Probabilities are printed with 4 decimals.
"""

import json
import sys

import numpy as np
import tensorflow as tf


def main(export_dir, body):
    assert "tf_electra" not in sys.modules
    rows = body["instances"]  # TF Serving's REST row format: one object per example
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], export_dir)
        signature = meta.signature_def[body.get("signature_name", "serving_default")]
        feed = {signature.inputs[name].name: np.array([r[name] for r in rows], np.int64) for name in rows[0]}
        names = sorted(signature.outputs)
        values = sess.run([signature.outputs[n].name for n in names], feed_dict=feed)
    outputs = {
        n: v.astype(str).tolist() if v.dtype.kind in "OSU" else np.round(v.astype(float), 4).tolist()
        for n, v in zip(names, values)
    }
    predictions = [dict(zip(outputs, row)) for row in zip(*outputs.values())]
    print(json.dumps({"predictions": predictions}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
