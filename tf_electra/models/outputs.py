"""Model output objects: dicts with attribute access, like Hugging Face's.

`out.logits` and `out["logits"]` both work. Fields that are None are not keys (so `keras.tree`,
`tf.nest` and `jax.tree_util` see only tensors), but reading them as attributes returns None. Each
class declares its fields as annotations, in Hugging Face's order (the order of `to_tuple`).
"""

from tf_electra import _keras_compat


class ModelOutput(dict):
    """Base class of all outputs. Subclasses declare their fields as annotations."""

    _fields = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(cls.__dict__.get("__annotations__", {}))
        for name in cls._fields:
            setattr(cls, name, property(lambda self, n=name: self.get(n), lambda self, v, n=name: self._set(n, v)))
        _keras_compat.register_pytree(cls, ModelOutput.tree_flatten, cls._tree_unflatten)

    def __init__(self, *args, **kwargs):
        values = {k: v for k, v in dict(*args, **kwargs).items() if v is not None}
        order = [f for f in self._fields if f in values] + [k for k in values if k not in self._fields]
        super().__init__((k, values[k]) for k in order)  # keys() in field order, loss first, as Hugging Face's

    def _set(self, name, value):
        if value is None:
            self.pop(name, None)
        else:
            self[name] = value

    def __getattr__(self, name):  # only reached for names that are not fields
        if name in self:
            return self[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):  # out[0], out[:2]: the tuple form's
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self):
        """Values in field order, None fields left out (Hugging Face's tuple form)."""
        return tuple(self[f] for f in self._fields if f in self)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}=...' for k in self)})"

    @classmethod
    def _tree_unflatten(cls, keys, values):
        """The pytree's inverse of `tree_flatten`: every key kept, a None leaf included. Keras' `compile` maps a
        model's outputs to None to record their structure; dropping those keys left it none (a functional model
        ending in one of our heads could take no loss)."""
        out = cls()
        dict.update(out, zip(keys, values))
        return out

    def tree_flatten(self):
        """(values, keys, keys): the pytree protocol of keras.tree / optree."""
        keys = [f for f in self._fields if f in self] + [k for k in self if k not in self._fields]
        return [dict.__getitem__(self, k) for k in keys], tuple(keys), tuple(keys)


class TFBaseModelOutput(ModelOutput):
    """Encoder output: last_hidden_state [batch, seq, hidden]; hidden_states (embedding output and every
    layer) and attentions when asked."""

    last_hidden_state: object
    hidden_states: tuple
    attentions: tuple


class TFElectraForPreTrainingOutput(ModelOutput):
    """Output of TFElectraForPreTraining: logits [batch, seq] (one replaced-token logit per token), loss
    when labels are given."""

    loss: object
    logits: object
    hidden_states: tuple
    attentions: tuple


class TFMaskedLMOutput(ModelOutput):
    """Masked-LM output: logits [batch, seq, vocab]."""

    loss: object
    logits: object
    hidden_states: tuple
    attentions: tuple


class TFCausalLMOutput(ModelOutput):
    """Causal-LM output: logits [batch, seq, vocab]."""

    loss: object
    logits: object
    hidden_states: tuple
    attentions: tuple


class TFSequenceClassifierOutput(ModelOutput):
    """Classifier output: logits [batch, num_labels]."""

    loss: object
    logits: object
    hidden_states: tuple
    attentions: tuple


class TFMultipleChoiceModelOutput(ModelOutput):
    """Multiple-choice output: logits [batch, choices]."""

    loss: object
    logits: object
    hidden_states: tuple
    attentions: tuple


class TFTokenClassifierOutput(ModelOutput):
    """Token classifier output: logits [batch, seq, labels]."""

    loss: object
    logits: object
    hidden_states: tuple
    attentions: tuple


class TFQuestionAnsweringModelOutput(ModelOutput):
    """Extractive QA output: start_logits and end_logits [batch, seq]."""

    loss: object
    start_logits: object
    end_logits: object
    hidden_states: tuple
    attentions: tuple


ALL_OUTPUTS = tuple(ModelOutput.__subclasses__())


def register_with_jax():
    """Makes the output classes JAX pytrees (needed when jitted functions return them)."""
    for cls in ALL_OUTPUTS:
        _keras_compat.register_jax_pytree(
            cls, lambda o: tuple(ModelOutput.tree_flatten(o)[:2]), lambda keys, values, c=cls: c(zip(keys, values))
        )


if _keras_compat.backend() == "jax":
    register_with_jax()
