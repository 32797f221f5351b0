"""ElectraConfig: the hyperparameters of an ELECTRA network, in Hugging Face's format.

The field names and defaults are those of `transformers.ElectraConfig`, so a
`config.json` written by either library is read by the other. Keys of other tools
(transformers' "architectures", "torch_dtype", ...) are kept as attributes and
written back, never dropped; a key that looks like a misspelt field
("num_hiden_layers") is refused with a suggestion.
"""

import copy
import json
import os

from tf_electra.config_fields import ATTN_IMPLEMENTATIONS  # noqa: F401 (public here since 0.1)
from tf_electra.config_fields import DEFAULT_ATTN_IMPLEMENTATION  # noqa: F401
from tf_electra.config_fields import DEFAULTS
from tf_electra.config_fields import label_map
from tf_electra.config_fields import suggestion
from tf_electra.config_fields import validate
from tf_electra.errors import ConfigError
from tf_electra.utils.values import is_positive_int
from tf_electra.utils.values import read_json_object

CONFIG_NAME = "config.json"


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
        known = list(DEFAULTS) + ["num_labels", "id2label", "label2id"]
        for key in kwargs:
            if key not in DEFAULTS:
                close = suggestion(key, known)
                if close is not None:
                    raise ConfigError(f"unknown config field {key!r}: did you mean {close!r}?")
        values = dict(DEFAULTS)
        values.update(kwargs)
        # `_attn_implementation` is how transformers writes it in some versions.
        if values.get("attn_implementation") is None and "_attn_implementation" in values:
            values["attn_implementation"] = values.pop("_attn_implementation")
        for key, value in values.items():
            setattr(self, key, value)
        if num_labels is not None and not is_positive_int(num_labels):
            raise ConfigError(f"num_labels must be a positive integer, got {num_labels!r}")
        if id2label is not None:
            self.id2label = label_map(id2label)
        else:
            self.id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        if num_labels is not None and num_labels != len(self.id2label):
            raise ConfigError(f"num_labels={num_labels} disagrees with id2label, which has {len(self.id2label)} labels")
        if label2id is not None:
            if not isinstance(label2id, dict):
                raise ConfigError(f"label2id must be a mapping of label names to ids, got {label2id!r}")
            try:
                self.label2id = {str(k): int(v) for k, v in label2id.items()}
            except (TypeError, ValueError):
                raise ConfigError(f"label2id must map label names to integer ids, got {label2id!r}") from None
        else:
            self.label2id = {v: k for k, v in self.id2label.items()}
        self.validate()

    @property
    def num_labels(self):
        """Number of labels of classification heads (the size of id2label)."""
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value):
        if not is_positive_int(value):
            raise ConfigError(f"num_labels must be a positive integer, got {value!r}")
        self.id2label = {i: f"LABEL_{i}" for i in range(int(value))}
        self.label2id = {v: k for k, v in self.id2label.items()}

    @property
    def head_size(self):
        """Width of one attention head."""
        return self.hidden_size // self.num_attention_heads

    def validate(self):
        """Checks every field; raises ConfigError naming the first bad one."""
        validate(self)

    # ----------------------------------------------------------------- dicts

    def to_dict(self):
        """Returns every field (unknown keys included) as a JSON-ready dict."""
        out = {k: copy.deepcopy(v) for k, v in vars(self).items() if not k.startswith("_")}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["model_type"] = self.model_type
        if out.get("attn_implementation") is None:
            out.pop("attn_implementation", None)
        return dict(sorted(out.items()))

    def __setattr__(self, name, value):
        # Setting a misspelt field would silently keep the default: refuse it like the constructor does.
        known = list(DEFAULTS) + ["num_labels", "id2label", "label2id"]
        if name not in self.__dict__ and name not in known and not hasattr(type(self), name):
            close = suggestion(name, known)
            if close is not None:  # from_pretrained(folder, num_label=5) as well
                raise ConfigError(f"unknown config field {name!r}: did you mean {close!r}?")
        super().__setattr__(name, value)
        if name == "id2label":  # new label names: label2id follows (as `num_labels = n` resets both)
            super().__setattr__("label2id", {label: i for i, label in label_map(value).items()})

    @classmethod
    def from_dict(cls, config_dict, **overrides):
        """Builds a config from a dict such as a parsed config.json, then applies `overrides`.

        Overrides are set as attributes, as transformers applies from_pretrained's
        keyword arguments: `num_labels=3` replaces the label maps.
        """
        if not isinstance(config_dict, dict):
            raise ConfigError(f"a config must be a dict of fields, got {type(config_dict).__name__}")
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
        if not os.path.isfile(path):
            raise ConfigError(f"{path} does not exist" if not os.path.exists(path) else f"{path} is not a file")
        data = read_json_object(path, ConfigError)
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
