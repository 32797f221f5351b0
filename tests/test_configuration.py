"""ElectraConfig: Hugging Face's fields and defaults, config.json round trips, validation, presets."""

import json

import pytest

from tf_electra import PRESETS
from tf_electra import ConfigError
from tf_electra import ElectraConfig

from conftest import torch_or_skip

FIELDS = [
    "vocab_size",
    "embedding_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "max_position_embeddings",
    "type_vocab_size",
    "initializer_range",
    "layer_norm_eps",
    "summary_type",
    "summary_use_proj",
    "summary_activation",
    "summary_last_dropout",
    "pad_token_id",
    "position_embedding_type",
    "classifier_dropout",
    "is_decoder",
    "num_labels",
    "id2label",
    "label2id",
    "problem_type",
]


def test_defaults_equal_transformers():
    _, transformers = torch_or_skip()
    ours, theirs = ElectraConfig(), transformers.ElectraConfig()
    for field in FIELDS:
        assert getattr(ours, field) == getattr(theirs, field), field


def test_config_json_round_trip_keeps_unknown_keys(tmp_path):
    config = ElectraConfig(hidden_size=64, num_attention_heads=2, id2label={0: "neg", 1: "pos"}, my_key=[1, 2])
    config.save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["model_type"] == "electra"
    assert data["my_key"] == [1, 2]
    assert data["id2label"] == {"0": "neg", "1": "pos"}
    loaded = ElectraConfig.from_pretrained(str(tmp_path))
    assert loaded == config
    assert loaded.my_key == [1, 2]
    assert loaded.label2id == {"neg": 0, "pos": 1}
    assert loaded.num_labels == 2


def test_reads_a_config_written_by_transformers(tmp_path):
    _, transformers = torch_or_skip()
    transformers.ElectraConfig(hidden_size=48, num_attention_heads=3, num_labels=5).save_pretrained(tmp_path)
    config = ElectraConfig.from_pretrained(str(tmp_path))
    assert (config.hidden_size, config.num_attention_heads, config.num_labels) == (48, 3, 5)
    assert config.id2label[4] == "LABEL_4"


def test_transformers_reads_our_config(tmp_path):
    _, transformers = torch_or_skip()
    ElectraConfig(hidden_size=48, num_attention_heads=3, num_labels=5, problem_type="regression").save_pretrained(
        tmp_path
    )
    theirs = transformers.ElectraConfig.from_pretrained(str(tmp_path))
    assert (theirs.hidden_size, theirs.num_attention_heads, theirs.num_labels) == (48, 3, 5)
    assert theirs.problem_type == "regression"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"hidden_size": 30, "num_attention_heads": 4}, "num_attention_heads"),
        ({"hidden_act": "gelu_fancy"}, "hidden_act"),
        ({"vocab_size": 0}, "vocab_size"),
        ({"num_hidden_layers": -1}, "num_hidden_layers"),
        ({"intermediate_size": 2.5}, "intermediate_size"),
        ({"hidden_dropout_prob": 1.5}, "hidden_dropout_prob"),
        ({"position_embedding_type": "rotary"}, "position_embedding_type"),
        ({"problem_type": "ranking"}, "problem_type"),
        ({"layer_norm_eps": 0}, "layer_norm_eps"),
        ({"is_decoder": "false"}, "is_decoder must be true or false"),
        ({"summary_use_proj": "no"}, "summary_use_proj"),
        ({"use_cache": 1}, "use_cache"),
        ({"id2label": {0: "a", 1: "a"}}, "id2label names must differ"),
        ({"id2label": {0: "x", 1: "y"}, "label2id": {"x": 0, "y": 7}}, "label2id .* contradicts id2label"),
        ({"id2label": {0: "x", 1: "y"}, "label2id": {"y": 0, "x": 1}}, "label2id .* contradicts id2label"),
    ],
)
def test_bad_values_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ElectraConfig(**kwargs)


def test_bad_config_file_names_the_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="config.json"):
        ElectraConfig.from_pretrained(str(tmp_path))
    path.write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ConfigError, match="bert"):
        ElectraConfig.from_pretrained(str(tmp_path))
    with pytest.raises(ValueError, match="config.json"):
        ElectraConfig.from_pretrained(str(tmp_path / "missing"))


# (hidden, layers, heads, intermediate, embedding) of the six released checkpoints.
RELEASED = {
    "electra-small-discriminator": (256, 12, 4, 1024, 128),
    "electra-small-generator": (256, 12, 4, 1024, 128),
    "electra-base-discriminator": (768, 12, 12, 3072, 768),
    "electra-base-generator": (256, 12, 4, 1024, 768),
    "electra-large-discriminator": (1024, 24, 16, 4096, 1024),
    "electra-large-generator": (256, 24, 4, 1024, 1024),
}


@pytest.mark.parametrize("name", PRESETS)
def test_presets_have_the_released_sizes(name):
    config = ElectraConfig.from_preset(name)
    got = (
        config.hidden_size,
        config.num_hidden_layers,
        config.num_attention_heads,
        config.intermediate_size,
        config.embedding_size,
    )
    assert got == RELEASED[name]
    assert (config.vocab_size, config.max_position_embeddings, config.type_vocab_size) == (30522, 512, 2)
    assert ElectraConfig.from_preset("google/" + name) == config


def test_unknown_preset():
    with pytest.raises(ValueError, match="electra-small-discriminator"):
        ElectraConfig.from_preset("electra-tiny")
    for name in (None, 3, ["electra-small-discriminator"]):
        with pytest.raises(ConfigError, match="a preset is a name such as"):
            ElectraConfig.from_preset(name)
