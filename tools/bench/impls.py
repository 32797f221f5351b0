"""The implementations a user could pick instead of ours, and ours, behind one interface.

Each `setup_<family>(cfg, batch, seq, task, variant)` builds a sequence classifier (ELECTRA encoder
plus a 2-way head) with random weights and returns `step()`, which runs one inference call or one
training step (Adam) and returns when the result is computed; task "pretrain" is one ELECTRA
pre-training step instead (bench/pretraining.py). Every family runs in its own process
(see worker.py), so TensorFlow, tf-keras and PyTorch never share one.
"""

import numpy as np

# name: (family, precision, tasks, variant)
IMPLS = {
    "PyTorch fp32": ("torch", "float32", ("infer", "train", "pretrain"), "fp32"),
    "PyTorch bf16 autocast": ("torch", "bfloat16", ("infer", "train", "pretrain"), "bf16"),
    "PyTorch int8 dynamic": ("torch", "int8", ("infer",), "int8"),
    "transformers-4 TF tf.function": ("hf_tf", "float32", ("infer", "train"), "fp32"),
    "KerasHub": ("keras_hub", "float32", ("infer", "train"), "fp32"),
    "KerasHub XLA": ("keras_hub", "float32", ("infer", "train"), "xla"),
    "KerasHub mixed_bfloat16": ("keras_hub", "bfloat16", ("infer", "train"), "bf16"),
    "tf_electra": ("ours", "float32", ("infer", "train", "pretrain"), "fp32"),
    "tf_electra XLA": ("ours", "float32", ("infer", "train"), "xla"),
    "tf_electra mixed_bfloat16": ("ours", "bfloat16", ("infer", "train", "pretrain"), "bf16"),
    "tf_electra bfloat16": ("ours", "bfloat16", ("infer",), "pure_bf16"),
    "tf_electra XLA mixed_bfloat16": ("ours", "bfloat16", ("infer", "train"), "xla_bf16"),
    "tf_electra int8": ("ours", "int8", ("infer",), "int8"),
    "tf_electra int8 XLA-fused": ("ours", "int8", ("infer",), "int8_xla"),
    "tf_electra XLA-elementwise": ("ours", "float32", ("infer", "train", "pretrain"), "ew_fp32"),
    "tf_electra XLA-elementwise mixed_bfloat16": ("ours", "bfloat16", ("infer", "train", "pretrain"), "ew_bf16"),
    "tf_electra XLA-elementwise bfloat16": ("ours", "bfloat16", ("infer",), "ew_pure_bf16"),
    "tf_electra default-allocator": ("ours", "float32", ("train", "pretrain"), "da_fp32"),
    "tf_electra default-allocator mixed_bfloat16": ("ours", "bfloat16", ("train", "pretrain"), "da_bf16"),
    "tf_electra frozen-weights": ("ours", "float32", ("infer",), "fw_fp32"),
    "tf_electra frozen-weights bfloat16": ("ours", "bfloat16", ("infer",), "fw_pure_bf16"),
    "tf_electra frozen-weights XLA-elementwise bfloat16": ("ours", "bfloat16", ("infer",), "fw_ew_pure_bf16"),
}

# Settings of single implementations, on top of their family's ENV, read when the process starts: variant
# prefix "fw_" = oneDNN's frozen weights (an inference-only process, tf_electra.utils.onednn), "ew_" =
# TF_ELECTRA_XLA=elementwise, "da_" = TensorFlow's default CPU allocator instead of the BFC allocator that
# `import tf_electra` chooses (tf_electra.utils.allocator), to show what that choice does in the same run.
VARIANT_ENV = {
    "fw_": {"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "1"},
    "ew_": {"TF_ELECTRA_XLA": "elementwise"},
    "da_": {"TF_CPU_ALLOCATOR_USE_BFC": "false"},
}


def variant_settings(variant):
    """(the process environment a variant needs, the variant without its prefixes)."""
    env = {}
    for prefix, settings in VARIANT_ENV.items():
        if variant.startswith(prefix):
            env.update(settings)
            variant = variant.removeprefix(prefix)
    return env, variant


IMPL_ENV = {name: variant_settings(impl[3])[0] for name, impl in IMPLS.items()}

OFF = {"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "0"}  # TensorFlow peers and baselines never inherit the shell's
ENV = {
    "torch": {"USE_TF": "0"},
    "hf_tf": {"TF_USE_LEGACY_KERAS": "1", "USE_TORCH": "0", **OFF},
    "keras_hub": {"KERAS_BACKEND": "tensorflow", **OFF},
    "ours": {"KERAS_BACKEND": "tensorflow", **OFF},
}


def batch_arrays(cfg, batch, seq, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, cfg["vocab_size"], (batch, seq)).astype("int32")
    return ids, np.ones_like(ids), rng.integers(0, 2, (batch,)).astype("int32")


def setup_torch(cfg, batch, seq, task, variant):
    import os

    if task == "pretrain":
        from bench import pretraining

        return pretraining.setup_torch(cfg, batch, seq, variant)

    import torch
    import transformers

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    hf_cfg = transformers.ElectraConfig(**cfg, num_labels=2)
    model = transformers.ElectraForSequenceClassification(hf_cfg)
    ids, mask, labels = (torch.as_tensor(a).long() for a in batch_arrays(cfg, batch, seq))
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant == "bf16")
    if task == "infer":
        model.eval()
        if variant == "int8":
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)

        def step():
            with torch.inference_mode(), autocast():
                return model(input_ids=ids, attention_mask=mask).logits.float().numpy()

        return step
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)

    def train_step():
        optimizer.zero_grad()
        with autocast():
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        return float(loss)

    return train_step


