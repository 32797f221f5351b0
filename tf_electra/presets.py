"""The six released Google ELECTRA models, and the original sizing rules.

The rules are those of google-research/electra (`util/training_utils.py`
`get_bert_config` and `run_pretraining.py` `get_generator_config`); see
docs/checkpoint_format.md, "Sizing rules".
"""

import math

from tf_electra.errors import ConfigError
from tf_electra.utils.values import is_number
from tf_electra.utils.values import is_positive_int

# model_size -> (hidden_size, num_hidden_layers)
MODEL_SIZES = {"small": (256, 12), "base": (768, 12), "large": (1024, 24)}

# Released checkpoints: embedding_size and generator_hidden_size (a fraction
# of the discriminator's hidden size). The released Small used a generator as
# wide as its discriminator (google-research/electra's README); base used 1/3 and large 1/4.
RELEASED = {
    "small": {"embedding_size": 128, "generator_hidden_size": 1.0},
    "base": {"embedding_size": 768, "generator_hidden_size": 0.33333},
    "large": {"embedding_size": 1024, "generator_hidden_size": 0.25},
}

RELEASED_POSITIONS = 512  # max_position_embeddings of every released model
PRESETS = tuple(f"electra-{size}-{net}" for size in MODEL_SIZES for net in ("generator", "discriminator"))


def discriminator_sizes(model_size, embedding_size=None, overrides=None):
    """Sizes of the discriminator for an original `model_size`.

    Args:
        model_size: "small", "base" or "large".
        embedding_size: E; None means the original default (128 for small, H otherwise).
        overrides: `model_hparam_overrides` (applied after the size rule).

    Returns:
        A dict of ElectraConfig fields.
    """
    if model_size not in MODEL_SIZES:
        raise ConfigError(f"model_size={model_size!r} is not one of {sorted(MODEL_SIZES)}")
    if overrides is not None and not isinstance(overrides, dict):
        raise ConfigError(f"model_hparam_overrides must be a JSON object of config fields, got {overrides!r}")
    if embedding_size is not None and not is_positive_int(embedding_size):
        raise ConfigError(f"embedding_size must be a positive integer or null, got {embedding_size!r}")
    hidden, layers = MODEL_SIZES[model_size]
    sizes = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": max(1, hidden // 64),
        "intermediate_size": 4 * hidden,
    }
    sizes.update(overrides or {})
    if embedding_size is None:
        embedding_size = 128 if model_size == "small" else sizes["hidden_size"]
    sizes["embedding_size"] = embedding_size
    return sizes


def generator_sizes(discriminator, generator_hidden_size=0.25, generator_layers=1.0):
    """Sizes of the generator from the discriminator's (the original rule).

    Heads and intermediate size are recomputed from the generator width, not
    inherited from the discriminator's overrides.
    """
    for name, value in (("generator_hidden_size", generator_hidden_size), ("generator_layers", generator_layers)):
        if not is_number(value) or not 0 < value <= 1:
            raise ConfigError(f"{name} must be a fraction in (0, 1] of the discriminator's size, got {value!r}")
    hidden = int(round(discriminator["hidden_size"] * generator_hidden_size))
    if hidden < 1 or int(round(discriminator["num_hidden_layers"] * generator_layers)) < 1:
        raise ConfigError(
            f"generator_hidden_size={generator_hidden_size} / generator_layers={generator_layers} give the generator "
            "no width or no layers; use larger fractions"
        )
    return {
        "hidden_size": hidden,
        "num_hidden_layers": int(round(discriminator["num_hidden_layers"] * generator_layers)),
        "num_attention_heads": max(1, hidden // 64),
        "intermediate_size": 4 * hidden,
        "embedding_size": discriminator["embedding_size"],
    }


def preset_config_dict(name):
    """ElectraConfig fields of a released model, e.g. "electra-base-generator"."""
    if not isinstance(name, str):
        raise ConfigError(f"a preset is a name such as 'electra-small-discriminator', got {name!r}")
    short = name.split("/", 1)[1] if name.startswith("google/") else name
    if short not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    _, size, net = short.split("-")
    sizes = discriminator_sizes(size, RELEASED[size]["embedding_size"])
    if net == "generator":
        sizes = generator_sizes(sizes, RELEASED[size]["generator_hidden_size"])
    return dict(sizes, vocab_size=30522, max_position_embeddings=RELEASED_POSITIONS, type_vocab_size=2)


def model_size_of(config):
    """ "small", "base" or "large": the released size whose hidden width is nearest (by ratio) to the config's.

    256 and narrower is Small, 384 too (1.5x from 256, 2x from 768), 512 is Base (1.5x from 768), 1024 and wider
    Large: a 32-wide test model gets Small's recipe (lr 3e-4), not Base's (1e-4).
    """
    return min(MODEL_SIZES, key=lambda size: abs(math.log(config.hidden_size / MODEL_SIZES[size][0])))
