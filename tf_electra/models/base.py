"""TFElectraPreTrainedModel: what every ELECTRA model class shares.

Input handling (keyword arguments or one dict, as `fit` passes them), the
output object, Hugging Face's losses inside Keras' `compile`/`fit`, Keras
serialization, and Hugging Face-style loading and saving.
"""

import warnings
from collections.abc import Mapping

import keras
import numpy as np
from keras import ops

from tf_electra import _keras_compat
from tf_electra.configuration import ATTN_IMPLEMENTATIONS
from tf_electra.configuration import DEFAULT_ATTN_IMPLEMENTATION
from tf_electra.configuration import ElectraConfig
from tf_electra.errors import ConfigError
from tf_electra.errors import ElectraError
from tf_electra.errors import InputError
from tf_electra.layers.main_layer import ElectraMainLayer
from tf_electra.models.arguments import as_arrays
from tf_electra.models.arguments import check_arguments
from tf_electra.models.arguments import leaf_array
from tf_electra.models.arguments import main_layer_arguments
from tf_electra.models.fitting import DatasetFitMixin
from tf_electra.models.pretrained import PretrainedMixin

_keras_compat.keep_error_messages(ElectraError)

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds")
FLAG_NAMES = ("output_attentions", "output_hidden_states", "return_dict")