def setup_hf_tf(cfg, batch, seq, task, variant):
    import tensorflow as tf
    import transformers

    tf.keras.utils.set_random_seed(0)
    model = transformers.TFElectraForSequenceClassification(transformers.ElectraConfig(**cfg, num_labels=2))
    ids, mask, labels = batch_arrays(cfg, batch, seq)
    features = {"input_ids": tf.constant(ids), "attention_mask": tf.constant(mask)}
    if task == "infer":
        fn = tf.function(lambda f: model(f, training=False).logits)
        return lambda: fn(features).numpy()
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-5))
    y = tf.constant(labels)
    return lambda: model.train_on_batch(features, y)


def _keras_step(model, features, labels, task, xla, extract):
    import keras
    import tensorflow as tf

    if task == "infer":
        fn = tf.function(lambda f: extract(model(f, training=False)), jit_compile=xla)
        return lambda: fn(features).numpy()
    loss = None if hasattr(model, "hf_loss") else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=loss, jit_compile=xla)
    y = tf.constant(labels)
    return lambda: model.train_on_batch(features, y)


def setup_keras_hub(cfg, batch, seq, task, variant):
    import keras
    import keras_hub
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if variant == "bf16" else "float32")
    backbone = keras_hub.models.ElectraBackbone(
        vocab_size=cfg["vocab_size"],
        num_layers=cfg["num_hidden_layers"],
        num_heads=cfg["num_attention_heads"],
        hidden_dim=cfg["hidden_size"],
        embedding_dim=cfg["embedding_size"],
        intermediate_dim=cfg["intermediate_size"],
        max_sequence_length=cfg["max_position_embeddings"],
    )
    sequence = backbone.output["sequence_output"]
    logits = keras.layers.Dense(2, dtype="float32")(keras.layers.Dense(cfg["hidden_size"], "gelu")(sequence[:, 0]))
    model = keras.Model(backbone.input, logits)
    ids, mask, labels = batch_arrays(cfg, batch, seq)
    features = {"token_ids": tf.constant(ids), "segment_ids": tf.zeros_like(ids), "padding_mask": tf.constant(mask)}
    return _keras_step(model, features, labels, task, variant == "xla", lambda out: out)


def setup_ours(cfg, batch, seq, task, variant):
    if task == "pretrain":
        from bench import pretraining

        return pretraining.setup_ours(cfg, batch, seq, variant)
    import keras
    import tensorflow as tf

    import tf_electra
    from tf_electra.utils import graph_rewrites

    keras.utils.set_random_seed(0)
    env, variant = variant_settings(variant)
    if env.get("TF_ELECTRA_XLA"):  # as a user's own tf.function (the inference step here) gets it
        assert graph_rewrites.apply_elementwise_xla(), "TF_ELECTRA_XLA=elementwise did not apply"
    dtype = {"bf16": "mixed_bfloat16", "xla_bf16": "mixed_bfloat16", "pure_bf16": "bfloat16"}.get(variant, "float32")
    config = tf_electra.ElectraConfig.from_dict(dict(cfg, num_labels=2))
    model = tf_electra.TFElectraForSequenceClassification(config, dtype=dtype)
    if variant.startswith("int8"):
        from tf_electra.serving.quantize import quantized_copy

        model = quantized_copy(model, xla_fusion=variant == "int8_xla")
    ids, mask, labels = batch_arrays(cfg, batch, seq)
    features = {"input_ids": tf.constant(ids), "attention_mask": tf.constant(mask)}
    return _keras_step(model, features, labels, task, variant.startswith("xla"), lambda out: out.logits)


SETUP = {"torch": setup_torch, "hf_tf": setup_hf_tf, "keras_hub": setup_keras_hub, "ours": setup_ours}
