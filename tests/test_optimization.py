"""The fine-tuning recipe: schedule, weight-decay exclusions, clipping, layer-wise learning rates."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_electra
from tf_electra.errors import ConfigError
from tf_electra.presets import model_size_of
from tf_electra.training.optimization import ElectraAdamW
from tf_electra.training.optimization import create_optimizer
from tf_electra.training.optimization import layer_depth
from tf_electra.training.optimization import recipe
from tf_electra.training.optimization import uses_weight_decay
from tf_electra.training.schedules import WarmupLinearDecay

from conftest import padded_batch
from conftest import tiny_config


def test_schedule_warms_up_then_decays_to_zero_and_serializes():
    schedule = WarmupLinearDecay(1e-3, total_steps=100, warmup_steps=10)
    values = [float(schedule(step)) for step in (0, 5, 10, 55, 100, 150)]
    np.testing.assert_allclose(values, [0.0, 1e-3 * 0.95 * 0.5, 1e-3 * 0.9, 1e-3 * 0.45, 0.0, 0.0], rtol=1e-6)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert float(again(37)) == pytest.approx(float(schedule(37)))


def test_presets_are_the_papers():
    assert (recipe("small")["learning_rate"], recipe("small")["layer_decay"]) == (3e-4, 0.8)
    assert (recipe("base")["learning_rate"], recipe("base")["layer_decay"]) == (1e-4, 0.8)
    assert (recipe("large")["learning_rate"], recipe("large")["layer_decay"]) == (5e-5, 0.9)
    assert recipe("base")["warmup_ratio"] == 0.1 and recipe("base")["batch_size"] == 32
    assert recipe("base")["epochs"] == 3 and recipe("base", "rte")["epochs"] == 10
    assert recipe("large", "sts")["epochs"] == 10 and recipe("small", "squad")["epochs"] == 2


@pytest.mark.parametrize(
    "width,size",
    [(32, "small"), (128, "small"), (256, "small"), (384, "small"), (512, "base"), (768, "base"), (1024, "large")],
)
def test_the_default_preset_is_the_nearest_released_width(width, size):
    assert model_size_of(tiny_config(hidden_size=width, num_attention_heads=1)) == size


def test_depths_and_decay_exclusions():
    assert layer_depth("m/electra/embeddings/word_embeddings/embeddings", 12) == 0
    assert layer_depth("m/electra/embeddings_project/kernel", 12) == 0
    assert layer_depth("m/electra/encoder/layer_11/output/dense/kernel", 12) == 12
    assert layer_depth("m/classifier/out_proj/kernel", 12) == 13
    assert layer_depth("m/classifier/out_proj/kernel", 12, original_depths=True) == 14
    assert not uses_weight_decay("m/electra/encoder/layer_0/output/LayerNorm/gamma")
    assert not uses_weight_decay("m/electra/encoder/layer_0/output/dense/bias")
    assert not uses_weight_decay("m/generator_lm_head/bias")
    assert uses_weight_decay("m/electra/encoder/layer_0/output/dense/kernel")
    assert uses_weight_decay("m/electra/embeddings/word_embeddings/embeddings")


def one_step_updates(model, optimizer):
    """|update| per variable after one Adam step (Adam's first step moves each element by ~lr)."""
    inputs = padded_batch(model.config, batch=4)
    labels = np.array([0, 1, 1, 0], "int32")
    before = {v.path: v.numpy().copy() for v in model.trainable_variables}
    with tf.GradientTape() as tape:
        loss = model(inputs, labels=labels, training=False).loss
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return {
        v.path: (np.abs(v.numpy() - before[v.path]), np.abs(tf.convert_to_tensor(g).numpy()))
        for v, g in zip(model.trainable_variables, grads)
    }


@pytest.mark.parametrize("original_depths", [False, True])
def test_each_layers_update_has_the_intended_size(original_depths):
    keras.utils.set_random_seed(0)
    config = tiny_config(num_hidden_layers=3, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = tf_electra.TFElectraForSequenceClassification(config)
    lr, decay = 1e-3, 0.5
    # A tiny epsilon makes Adam's first step exactly lr * sign(g) wherever the gradient is not ~0.
    optimizer = ElectraAdamW(
        learning_rate=lr,
        weight_decay_rate=0.0,
        num_layers=3,
        layer_decay=decay,
        original_depths=original_depths,
        global_clipnorm=None,
        epsilon=1e-12,
    )
    top = 3 + (2 if original_depths else 1)
    expected_depth = {"embeddings": 0, "layer_0": 1, "layer_1": 2, "layer_2": 3, "classifier": top}
    for path, (update, grad) in one_step_updates(model, optimizer).items():
        key = next(k for k in expected_depth if f"/{k}/" in path or f"electra/{k}" in path)
        steep = grad > 1e-7
        if not steep.any():
            continue
        measured = float(np.median(update[steep]))
        assert measured == pytest.approx(lr * decay ** (top - expected_depth[key]), rel=0.02), path
    if original_depths:
        # the original mapping: the top encoder layer gets decay ** 2
        assert top - expected_depth["layer_2"] == 2


def test_weight_decay_skips_layernorm_and_biases_and_scales_with_the_layer_rate():
    config = tiny_config(num_hidden_layers=2)
    model = tf_electra.TFElectraForSequenceClassification(config)
    optimizer = ElectraAdamW(
        learning_rate=0.1, weight_decay_rate=0.5, num_layers=2, layer_decay=0.5, global_clipnorm=None
    )
    optimizer.build(model.trainable_variables)
    before = {v.path: v.numpy().copy() for v in model.trainable_variables}
    zeros = [tf.zeros_like(v) for v in model.trainable_variables]  # zero gradients: only decay moves weights
    optimizer.apply_gradients(zip(zeros, model.trainable_variables))
    for v in model.trainable_variables:
        ratio = v.numpy() / np.where(before[v.path] == 0, 1, before[v.path])
        if uses_weight_decay(v.path):
            expected = 1 - 0.5 * 0.1 * optimizer.multiplier(v)
            np.testing.assert_allclose(ratio[before[v.path] != 0], expected, rtol=1e-5, err_msg=v.path)
        else:
            np.testing.assert_array_equal(v.numpy(), before[v.path], err_msg=v.path)


@pytest.mark.parametrize("corrected", [True, False])
@pytest.mark.parametrize("mode", ["eager", "tf.function"])
def test_several_updates_equal_an_independent_numpy_adamw(mode, corrected):
    from clients.adamw_reference import adamw_reference

    keras.utils.set_random_seed(0)
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_hidden_layers=2))
    model(padded_batch(model.config))
    variables = model.trainable_variables
    schedule = WarmupLinearDecay(1e-2, total_steps=10, warmup_steps=2)
    optimizer = ElectraAdamW(
        schedule, weight_decay_rate=0.1, num_layers=2, layer_decay=0.5, global_clipnorm=None, bias_correction=corrected
    )
    optimizer.build(variables)
    start = [v.numpy() for v in variables]
    rng = np.random.default_rng(1)
    steps = [[rng.normal(size=v.shape).astype("float32") for v in variables] for _ in range(4)]

    def apply(grads):
        optimizer.apply_gradients(zip(grads, variables))

    if mode == "tf.function":
        apply = tf.function(apply)  # one trace serves every step: nothing of step 1 may be baked in
    for grads in steps:
        apply([tf.constant(g) for g in grads])
    lrs = [1e-2 * (1 - t / 10) * min(1.0, t / 2) for t in range(4)]
    expected = adamw_reference(
        start,
        steps,
        lrs,
        [optimizer.multiplier(v) for v in variables],
        [uses_weight_decay(v.path) for v in variables],
        wd=0.1,
        corrected=corrected,
    )
    assert len({optimizer.multiplier(v) for v in variables}) >= 3
    for v, want, first in zip(variables, expected, start):
        assert not np.allclose(v.numpy(), first), v.path
        # atol: TensorFlow's fused Adam kernel forms 1 - beta_2 in float32 from beta_2 (0.00099998713, the
        # original 0.001 from Python floats): 1.3e-5 of the second moment's rate, up to 7e-7 here.
        np.testing.assert_allclose(v.numpy(), want, rtol=2e-4, atol=1e-6, err_msg=v.path)


