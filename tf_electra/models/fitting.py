"""The training conveniences every ELECTRA model shares (a mixin for keras.Model subclasses)."""

from tf_electra import _keras_compat
from tf_electra.errors import ConfigError
from tf_electra.utils import graph_rewrites
from tf_electra.utils import onednn


class DatasetFitMixin:
    """Training conveniences: `fit` does not pass Keras' default shuffle=True along with a
    tf.data.Dataset (a dataset brings its own order, and Keras warns that shuffle=True is ignored
    for one), the optimizer is built before the train step is traced, and on the TensorFlow backend
    the compiled train, test and predict steps run with lean Grappler settings
    (`utils.graph_rewrites`: the first training step of ELECTRA-Small about 1 s sooner) and, where
    chosen, element-wise XLA.
    """

    def fit(self, x=None, y=None, *args, **kwargs):
        """keras.Model.fit, with shuffle=False by default for a tf.data.Dataset."""
        if "shuffle" not in kwargs and len(args) < 7 and type(x).__module__.startswith("tensorflow"):
            kwargs["shuffle"] = False
        x, y = self._weighted_labels_apart(x, y, kwargs)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x, y = self._weighted_labels_apart(x, y, kwargs)
        return super().evaluate(x, y, *args, **kwargs)

    def _weighted_labels_apart(self, x, y, kwargs):
        """Keras drops `sample_weight` and `class_weight` given without `y`, silently: labels in a feature dict
        (`fit({"input_ids": ..., "labels": ...}, sample_weight=...)`) become `y` then."""
        names = getattr(self, "label_names", ())
        weighted = kwargs.get("sample_weight") is not None or kwargs.get("class_weight") is not None
        if weighted and y is None and not names:
            raise ConfigError(f"{type(self).__name__} takes no labels, so no sample_weight or class_weight either")
        if y is not None or not weighted or not isinstance(x, dict) or any(n not in x for n in names):
            return x, y
        labels = {n: x[n] for n in names}
        return {k: v for k, v in x.items() if k not in names}, labels[names[0]] if len(names) == 1 else labels

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        return _keras_compat.symbolic_build_from_local_batch(self, iterator, data_batch, super()._maybe_symbolic_build)

    def make_train_function(self, force=False):
        """Builds the optimizer's variables, then Keras' train function.

        Without a tf.distribute strategy Keras' TensorFlow trainer creates them during the first
        trace of the train step, and a tf.function that creates variables is traced twice: about
        half of the time to the first step (ELECTRA-Small: 22 s of 31).
        """
        if _keras_compat.backend() == "tensorflow":
            onednn.check_not_frozen()  # the steps would compute with the first step's weights
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and not optimizer.built and self.built:
            optimizer.build(self.trainable_variables)
        super().make_train_function(force)
        return self._lean("train_function")

    def make_test_function(self, force=False):
        super().make_test_function(force)
        return self._lean("test_function")

    def make_predict_function(self, force=False):
        super().make_predict_function(force)
        return self._lean("predict_function")

    def _lean(self, attribute):
        """Keras' step function `attribute`, wrapped to run with lean Grappler settings (TensorFlow, compiled).

        Where TF_ELECTRA_XLA=elementwise, this also turns on the process's element-wise XLA clustering
        before the step first runs (`graph_rewrites.apply_elementwise_xla`).
        """
        function = getattr(self, attribute)
        if _keras_compat.backend() != "tensorflow" or self.run_eagerly:
            return function
        onednn.note_compiled_step()  # a bad value is one line; a true one is remembered (no training after)
        graph_rewrites.apply_elementwise_xla()
        if graph_rewrites.enabled():
            function = graph_rewrites.lean_rewrites(function)
            setattr(self, attribute, function)
        return function
