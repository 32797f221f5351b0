"""ElectraConfig: the hyperparameters of an ELECTRA network, in Hugging Face's format.

The field names and defaults are those of `transformers.ElectraConfig`, so a
`config.json` written by either library is read by the other. Unknown keys are
kept as attributes and written back, never dropped.
"""

import copy
import json
import os

from tf_electra.errors import ConfigError

CONFIG_NAME = "config.json"

# Activations the models can build, by Hugging Face's names.
ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", "tanh", "linear")
POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")
SUMMARY_TYPES = ("first", "last", "mean", "cls_index")
PROBLEM_TYPES = (None, "regression", "single_label_classification", "multi_label_classification")
ATTN_IMPLEMENTATIONS = ("eager", "sdpa")
DEFAULT_ATTN_IMPLEMENTATION = "eager"

# Fields of the config itself, with Hugging Face's defaults (ElectraConfig and
# the PretrainedConfig fields that ELECTRA's models read).
_DEFAULTS = {
    "vocab_size": 30522,  # rows of the word embedding table
    "embedding_size": 128,  # width E of the embeddings
    "hidden_size": 256,  # width H of the transformer
    "num_hidden_layers": 12,  # transformer layers L
    "num_attention_heads": 4,  # heads per layer; H must be divisible by it
    "intermediate_size": 1024,  # width of the feed-forward layer
    "hidden_act": "gelu",  # feed-forward and discriminator-head activation (erf GELU)
    "hidden_dropout_prob": 0.1,  # dropout on embeddings and sublayer outputs
    "attention_probs_dropout_prob": 0.1,  # dropout on attention probabilities
    "max_position_embeddings": 512,  # longest sequence
    "type_vocab_size": 2,  # number of token types (segments)
    "initializer_range": 0.02,  # stddev of the normal initializer
    "layer_norm_eps": 1e-12,  # LayerNorm epsilon
    "summary_type": "first",  # multiple-choice summary: which token
    "summary_use_proj": True,  # multiple-choice summary: dense projection
    "summary_activation": "gelu",  # multiple-choice summary: activation
    "summary_last_dropout": 0.1,  # multiple-choice summary: dropout after
    "pad_token_id": 0,  # id of [PAD]
    "position_embedding_type": "absolute",  # or relative_key / relative_key_query
    "use_cache": True,  # kept for compatibility; no key/value cache here
    "classifier_dropout": None,  # head dropout; None means hidden_dropout_prob
    "is_decoder": False,  # causal self-attention
    "problem_type": None,  # sequence-classification loss choice
    "attn_implementation": None,  # "eager" or "sdpa"; None means the default
}


