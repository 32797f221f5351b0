"""The pre-training networks: the discriminator (replaced-token detection) and the generator (MLM), and causal LM."""

import keras
from keras import ops

from tf_electra.errors import ConfigError
from tf_electra.errors import InputError
from tf_electra.layers.heads import ElectraDiscriminatorPredictions
from tf_electra.layers.heads import ElectraGeneratorPredictions
from tf_electra.layers.heads import ElectraLMHead
from tf_electra.models import losses
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.outputs import TFCausalLMOutput
from tf_electra.models.outputs import TFElectraForPreTrainingOutput
from tf_electra.models.outputs import TFMaskedLMOutput


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForPreTraining(TFElectraPreTrainedModel):
    """The ELECTRA discriminator: one replaced-token logit per token.

    `labels` [batch, seq] are 1 for replaced tokens and 0 for originals; the loss
    is sigmoid cross-entropy over the positions where attention_mask is 1.
    """

    output_class = TFElectraForPreTrainingOutput

    def _create_head(self):
        self.discriminator_predictions = ElectraDiscriminatorPredictions(
            self.config.hidden_size,
            self.config.hidden_act,
            self.config.initializer_range,
            name="discriminator_predictions",
            dtype=self.dtype_policy,
        )

    def _build_head(self):
        self.discriminator_predictions.build()

    def _head_outputs(self, sequence_output, inputs, training):
        return {"logits": ops.cast(self.discriminator_predictions(sequence_output), "float32")}

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        mask = inputs.get("attention_mask")  # the tokens the loss counts: [batch, seq] ([1, seq] repeated)
        if mask is not None:
            if len(mask.shape) != 2:
                raise InputError(f"the replaced-token loss needs attention_mask [batch, seq], got {tuple(mask.shape)}")
            mask = ops.broadcast_to(mask, ops.shape(outputs["logits"]))
        return losses.binary_cross_entropy(labels, outputs["logits"], mask, sample_weight=sample_weight)


class _GeneratorHeadMixin:
    """The generator head: transform to width E, then logits against the tied word embeddings."""

    def _create_head(self):
        if getattr(self.config, "tie_word_embeddings", True) is False:  # transformers' untied generator_lm_head
            raise ConfigError(
                f"{type(self).__name__} ties its output layer to the word embeddings, as ELECTRA's generator does; "
                "this config has tie_word_embeddings false (a separate generator_lm_head.weight), which it cannot hold"
            )
        self.generator_predictions = ElectraGeneratorPredictions(
            self.config.embedding_size,
            self.config.hidden_size,
            self.config.layer_norm_eps,
            self.config.initializer_range,
            name="generator_predictions",
            dtype=self.dtype_policy,
        )
        self.generator_lm_head = ElectraLMHead(
            self.config.vocab_size, name="generator_lm_head", dtype=self.dtype_policy
        )

    def _build_head(self):
        self.generator_predictions.build()
        self.generator_lm_head.build()

    def get_output_embeddings(self):
        return self.get_input_embeddings()  # tied: the logits are against the word embeddings

    def _head_outputs(self, sequence_output, inputs, training):
        hidden = self.generator_predictions(sequence_output)
        table = self.electra.embeddings.word_embeddings.embeddings
        return {"logits": ops.cast(self.generator_lm_head(hidden, table), "float32")}


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForMaskedLM(_GeneratorHeadMixin, TFElectraPreTrainedModel):
    """The ELECTRA generator: a masked language model with logits [batch, seq, vocab].

    `labels` [batch, seq] hold the original ids at masked positions and -100 elsewhere.
    """

    output_class = TFMaskedLMOutput

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        return losses.sparse_cross_entropy(labels, outputs["logits"], sample_weight=sample_weight)


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraForCausalLM(_GeneratorHeadMixin, TFElectraPreTrainedModel):
    """ELECTRA with the generator head as a left-to-right language model.

    Self-attention is causal (set `is_decoder=True` in the config; this class
    sets it when the config does not). `labels` are the input ids themselves:
    position t is scored on token t+1, and -100 is ignored.
    """

    output_class = TFCausalLMOutput

    def __init__(self, config=None, attn_implementation=None, **kwargs):
        from tf_electra.configuration import ElectraConfig

        if config is None:
            config = ElectraConfig(is_decoder=True)
        elif isinstance(config, ElectraConfig) and not config.is_decoder:
            config = config.copy(is_decoder=True)
        elif isinstance(config, dict) and not config.get("is_decoder"):
            config = dict(config, is_decoder=True)
        super().__init__(config, attn_implementation, **kwargs)

    def hf_loss(self, labels, outputs, inputs, sample_weight=None):
        return losses.causal_lm_loss(labels, outputs["logits"], sample_weight)
