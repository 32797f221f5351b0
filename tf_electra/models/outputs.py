"""Model output objects: dicts with attribute access, like Hugging Face's.

`out.logits` and `out["logits"]` both work. Fields that are None are not keys
(so `keras.tree`, `tf.nest` and `jax.tree_util` see only tensors), but reading
them as attributes returns None.
"""

class ModelOutput(dict):
    """Base class of all outputs. Subclasses list their fields in `_fields`."""

    _fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in [k for k, v in self.items() if v is None]:
            del self[key]

    def __getattr__(self, name):
        if name in self:
            return self[name]
        if name in self._fields:
            return None
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __setattr__(self, name, value):
        if value is None:
            self.pop(name, None)
        else:
            self[name] = value

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self):
        """Values in field order, None fields left out (Hugging Face's tuple form)."""
        return tuple(self[f] for f in self._fields if f in self)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}=...' for k in self)})"

    # Pytree protocol for keras.tree (optree namespace "keras").
    def tree_flatten(self):
        keys = [f for f in self._fields if f in self] + [k for k in self if k not in self._fields]
        return [dict.__getitem__(self, k) for k in keys], tuple(keys), tuple(keys)

    @classmethod
    def tree_unflatten(cls, keys, values):
        return cls(zip(keys, values))


def _register_with_optree(cls):
    # Keras maps most structures in its own optree namespace, but a few
    # helpers (e.g. `predict`'s batch concatenation) use the global one.
    try:
        import optree
    except ImportError:  # Keras uses dm-tree or torch's pytree instead
        return
    for namespace in ("keras", getattr(optree.registry, "__GLOBAL_NAMESPACE")):
        try:
            optree.register_pytree_node(
                cls,
                lambda o: ModelOutput.tree_flatten(o),
                lambda keys, values, cls=cls: cls(zip(keys, values)),
                namespace=namespace,
            )
        except ValueError:  # registered already (module reloaded)
            pass


def _output_class(name, fields, doc):
    cls = type(name, (ModelOutput,), {"_fields": tuple(fields), "__doc__": doc})
    _register_with_optree(cls)
    return cls


_COMMON = ("hidden_states", "attentions")

TFBaseModelOutput = _output_class(
    "TFBaseModelOutput",
    ("last_hidden_state",) + _COMMON,
    "Encoder output: last_hidden_state [batch, seq, hidden]; hidden_states (embedding output "
    "and every layer) and attentions when asked.",
)
TFElectraForPreTrainingOutput = _output_class(
    "TFElectraForPreTrainingOutput",
    ("loss", "logits") + _COMMON,
    "Output of TFElectraForPreTraining: logits [batch, seq] (one replaced-token logit per "
    "token), loss when labels are given.",
)
TFMaskedLMOutput = _output_class(
    "TFMaskedLMOutput", ("loss", "logits") + _COMMON, "Masked-LM output: logits [batch, seq, vocab]."
)
TFCausalLMOutput = _output_class(
    "TFCausalLMOutput", ("loss", "logits") + _COMMON, "Causal-LM output: logits [batch, seq, vocab]."
)
TFSequenceClassifierOutput = _output_class(
    "TFSequenceClassifierOutput", ("loss", "logits") + _COMMON, "Classifier output: logits [batch, num_labels]."
)
TFMultipleChoiceModelOutput = _output_class(
    "TFMultipleChoiceModelOutput", ("loss", "logits") + _COMMON, "Multiple-choice output: logits [batch, choices]."
)
TFTokenClassifierOutput = _output_class(
    "TFTokenClassifierOutput", ("loss", "logits") + _COMMON, "Token classifier output: logits [batch, seq, labels]."
)
TFQuestionAnsweringModelOutput = _output_class(
    "TFQuestionAnsweringModelOutput",
    ("loss", "start_logits", "end_logits") + _COMMON,
    "Extractive QA output: start_logits and end_logits [batch, seq].",
)

ALL_OUTPUTS = (
    TFBaseModelOutput,
    TFElectraForPreTrainingOutput,
    TFMaskedLMOutput,
    TFCausalLMOutput,
    TFSequenceClassifierOutput,
    TFMultipleChoiceModelOutput,
    TFTokenClassifierOutput,
    TFQuestionAnsweringModelOutput,
)


def register_with_jax():
    """Makes the output classes JAX pytrees (needed when jitted functions return them)."""
    import jax

    for cls in ALL_OUTPUTS:
        try:
            jax.tree_util.register_pytree_node(
                cls,
                lambda o: tuple(ModelOutput.tree_flatten(o)[:2]),
                lambda keys, values, cls=cls: cls(zip(keys, values)),
            )
        except ValueError:
            pass


def _register_with_jax_if_active():
    import keras

    if keras.backend.backend() == "jax":
        register_with_jax()


_register_with_jax_if_active()
