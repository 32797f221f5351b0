"""Tasks of the heads that are served but not fine-tuned from rows: encoder features, the language
models, and replaced-token detection (the pre-trained discriminator)."""

from tf_electra.models.electra_model import TFElectraModel
from tf_electra.models.pretraining import TFElectraForCausalLM
from tf_electra.models.pretraining import TFElectraForMaskedLM
from tf_electra.models.pretraining import TFElectraForPreTraining
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import register


@register
class FeatureExtractionTask(Task):
    """The bare encoder: one vector per token."""

    name = "feature-extraction"
    model_class = TFElectraModel

    def serving_outputs(self, config, outputs):
        from keras import ops

        return {"last_hidden_state": ops.cast(outputs["last_hidden_state"], "float32")}


@register
class ReplacedTokenDetectionTask(Task):
    """The ELECTRA discriminator: the probability that each token was replaced."""

    name = "replaced-token-detection"
    model_class = TFElectraForPreTraining

    def serving_outputs(self, config, outputs):
        from keras import ops

        return {"logits": outputs["logits"], "probabilities": ops.sigmoid(outputs["logits"])}


@register
class MaskedLMTask(Task):
    """The ELECTRA generator: a distribution over the vocabulary at every position."""

    name = "masked-lm"
    model_class = TFElectraForMaskedLM


@register
class CausalLMTask(Task):
    """Left-to-right language modelling with the generator head."""

    name = "causal-lm"
    model_class = TFElectraForCausalLM
