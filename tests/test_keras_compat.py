"""Each private Keras hook in tf_electra._keras_compat still exists and behaves as tf_electra relies on.

When one of these fails after a Keras upgrade, the hook it names needs a new implementation (and the
Keras pin in setup.cfg a new range)."""

import inspect

import keras
import numpy as np
import optree

from tf_electra import _keras_compat
from tf_electra.models.outputs import TFSequenceClassifierOutput


def tiny_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def test_compiled_loss_is_detected_through_compile_loss():
    model = tiny_model()
    assert hasattr(model, "_compile_loss"), "keras.Model no longer has _compile_loss"
    model.compile(optimizer="sgd")
    assert not _keras_compat.has_compiled_loss(model)
    model.compile(optimizer="sgd", loss="mse")
    assert _keras_compat.has_compiled_loss(model)


def test_aggregate_additional_loss_sums_outside_distribution():
    model = tiny_model()
    assert callable(getattr(model, "_aggregate_additional_loss", None))
    total = _keras_compat.aggregate_loss(model, keras.ops.convert_to_tensor([1.0, 2.0]))
    assert float(total) == 3.0


def test_optimizer_variable_indexes_follow_the_variable_list():
    optimizer = keras.optimizers.Adam()
    a, b = keras.Variable(np.zeros(2)), keras.Variable(np.zeros(2))
    optimizer.build([a, b])
    assert callable(getattr(optimizer, "_get_variable_index", None))
    assert _keras_compat.optimizer_variable_index(optimizer, a) == 0
    assert _keras_compat.optimizer_variable_index(optimizer, b) == 1


def test_symbolic_build_hook_keeps_its_signature():
    model = tiny_model()
    hook = getattr(model, "_maybe_symbolic_build", None)
    assert callable(hook), "the TensorFlow trainer no longer has _maybe_symbolic_build"
    assert list(inspect.signature(hook).parameters) == ["iterator", "data_batch"]
    assert hasattr(model, "_distribute_strategy")


def test_output_classes_are_pytrees_in_both_optree_namespaces():
    assert hasattr(optree.registry, "__GLOBAL_NAMESPACE")
    out = TFSequenceClassifierOutput(logits=np.ones((2, 3)), loss=np.float32(1.0))
    leaves = keras.tree.flatten(out)
    assert len(leaves) == 2
    mapped = keras.tree.map_structure(lambda x: x * 2, out)
    assert type(mapped) is TFSequenceClassifierOutput and float(mapped.loss) == 2.0
    global_leaves, _ = optree.tree_flatten(out)  # the global namespace (no namespace given)
    assert len(global_leaves) == 2


def test_errors_marked_as_injected_pass_through_layers_unchanged():
    from tf_electra.errors import InputError

    _keras_compat.keep_error_messages(InputError)

    class Failing(keras.layers.Layer):
        def call(self, x):
            raise InputError("input_ids holds 99 at position (0, 1)")

    try:
        Failing()(np.ones((1, 2)))
    except InputError as e:
        assert str(e) == "input_ids holds 99 at position (0, 1)"
    else:
        raise AssertionError("no error")
