"""Calls an export's raw-text signatures, as a TF Serving client would.

Usage: python text_signature_client.py EXPORT_DIR '[[texts], [pairs]]'. It never imports tf_electra.
"""

import gc
import json
import sys

import tensorflow as tf
import tensorflow_text  # noqa: F401 (registers the text ops, as TF Serving links them in)

assert "tf_electra" not in sys.modules
loaded = tf.saved_model.load(sys.argv[1])
texts = json.loads(sys.argv[2])
single = loaded.signatures["serve_text"](text=tf.constant(texts[0]))
pair = loaded.signatures["serve_text_pair"](text=tf.constant(texts[0]), text_pair=tf.constant(texts[1]))
print(
    "RESULT"
    + json.dumps(
        {
            "single": {k: v.numpy().tolist() for k, v in single.items() if v.dtype != tf.string},
            "pair": {k: v.numpy().tolist() for k, v in pair.items() if v.dtype != tf.string},
        }
    )
)
gc.freeze()  # the process ends here: its exit skips Python's collections over TensorFlow's objects (~1 s)