def traced_update():
    """(a two-layer classifier, the graph of one create_optimizer update of its weights)."""
    model = tf_electra.TFElectraForSequenceClassification(tiny_config(num_hidden_layers=2))
    model(padded_batch(model.config))
    optimizer = create_optimizer(model, total_steps=100, model_size="small")
    optimizer.build(model.trainable_variables)
    grads = [tf.ones_like(v) for v in model.trainable_variables]
    return model, tf.function(lambda: optimizer.apply(grads, model.trainable_variables)).get_concrete_function().graph


def test_the_bias_correction_and_rates_are_built_once_per_update_not_per_variable():
    model, graph = traced_update()
    kinds = [op.type for op in graph.get_operations()]
    assert len(model.trainable_variables) > 30
    assert kinds.count("Pow") == 2  # beta_1 ** t and beta_2 ** t, once
    # per variable one fused Adam update (moments and weight), per decayed weight one decay
    decayed = [v for v in model.trainable_variables if uses_weight_decay(v.path)]
    assert kinds.count("ResourceApplyAdam") == len(model.trainable_variables)
    assert kinds.count("AssignSubVariableOp") == len(decayed)


def test_each_weights_decay_product_waits_for_its_gradient():
    # A read with no inputs runs at the start of the step: every decay product (a model's worth of memory) was
    # then held until its update ended. Each decayed weight's read for it must wait for its (clipped) gradient.
    model, graph = traced_update()
    decay_reads = [
        op
        for op in graph.get_operations()
        if op.type == "ReadVariableOp"
        and any(
            user.type == "Mul" and any(c.type == "AssignSubVariableOp" for c in user.outputs[0].consumers())
            for user in op.outputs[0].consumers()
        )
    ]
    decayed = [v for v in model.trainable_variables if uses_weight_decay(v.path)]
    assert 0 < len(decayed) < len(model.trainable_variables)
    assert len(decay_reads) == len(decayed)
    adam_updates = [op for op in graph.get_operations() if op.type == "ResourceApplyAdam"]
    gradient_of = {op.inputs[0].name: op.inputs[9].op for op in adam_updates}  # var handle -> grad (input 9)
    for op in decay_reads:  # its control input is the gradient that its weight's Adam update reads
        assert op.control_inputs == [gradient_of[op.inputs[0].name]], op.name


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_16_bit_weights_keep_their_second_moment(dtype):
    # TensorFlow's fused Adam kernel forms 1 - beta_2 in the weight's dtype: 1 - bfloat16(0.999) is 0, and the
    # second moment would stay 0 (the first update a thousand times too large). 16-bit weights take keras.ops.
    variable = keras.Variable(np.ones((4, 3)), dtype=dtype, name="kernel")
    optimizer = ElectraAdamW(1e-2, num_layers=1, global_clipnorm=None)
    optimizer.apply_gradients([(tf.ones((4, 3), dtype), variable)])
    m, v = (np.asarray(slot.numpy(), "float32") for slot in optimizer.slots(variable))
    np.testing.assert_allclose(m, 0.1, rtol=1e-2)
    np.testing.assert_allclose(v, 0.001, rtol=1e-2)


