"""The private Keras hooks tf_electra needs, gathered in one place.

Keras has no public API for these; each is used for one reason given below, and
`tests/test_keras_compat.py` fails loudly when a Keras release changes one of them. The Keras
versions that were tested are pinned in setup.cfg.
"""

import contextlib

import keras


def backend():
    return keras.backend.backend()


def keep_error_messages(error_class):
    """Makes Keras re-raise our errors as they are.

    Keras rewrites an exception raised inside a layer's call into a multi-line message listing the
    call's arguments; our errors already name the input and value at fault, and the command line prints
    them as one line. Keras skips exceptions that carry `_keras_call_info_injected`.
    """
    error_class._keras_call_info_injected = True
    return error_class


def has_compiled_loss(model):
    """Whether `compile()` was given a loss (then the head's own loss is not used).

    `Model.loss` is not a reliable public signal: it is a deprecated method on the TensorFlow
    trainer until compile() replaces it with the loss argument.
    """
    return getattr(model, "_compile_loss", None) is not None


def aggregate_loss(model, loss):
    """A loss scaled as Keras scales `add_loss` losses: summed, and under tf.distribute divided by the
    number of replicas (gradients are summed across them)."""
    return model._aggregate_additional_loss(loss)


def optimizer_variable_index(optimizer, variable):
    """The index of a variable in the optimizer's variable list (and so of its slots). The backend may hand
    `update_step` its own variable objects, which lack Keras paths, so per-variable settings are looked up
    by this index, as Keras' own optimizers do."""
    return optimizer._get_variable_index(variable)


def symbolic_build_from_local_batch(model, iterator, data_batch, super_build):
    """Keras' TensorFlow trainer builds a distributed model from a batch averaged with
    `strategy.reduce`, which MultiWorkerMirroredStrategy cannot do for a dict of inputs. Building
    needs only shapes and dtypes: use this worker's first replica's batch instead.

    `super_build` is the model's `super()._maybe_symbolic_build`.
    """
    strategy = getattr(model, "_distribute_strategy", None)  # None unless fit() created one
    if iterator is not None and strategy is not None:
        import tensorflow as tf

        for _, _, batches in iterator:
            batch = next(batches)
            data_batch = keras.tree.map_structure(
                lambda v: (
                    strategy.experimental_local_results(v)[0] if isinstance(v, tf.distribute.DistributedValues) else v
                ),
                batch,
            )
            break
        iterator = None
    return super_build(iterator=iterator, data_batch=data_batch)


def results_for_workers(model, results):
    """A step's {name: scalar} results as Keras' TensorFlow trainer can average them over the workers of a
    MultiWorkerMirroredStrategy: it reduces them with `reduce(..., axis=0)`, which needs a batch axis, so each
    scalar gets one (the average over workers is then a scalar again). Other strategies: unchanged."""
    strategy = getattr(model, "distribute_strategy", None)
    if strategy is None or not type(strategy).__name__.startswith(("MultiWorkerMirrored", "CollectiveAllReduce")):
        return results
    return {k: keras.ops.reshape(v, (1,)) for k, v in results.items()}


def register_pytree(cls, flatten, unflatten):
    """Registers an output class with optree in Keras' namespace and in the global one (a few Keras
    helpers, e.g. predict's batch concatenation, map structures in the global namespace)."""
    try:
        import optree
    except ImportError:  # Keras uses dm-tree or torch's pytree instead
        return
    for namespace in ("keras", getattr(optree.registry, "__GLOBAL_NAMESPACE")):
        with contextlib.suppress(ValueError):  # registered already (module reloaded)
            optree.register_pytree_node(cls, flatten, unflatten, namespace=namespace)


def register_jax_pytree(cls, flatten, unflatten):
    import jax

    with contextlib.suppress(ValueError):  # registered already
        jax.tree_util.register_pytree_node(cls, flatten, unflatten)


def replace_sublayer(owner, name, layer):
    """Sets `owner.<name> = layer` on a built layer, dropping the old sublayer from Keras' tracking.

    Keras locks a layer's tracked state once it is built; the int8 export swaps built dense layers
    for quantized ones, so it unlocks the tracker for that one assignment.
    """
    old = getattr(owner, name)
    tracker = owner._tracker
    tracker.unlock()
    try:
        if old in owner._layers:
            owner._layers.remove(old)
        object.__delattr__(owner, name)
        setattr(owner, name, layer)
    finally:
        tracker.lock()
