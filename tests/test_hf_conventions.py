"""Hugging Face conventions an experienced transformers user relies on, beyond the numerics (test_parity.py).

Each case here was a difference from transformers 4.57.6's ELECTRA found by a review pass; the expected
behaviour is transformers' own, written out.
"""

import numpy as np
import pytest

import tf_electra

from conftest import tiny_config

IDS = np.arange(2 * 6).reshape(2, 6) % 60 + 3


@pytest.mark.parametrize("cls", [tf_electra.TFElectraModel, tf_electra.TFElectraForSequenceClassification])
def test_the_configs_output_flags_apply_when_the_call_does_not_say(cls):
    """transformers: `output_attentions if output_attentions is not None else self.config.output_attentions`."""
    config = tiny_config(output_hidden_states=True, output_attentions=True)
    model = cls(config)
    out = model(IDS)
    assert len(out.hidden_states) == config.num_hidden_layers + 1  # was: None, the config ignored
    assert len(out.attentions) == config.num_hidden_layers
    quiet = model(IDS, output_hidden_states=False, output_attentions=False)
    assert quiet.hidden_states is None and quiet.attentions is None
    plain = cls(tiny_config())(IDS)
    assert plain.hidden_states is None and plain.attentions is None


def test_a_config_asking_for_tuples_is_named():
    with pytest.warns(UserWarning, match="config.return_dict is false"):
        model = tf_electra.TFElectraModel(tiny_config(return_dict=False))
    assert isinstance(model(IDS, return_dict=False), tuple)