def test_16_bit_weights_read_for_their_decay_after_their_adam_term():
    # 16-bit weights take the keras.ops update; on TensorFlow their decay read must wait too (see above).
    weights = [keras.Variable(np.ones((4, 3)), dtype="bfloat16", name=name) for name in ("kernel", "bias", "kernel")]
    optimizer = ElectraAdamW(1e-2, num_layers=1, global_clipnorm=None)
    optimizer.build(weights)
    grads = [tf.ones((4, 3), "bfloat16") for _ in weights]
    graph = tf.function(lambda: optimizer.apply(grads, weights)).get_concrete_function().graph
    handles = {id(w.value.handle) for w in weights}
    weight_handles = {inner.name for outer, inner in graph.captures if id(outer) in handles}
    decay_reads = [
        op
        for op in graph.get_operations()
        if op.type == "ReadVariableOp"
        and op.inputs[0].name in weight_handles
        and any(user.type == "Cast" for user in op.outputs[0].consumers())  # to float32, then the decay's Mul
    ]
    assert len(decay_reads) == 2  # the two kernels (biases do not decay)
    assert all([c.type for c in op.control_inputs] == ["RealDiv"] for op in decay_reads)


@pytest.mark.parametrize("dtype,spacing", [("bfloat16", 2**-8), ("float16", 2**-11), ("float32", 1e-7)])
def test_16_bit_weights_move_as_float32_weights_do(dtype, spacing):
    # Computed in the weight's dtype, bfloat16's bias correction 1 - 0.999 ** 1 is 0 (no weight ever moved) and
    # float16's squared gradients underflow (steps ~200x too large): moments and update are float32.
    variable = keras.Variable(np.ones((4, 3)), dtype=dtype, name="kernel")
    optimizer = ElectraAdamW(1e-2, num_layers=1, global_clipnorm=None)
    optimizer.apply_gradients([(tf.fill((4, 3), tf.constant(1e-4, dtype)), variable)])
    g = float(np.asarray(tf.constant(1e-4, dtype), "float64"))
    m, v, adam_lr = 0.1 * g, 0.001 * g * g, 1e-2 * np.sqrt(1 - 0.999) / (1 - 0.9)  # after one step
    expected = 1 - adam_lr * m / (np.sqrt(v) + 1e-6) - 1e-2 * 0.01  # Adam's step and the decay (lr * 0.01 * w)
    np.testing.assert_allclose(np.asarray(variable.numpy(), "float32"), expected, atol=spacing)
    assert all(slot.dtype == "float32" for slot in optimizer.slots(variable))


