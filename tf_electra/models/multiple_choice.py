"""TFElectraForMultipleChoice: a score per candidate, inputs [batch, choices, seq]."""

import keras
from keras import ops

from tf_electra.errors import InputError
from tf_electra.layers import checks
from tf_electra.layers.heads import ElectraSequenceSummary
from tf_electra.layers.initializers import dense
from tf_electra.models import losses
from tf_electra.models.base import INPUT_NAMES
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.outputs import TFMultipleChoiceModelOutput


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForMultipleChoice(TFElectraPreTrainedModel):
    """Chooses among candidates: inputs [batch, num_choices, seq], logits [batch, num_choices]."""

    output_class = TFMultipleChoiceModelOutput
    input_rank = 3  # [batch, choices, seq]

    def _create_head(self):
        cfg = self.config
        # summary_proj_to_labels and summary_first_dropout are optional Hugging Face config fields.
        self.sequence_summary = ElectraSequenceSummary(
            cfg.hidden_size,
            cfg.summary_type,
            cfg.summary_use_proj,
            cfg.num_labels if getattr(cfg, "summary_proj_to_labels", False) else None,
            cfg.summary_activation,
            getattr(cfg, "summary_first_dropout", 0.0),
            cfg.summary_last_dropout,
            cfg.initializer_range,
            name="sequence_summary",
            dtype=self.dtype_policy,
        )
        self.classifier = dense(1, cfg.initializer_range, "classifier", self.dtype_policy)

    def _build_head(self):
        self.sequence_summary.build()
        self.classifier.build((None, self.config.hidden_size))

    def _encoder_inputs(self, inputs):
        # [batch, choices, seq(, E)] -> [batch * choices, seq(, E)], after checking the shapes agree unflattened
        key = "input_ids" if inputs["input_ids"] is not None else "inputs_embeds"
        reference = inputs[key]
        rank = 3 if key == "input_ids" else 4
        if reference is not None and len(reference.shape) != rank:
            wanted = "[batch, num_choices, seq" + (", E]" if rank == 4 else "]")
            raise InputError(f"{key} must have shape {wanted}, got {tuple(reference.shape)}")
        if reference is not None and reference.shape[1] == 0:
            raise InputError(f"{key} has shape {tuple(reference.shape)}: no choices to choose among")
        flat = {}
        for name in INPUT_NAMES:
            value = inputs[name]
            if value is not None and name != key:
                value = checks.check_same_shape(reference if rank == 3 else reference[..., 0], value, key, name)
            if value is not None:
                tail = ops.shape(value)[2:]
                value = ops.reshape(value, (-1,) + tuple(tail))
            flat[name] = value
        return flat

    def _head_outputs(self, sequence_output, inputs, training):
        reference = inputs["input_ids"] if inputs["input_ids"] is not None else inputs["inputs_embeds"]
        num_choices = ops.shape(reference)[1]
        pooled = self.sequence_summary(sequence_output, training=training)
        logits = ops.reshape(self.classifier(pooled), (-1, num_choices))
        return {"logits": ops.cast(logits, "float32")}

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        return losses.sparse_cross_entropy(labels, outputs["logits"], sample_weight=sample_weight)