class TFElectraPreTrainedModel(DatasetFitMixin, PretrainedMixin, keras.Model):
    """Base class of the ELECTRA models.

    Subclasses create their head in `_create_head`, build it in `_build_head`,
    and compute their output in `_head_outputs`.

    Args:
        config: An ElectraConfig (or its dict). Defaults to ElectraConfig().
        attn_implementation: "eager" or "sdpa"; overrides the config's.
        shared_embeddings: An ElectraEmbeddings layer to use instead of new embeddings (ELECTRA's generator
            shares its discriminator's).
        shared_encoder: An ElectraMainLayer to use instead of a new encoder (a tied generator).
        **kwargs: keras.Model arguments (name, dtype, trainable).
    """

    output_class = None
    label_names = ("labels",)
    prediction_names = ("logits",)
    input_rank = 2  # token inputs are [batch, seq]

    def __init__(self, config=None, attn_implementation=None, shared_embeddings=None, shared_encoder=None, **kwargs):
        if config is None:
            config = ElectraConfig()
        elif isinstance(config, Mapping):
            config = ElectraConfig.from_dict(config)
        super().__init__(**kwargs)
        impl = attn_implementation or config.attn_implementation or DEFAULT_ATTN_IMPLEMENTATION
        if impl not in ATTN_IMPLEMENTATIONS:
            raise ConfigError(f"attn_implementation={impl!r} is not one of {ATTN_IMPLEMENTATIONS}")
        self.config = config
        self.attn_implementation = impl
        if getattr(config, "return_dict", None) is False:  # Keras' steps and our tools take the output object
            warnings.warn("config.return_dict is false: calls return tuples only given return_dict=False", stacklevel=2)
        if shared_encoder is not None:  # a tied generator: the discriminator's whole encoder
            self.electra = shared_encoder
        else:
            self.electra = ElectraMainLayer(
                **main_layer_arguments(config, impl),
                embeddings=shared_embeddings,
                name="electra",
                dtype=self.dtype_policy,
            )
        self._create_head()
        self.build()

    # Subclass hooks -----------------------------------------------------

    def _create_head(self):
        pass

    def _build_head(self):
        pass

    def _head_outputs(self, sequence_output, inputs, training):
        """Returns a dict of head outputs (logits, ...) for the encoder output [batch, seq, H]."""
        raise NotImplementedError

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        """The head's own loss, computed as Hugging Face computes it (Keras' sample weights applied where given)."""
        raise NotImplementedError

    # Keras ---------------------------------------------------------------

    def build(self, input_shape=None):
        if not self.electra.built:  # a shared encoder may be built already
            self.electra.build()
        self._build_head()

    def _encoder_inputs(self, inputs):
        return {name: inputs[name] for name in INPUT_NAMES}

    def __call__(self, *args, **kwargs):
        # Keras accepts only tensors positionally: a plain nested list of ids becomes an array first.
        arrays = set(INPUT_NAMES) | {"labels", *self.label_names}
        args = tuple(as_arrays(a) for a in args)
        convert = dict.fromkeys(arrays, leaf_array) | {"input_ids": as_arrays}  # (only input_ids takes the list form)
        kwargs = {k: convert[k](v) if k in convert else v for k, v in kwargs.items()}
        return super().__call__(*args, **kwargs)

    def call(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        inputs_embeds=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
        labels=None,
        training=False,
        **kwargs,
    ):
        """Runs the model, taking Hugging Face's arguments.

        Args:
            input_ids: int [batch, seq] token ids, or one dict holding any of
                the arguments below (what `model.fit` passes).
            attention_mask: [batch, seq], 1 for tokens to attend to, 0 for padding.
            token_type_ids: int [batch, seq] segment ids.
            position_ids: int [batch, seq] positions (default 0..seq-1).
            inputs_embeds: float [batch, seq, E] instead of input_ids.
            output_attentions: return attention probabilities of every layer.
            output_hidden_states: return the embedding output and every layer's output.
            return_dict: return an output object (default) or a tuple.
            labels: targets; when given, the output has `loss`.
            training: dropout on.

        Returns:
            The class's output object (`out.logits`, `out["logits"]`), or a tuple.
        """
        inputs = dict(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            labels=labels,
        )
        known = set(inputs) | set(self.label_names)
        kwargs = check_arguments(kwargs, known, self.config.is_decoder)
        inputs.update({k: v for k, v in kwargs.items() if k in known})
        if isinstance(input_ids, Mapping):
            inputs["input_ids"] = None
            inputs.update(check_arguments(input_ids, known, self.config.is_decoder, "input names"))
        for name in self.label_names:
            inputs.setdefault(name, None)
        if inputs["labels"] is not None and "labels" not in self.label_names:
            takes = f"takes its labels as {', '.join(self.label_names)}" if self.label_names else "takes no labels"
            raise InputError(f"{type(self).__name__} {takes}, not labels=")
        flags = ("output_attentions", "output_hidden_states")  # None: the config's setting, as in Hugging Face
        sequence_output, hidden_states, attentions = self.electra(
            **self._encoder_inputs(inputs),
            **{k: bool(getattr(self.config, k, False) if inputs[k] is None else inputs[k]) for k in flags},
            training=training,
        )
        outputs = self._head_outputs(sequence_output, inputs, training)
        labels_in = self._labels_of(inputs, None)
        if labels_in is not None:
            outputs["loss"] = self.hf_loss(labels_in, outputs, inputs)
        outputs = self.output_class(outputs, hidden_states=hidden_states, attentions=attentions)
        if inputs["return_dict"] is False:
            return outputs.to_tuple()
        return outputs

    def _prediction_for_keras(self, y_pred, y=None):
        """The head's predictions in the structure a Keras loss or metric expects."""
        if not isinstance(y_pred, Mapping):
            return y_pred
        if len(self.prediction_names) == 1:
            return y_pred[self.prediction_names[0]]
        if isinstance(y, Mapping):
            return {label: y_pred[pred] for label, pred in zip(self.label_names, self.prediction_names)}
        return tuple(y_pred[name] for name in self.prediction_names)

    def _labels_of(self, x, y):
        """`y`, or where it is None the labels a feature dict holds (as in `fit({"input_ids": ..., "labels": ...})`)."""
        if y is not None or not isinstance(x, Mapping) or not self.label_names:
            return y
        if any(x.get(name) is None for name in self.label_names):
            return None
        return x[self.label_names[0]] if len(self.label_names) == 1 else {n: x[n] for n in self.label_names}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """With no loss in `compile`, the head's own (Hugging Face) loss; otherwise Keras' on the logits."""
        if _keras_compat.has_compiled_loss(self):
            return super().compute_loss(x, y, self._prediction_for_keras(y_pred, y), sample_weight, training)
        losses = []
        # Aggregated like Keras' additional losses: under tf.distribute the per-replica mean is
        # divided by the number of replicas, since gradients are summed across them.
        y = self._labels_of(x, y) if sample_weight is not None else y  # labels in the features: weigh them too
        if y is not None:
            inputs = dict(x) if isinstance(x, Mapping) else {"input_ids": x}
            for name in INPUT_NAMES:
                inputs.setdefault(name, None)
            losses.append(_keras_compat.aggregate_loss(self, self.hf_loss(y, y_pred, inputs, sample_weight)))
        elif isinstance(y_pred, Mapping) and "loss" in y_pred:
            losses.append(_keras_compat.aggregate_loss(self, y_pred["loss"]))
        losses.extend(_keras_compat.aggregate_loss(self, loss) for loss in self.losses)
        if not losses:
            raise ConfigError(
                "No loss to compute: give the dataset labels (features, labels), put `labels` in the "
                "feature dict, or pass a `loss` to compile()."
            )
        return losses[0] if len(losses) == 1 else ops.sum(ops.stack(losses))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        y = self._labels_of(x, y)
        results = super().compute_metrics(x, y, self._prediction_for_keras(y_pred, y), sample_weight)
        return _keras_compat.results_for_workers(self, results)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.saving.serialize_keras_object(self.dtype_policy),
            "config": self.config.to_dict(),
            "attn_implementation": self.attn_implementation,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), Mapping):
            config["dtype"] = keras.saving.deserialize_keras_object(config["dtype"])
        return cls(**config)

    # Conveniences -----------------------------------------------------------

    def get_input_embeddings(self):
        return self.electra.embeddings.word_embeddings

    def get_output_embeddings(self):
        """The layer whose table gives the output logits (None: this head has no vocabulary output)."""
        return None

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Keras' `Model.export`; without an `input_signature`, one dict of int32 `input_ids`, `attention_mask` and
        `token_type_ids`, [batch, seq] ([batch, choices, seq] for multiple choice): Keras infers one only for models
        built by a call's shapes, and ours build in the constructor. TF Serving's named signatures and the tokenizer:
        `tf_electra.export_saved_model`."""
        if input_signature is None:
            spec = keras.InputSpec(shape=(None,) * self.input_rank, dtype="int32")
            input_signature = [dict.fromkeys(("input_ids", "attention_mask", "token_type_ids"), spec)]
        return super().export(filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def num_parameters(self, only_trainable=False, exclude_embeddings=False):
        """Parameter count, as transformers counts it (a shared table once)."""
        variables = {id(v): v for v in (self.trainable_weights if only_trainable else self.weights)}
        if exclude_embeddings:
            variables.pop(id(self.get_input_embeddings().embeddings), None)
        return int(sum(np.prod(v.shape) for v in variables.values()))

    def dummy_inputs(self, batch=2, length=8):
        """A small batch of valid inputs (for building graphs and smoke tests)."""
        ids = ops.arange(batch * length) % self.config.vocab_size
        ids = ops.cast(ops.reshape(ids, (batch, length)), "int32")
        return {"input_ids": ids, "attention_mask": ops.ones_like(ids), "token_type_ids": ops.zeros_like(ids)}