@pytest.mark.parametrize("options", [{"use_ema": True}, {"gradient_accumulation_steps": 2}])
def test_only_the_moments_of_16_bit_weights_are_float32(options):
    # use_ema's averages and the gradient accumulators stay in the weight's dtype (Keras assigns them from it).
    variable = keras.Variable(np.ones((4, 3)), dtype="bfloat16", name="kernel")
    optimizer = ElectraAdamW(1e-2, num_layers=1, global_clipnorm=None, **options)
    for _ in range(2):
        optimizer.apply_gradients([(tf.fill((4, 3), tf.constant(1e-2, "bfloat16")), variable)])
    assert float(np.asarray(variable.numpy(), "float32").max()) < 1.0
    assert all(slot.dtype == "float32" for slot in optimizer.slots(variable))
    moments = {id(slot) for slot in optimizer.slots(variable)}
    others = [v for v in optimizer.variables if "kernel" in v.path and id(v) not in moments]
    assert others and all(v.dtype == "bfloat16" for v in others), [(v.path, v.dtype) for v in others]


@pytest.mark.parametrize(
    "make",
    [
        lambda: ElectraAdamW(float("nan")),
        lambda: ElectraAdamW(-1e-3),
        lambda: ElectraAdamW(1e-3, weight_decay_rate="abc"),
        lambda: ElectraAdamW(1e-3, weight_decay_rate=float("nan")),
        lambda: ElectraAdamW(1e-3, num_layers=None),
        lambda: ElectraAdamW(1e-3, num_layers=2.5),
        lambda: ElectraAdamW(1e-3, layer_decay=0),
        lambda: ElectraAdamW(1e-3, beta_2=-0.1),
        lambda: ElectraAdamW(1e-3, beta_1=1.0),
        lambda: ElectraAdamW(1e-3, epsilon=0),
        lambda: ElectraAdamW(1e-3, bias_correction="no"),
        lambda: ElectraAdamW(1e-3, original_depths=1),
        lambda: WarmupLinearDecay(1e-3, "100"),
        lambda: WarmupLinearDecay(1e-3, float("nan")),
        lambda: WarmupLinearDecay(1e-3, 100, warmup_steps=-1),
        lambda: WarmupLinearDecay(float("inf"), 100),
        lambda: create_optimizer(tf_electra.TFElectraForSequenceClassification(tiny_config()), 100, bogus=1),
        lambda: create_optimizer(tf_electra.TFElectraForSequenceClassification(tiny_config()), 100, epsilon=1e-8),
    ],
)
def test_bad_optimizer_settings_are_refused_by_name(make):
    with pytest.raises(ConfigError):
        make()


