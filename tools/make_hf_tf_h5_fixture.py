"""Writes the tiny tf_model.h5 fixtures that test our reader of Hugging Face's TF2 layout.

Run in its own process: it needs transformers 4.57.6 with tf-keras (Keras 2), which
must never be imported next to Keras 3:

    pip install tf-keras==2.21.0 transformers==4.57.6
    TF_USE_LEGACY_KERAS=1 python tools/make_hf_tf_h5_fixture.py tests/data/hf_tf

For each head it writes DIR/<HFClass>/{config.json, tf_model.h5} with transformers'
own `save_pretrained`, and DIR/<HFClass>/expected.npz with the inputs and the
outputs of transformers' TF model on them (dropout off).
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("USE_TORCH", "0")

import numpy as np
import tensorflow as tf
import transformers

HEADS = (
    "TFElectraModel",
    "TFElectraForPreTraining",
    "TFElectraForMaskedLM",
    "TFElectraForSequenceClassification",
    "TFElectraForQuestionAnswering",
)


def main(out_dir):
    config = transformers.ElectraConfig(
        vocab_size=40,
        embedding_size=6,
        hidden_size=8,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=12,
        max_position_embeddings=16,
        initializer_range=0.3,
        num_labels=2,
    )
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 40, (2, 7)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, 5:] = 0
    types = np.zeros_like(ids)
    types[:, 4:] = 1
    for index, name in enumerate(HEADS):
        tf.random.set_seed(index)
        model = getattr(transformers, name)(config)
        model(model.dummy_inputs)
        # Randomise every weight (biases and LayerNorm too) so a wrong mapping cannot hide.
        for weight in model.weights:
            weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32") + ("gamma" in weight.name))
        outputs = model(input_ids=ids, attention_mask=mask, token_type_ids=types, training=False)
        folder = os.path.join(out_dir, name)
        model.save_pretrained(folder)
        arrays = {k: v.numpy() for k, v in outputs.items() if hasattr(v, "numpy")}
        np.savez(
            os.path.join(folder, "expected.npz"), input_ids=ids, attention_mask=mask, token_type_ids=types, **arrays
        )
        print(name, {k: v.shape for k, v in arrays.items()}, os.path.getsize(os.path.join(folder, "tf_model.h5")))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/hf_tf")
