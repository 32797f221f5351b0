"""TFElectraModel: the bare encoder, returning hidden states."""

import keras

from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.models.outputs import TFBaseModelOutput


@keras.saving.register_keras_serializable(package="tf_electra")
class TFElectraModel(TFElectraPreTrainedModel):
    """The ELECTRA encoder without a head (no pooler: ELECTRA never had one).

    Returns `TFBaseModelOutput` with `last_hidden_state` [batch, seq, hidden_size].

    Example:
        >>> model = TFElectraModel(ElectraConfig.from_preset("electra-small-discriminator"))
        >>> model(model.dummy_inputs()).last_hidden_state.shape
        (2, 8, 256)
    """

    output_class = TFBaseModelOutput
    hf_base_model = True  # transformers' ElectraModel keys have no "electra." prefix
    label_names = ()
    prediction_names = ("last_hidden_state",)

    def _head_outputs(self, sequence_output, inputs, training):
        return {"last_hidden_state": sequence_output}