def test_update_step_takes_a_keras_variable_as_well():
    # Keras' TensorFlow backend hands update_step tf.Variables; a direct caller may pass the Keras variable.
    variable = keras.Variable(np.ones((4, 3), "float32"), name="kernel")
    optimizer = ElectraAdamW(1e-2, num_layers=1, global_clipnorm=None)
    optimizer.build([variable])
    optimizer.update_step(tf.ones((4, 3)), variable, 1e-2)
    assert np.all(variable.numpy() < 1.0)


def test_global_norm_clipping_and_serialization():
    optimizer = create_optimizer(
        tf_electra.TFElectraForSequenceClassification(tiny_config()), total_steps=100, model_size="small"
    )
    assert optimizer.global_clipnorm == 1.0
    assert optimizer.layer_decay == 0.8 and optimizer.num_layers == 2
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, ElectraAdamW)
    schedule = restored.get_config()["learning_rate"]
    assert restored.layer_decay == 0.8 and schedule["class_name"] == "WarmupLinearDecay"
    assert schedule["config"]["warmup_steps"] == 10 and schedule["config"]["total_steps"] == 100


@pytest.mark.slow
@pytest.mark.parametrize("policy,jit", [("mixed_bfloat16", False), ("float32", True), ("mixed_float16", False)])
def test_recipe_with_mixed_precision_and_xla(policy, jit):
    keras.mixed_precision.set_global_policy(policy)
    try:
        config = tiny_config()
        model = tf_electra.TFElectraForSequenceClassification(config)
        model.compile(
            optimizer=create_optimizer(model, total_steps=8, learning_rate=1e-3, warmup_ratio=0.25),
            jit_compile=jit,
            metrics=["accuracy"],
        )
        inputs = padded_batch(config, batch=8)
        labels = (inputs["input_ids"][:, 0] % 2).astype("int32")
        data = tf.data.Dataset.from_tensor_slices((inputs, labels)).batch(4)
        history = model.fit(data, epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("corrected, first_step", [(False, 0.1 / np.sqrt(1 - 0.999)), (True, 1.0)])
def test_pretraining_optimizer_is_the_originals_unless_bias_correction_is_asked_for(corrected, first_step):
    from tf_electra.pretraining.run import build_optimizer
    from tf_electra.pretraining_config import PretrainingConfig

    config = PretrainingConfig.from_hparams(
        {"learning_rate": 1e-3, "num_warmup_steps": 0, "num_train_steps": 10**6, "adam_bias_correction": corrected}
    )
    optimizer = build_optimizer(config)
    assert optimizer.bias_correction is corrected
    variable = keras.Variable(np.zeros(3, "float32"), name="kernel")
    optimizer.apply_gradients([(tf.constant([0.5, -0.2, 0.1]), variable)])
    # Without the correction (the original) the first step is (1 - b1) / sqrt(1 - b2) = 3.16 x lr.
    np.testing.assert_allclose(variable.numpy(), -1e-3 * first_step * np.array([1, -1, 1]), rtol=1e-3)


@pytest.mark.parametrize("key", ["adam_bias_correction", "disc_prior_init"])
def test_a_run_saved_before_one_of_our_keys_existed_continues(tmp_path, key):
    import json

    from tf_electra.errors import ConfigError
    from tf_electra.errors import TrainingError
    from tf_electra.pretraining.run_folder import CONFIG_FILE
    from tf_electra.pretraining.run_folder import check_same_run
    from tf_electra.pretraining_config import PretrainingConfig

    old = PretrainingConfig.from_hparams({}).to_dict()
    del old[key]
    (tmp_path / CONFIG_FILE).write_text(json.dumps(old))
    (tmp_path / "model.ckpt-10.index").write_bytes(b"")  # a saved checkpoint: the settings bind
    check_same_run(str(tmp_path), PretrainingConfig.from_hparams({}))
    with pytest.raises(TrainingError, match=f"{key}: False there, True now"):
        check_same_run(str(tmp_path), PretrainingConfig.from_hparams({key: True}))
    with pytest.raises(ConfigError, match=f"{key} must be true or false"):
        PretrainingConfig.from_hparams({key: "yes"})