class ElectraConfig:
    """Hyperparameters of an ELECTRA model, compatible with Hugging Face's.

    Args:
        vocab_size: Size of the word embedding table.
        embedding_size: Width E of the embeddings. When it differs from
            `hidden_size`, an `embeddings_project` dense layer maps E to H.
        hidden_size: Width H of the transformer layers.
        num_hidden_layers: Number of transformer layers.
        num_attention_heads: Attention heads per layer.
        intermediate_size: Width of the feed-forward layer.
        hidden_act: Activation name (Hugging Face's names; "gelu" is exact erf).
        hidden_dropout_prob: Dropout rate on embeddings and sublayer outputs.
        attention_probs_dropout_prob: Dropout rate on attention probabilities.
        max_position_embeddings: Longest sequence the model accepts.
        type_vocab_size: Number of token types.
        initializer_range: Standard deviation of the weight initializer.
        layer_norm_eps: LayerNorm epsilon.
        summary_type, summary_use_proj, summary_activation, summary_last_dropout:
            The multiple-choice head's sequence summary.
        pad_token_id: Id of the padding token.
        position_embedding_type: "absolute", "relative_key" or "relative_key_query".
        classifier_dropout: Dropout for classification heads (None: hidden_dropout_prob).
        is_decoder: Use causal self-attention.
        num_labels: Number of labels of classification heads (default 2).
        id2label / label2id: Label names; they set num_labels when given.
        problem_type: "regression", "single_label_classification" or
            "multi_label_classification" (None: inferred from labels).
        attn_implementation: "eager" or "sdpa".
        **kwargs: Any other key (kept and written back to config.json).

    Raises:
        ConfigError: (a ValueError) naming the field with a bad value.

    Example:
        >>> config = ElectraConfig.from_preset("electra-small-discriminator")
        >>> config.hidden_size
        256
    """

    model_type = "electra"

    def __init__(self, num_labels=None, id2label=None, label2id=None, **kwargs):
        values = dict(_DEFAULTS)
        values.update(kwargs)
        # `_attn_implementation` is how transformers writes it in some versions.
        if values.get("attn_implementation") is None and "_attn_implementation" in values:
            values["attn_implementation"] = values.pop("_attn_implementation")
        for key, value in values.items():
            setattr(self, key, value)
        if id2label is not None:
            self.id2label = {int(k): str(v) for k, v in dict(id2label).items()}
        else:
            self.id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        if num_labels is not None and num_labels != len(self.id2label):
            raise ConfigError(
                f"num_labels={num_labels} disagrees with id2label, which has {len(self.id2label)} labels"
            )
        if label2id is not None:
            self.label2id = {str(k): int(v) for k, v in dict(label2id).items()}
        else:
            self.label2id = {v: k for k, v in self.id2label.items()}
        self.validate()

    @property
    def num_labels(self):
        """Number of labels of classification heads (the size of id2label)."""
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value):
        self.id2label = {i: f"LABEL_{i}" for i in range(int(value))}
        self.label2id = {v: k for k, v in self.id2label.items()}

    @property
    def head_size(self):
        """Width of one attention head."""
        return self.hidden_size // self.num_attention_heads

    def validate(self):
        """Checks every field; raises ConfigError naming the first bad one."""
        for field in (
            "vocab_size",
            "embedding_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        ):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{field} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads "
                f"({self.num_attention_heads})"
            )
        for field in ("hidden_act", "summary_activation"):
            value = getattr(self, field)
            if value is None and field == "summary_activation":
                continue
            if value not in ACTIVATIONS:
                raise ConfigError(f"{field}={value!r} is not a known activation; use one of {ACTIVATIONS}")
        for field in ("hidden_dropout_prob", "attention_probs_dropout_prob", "summary_last_dropout"):
            value = getattr(self, field)
            if not 0.0 <= float(value) < 1.0:
                raise ConfigError(f"{field} must be in [0, 1), got {value!r}")
        if self.classifier_dropout is not None and not 0.0 <= float(self.classifier_dropout) < 1.0:
            raise ConfigError(f"classifier_dropout must be in [0, 1) or None, got {self.classifier_dropout!r}")
        if not float(self.layer_norm_eps) > 0:
            raise ConfigError(f"layer_norm_eps must be positive, got {self.layer_norm_eps!r}")
        if not float(self.initializer_range) > 0:
            raise ConfigError(f"initializer_range must be positive, got {self.initializer_range!r}")
        checks = (
            ("position_embedding_type", POSITION_EMBEDDING_TYPES),
            ("summary_type", SUMMARY_TYPES),
            ("problem_type", PROBLEM_TYPES),
            ("attn_implementation", (None,) + ATTN_IMPLEMENTATIONS),
        )
        for field, allowed in checks:
            if getattr(self, field) not in allowed:
                raise ConfigError(f"{field}={getattr(self, field)!r} is not one of {allowed}")
        if self.num_labels < 1:
            raise ConfigError(f"num_labels must be at least 1, got {self.num_labels}")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(f"pad_token_id={self.pad_token_id} is outside [0, vocab_size={self.vocab_size})")

    # ----------------------------------------------------------------- dicts

    def to_dict(self):
        """Returns every field (unknown keys included) as a JSON-ready dict."""
        out = {k: copy.deepcopy(v) for k, v in vars(self).items() if not k.startswith("_")}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["model_type"] = self.model_type
        if out.get("attn_implementation") is None:
            out.pop("attn_implementation", None)
        return dict(sorted(out.items()))

    @classmethod
    def from_dict(cls, config_dict, **overrides):
        """Builds a config from a dict such as a parsed config.json, then applies `overrides`.

        Overrides are set as attributes, as transformers applies from_pretrained's
        keyword arguments: `num_labels=3` replaces the label maps.
        """
        values = dict(config_dict)
        values.pop("model_type", None)
        config = cls(**values)
        for key, value in overrides.items():
            setattr(config, key, value)
        config.validate()
        return config

    def to_json_string(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, path):
        """Writes config.json atomically (temporary name, then rename)."""
        from tf_electra.utils.files import atomic_write_text

        atomic_write_text(path, self.to_json_string())

    @classmethod
    def from_json_file(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path} is not valid JSON: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a JSON object, got {type(data).__name__}")
        model_type = data.get("model_type", "electra")
        if model_type != "electra":
            raise ConfigError(f"{path} describes a {model_type!r} model, not an ELECTRA model")
        try:
            return cls.from_dict(data)
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from e

    @classmethod
    def from_pretrained(cls, path, **overrides):
        """Reads `config.json` from a model folder (or the file itself)."""
        from tf_electra.utils.hub import resolve_model_dir

        if os.path.isfile(path):
            config_file = path
        else:
            config_file = os.path.join(resolve_model_dir(path), CONFIG_NAME)
            if not os.path.isfile(config_file):
                raise ConfigError(f"{config_file} does not exist: the model folder has no config.json")
        config = cls.from_json_file(config_file)
        return config.copy(**overrides) if overrides else config

    def save_pretrained(self, directory):
        os.makedirs(directory, exist_ok=True)
        self.to_json_file(os.path.join(directory, CONFIG_NAME))

    @classmethod
    def from_preset(cls, name, **overrides):
        """A config with the exact sizes of a released Google checkpoint.

        Args:
            name: One of `PRESETS` ("electra-small-discriminator", ...); a
                "google/" prefix is accepted.
            **overrides: Fields to change.
        """
        from tf_electra.presets import preset_config_dict

        return cls.from_dict(preset_config_dict(name), **overrides)

    def copy(self, **overrides):
        return type(self).from_dict(self.to_dict(), **overrides)

    def __eq__(self, other):
        return isinstance(other, ElectraConfig) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"ElectraConfig {self.to_json_string()}"
