"""The layouts of google-research/electra pre-training checkpoints, and each network's config.

A checkpoint's variable names tell which networks it holds and how the generator shares the
embeddings (docs/checkpoint_format.md); its shapes and the original sizing rules (or the run's
hparams) give each network's ElectraConfig.
"""

import os
import re
from dataclasses import dataclass

from tf_electra.configuration import ElectraConfig
from tf_electra.errors import CheckpointError
from tf_electra.io import names
from tf_electra.presets import discriminator_sizes
from tf_electra.presets import generator_sizes
from tf_electra.pretraining_config import PretrainingConfig
from tf_electra.utils.values import parse_json_object

NETWORKS = ("discriminator", "generator")
SKIP = re.compile(r"(/adam_m|/adam_v)$|^global_step$")  # optimizer state, never model weights


@dataclass
class Layout:
    """What a checkpoint holds, recognised from its variable names."""

    has_discriminator: bool  # electra/encoder and discriminator_predictions
    has_generator: bool  # generator_predictions (an MLM head) exists
    generator_scope: str  # "generator" (a network of its own) or "electra" (tied to the discriminator)
    untied_generator_embeddings: bool  # generator/embeddings/* exist

    def describe(self):
        if not self.has_generator:
            gen = "no generator (discriminator only)"
        elif self.generator_scope == "electra":
            gen = "tied generator: the electra/* network with generator_predictions (no generator/ scope)"
        elif self.untied_generator_embeddings:
            gen = "separate generator/ network with its own generator/embeddings (untied embeddings)"
        else:
            gen = "separate generator/ network sharing electra/embeddings"
        disc = (
            "discriminator electra/* with discriminator_predictions" if self.has_discriminator else "no discriminator"
        )
        return f"{disc}; {gen}"

    def scopes(self, network):
        """{"scope": encoder scope, "embeddings": embeddings scope} of a network, for `names.name_in`."""
        if network == "discriminator":
            return {"scope": "electra", "embeddings": "electra"}
        return {
            "scope": self.generator_scope,
            "embeddings": "generator" if self.untied_generator_embeddings else "electra",
        }


def detect_layout(shapes, prefix="checkpoint"):
    """The Layout of a checkpoint, from its {name: shape}."""
    found = set(shapes)
    if any(n.startswith(("generator_ltr/", "generator_rtl/", "cloze_predictions/")) for n in found):
        raise CheckpointError(
            f"{prefix} is an Electric / two-tower generator checkpoint (generator_ltr/, cloze_predictions/); "
            "its generator is not an ELECTRA masked LM. Load its discriminator with model='discriminator' "
            "after removing those scopes, or use the original code."
        )
    if "electra/encoder/layer_0/attention/self/query/kernel" not in found and not any(
        n.startswith("generator/encoder/") for n in found
    ):
        raise CheckpointError(f"{prefix} has no ELECTRA encoder variables (electra/encoder/..., generator/encoder/...)")
    return Layout(
        has_discriminator="discriminator_predictions/dense/kernel" in found,
        has_generator="generator_predictions/output_bias" in found,
        generator_scope="generator" if any(n.startswith("generator/encoder/") for n in found) else "electra",
        untied_generator_embeddings="generator/embeddings/word_embeddings" in found,
    )


def network_variables(shapes, layout, network):
    """The checkpoint variables that belong to one network."""
    scopes = layout.scopes(network)
    if network == "discriminator":
        prefixes = ("electra/", "discriminator_predictions/")
    elif scopes["scope"] == "electra":
        prefixes = ("electra/", "generator_predictions/")
    else:
        prefixes = ("generator/", "generator_predictions/", f"{scopes['embeddings']}/embeddings/")
    return {n for n in shapes if n.startswith(prefixes)}


def _shape(shapes, path, scopes, prefix):
    name = names.name_in("google", path, **scopes)
    if name not in shapes or len(shapes[name]) < 1:
        raise CheckpointError(f"{prefix}: variable {name} is missing or is a scalar; the checkpoint is not ELECTRA's")
    return shapes[name]


def shape_sizes(shapes, layout, network, prefix="checkpoint"):
    """Sizes a network's variable shapes reveal (everything but the head count)."""
    scopes = layout.scopes(network)
    layers = 0
    while names.name_in("google", f"electra/encoder/layer_{layers}/attention/self/query/kernel", **scopes) in shapes:
        layers += 1
    vocab, width = _shape(shapes, "electra/embeddings/word_embeddings/embeddings", scopes, prefix)[:2]
    return {
        "vocab_size": vocab,
        "embedding_size": width,
        "hidden_size": _shape(shapes, "electra/encoder/layer_0/attention/self/query/kernel", scopes, prefix)[-1],
        "num_hidden_layers": layers,
        "intermediate_size": _shape(shapes, "electra/encoder/layer_0/intermediate/dense/kernel", scopes, prefix)[-1],
        "max_position_embeddings": _shape(shapes, "electra/embeddings/position_embeddings/embeddings", scopes, prefix)[
            0
        ],
        "type_vocab_size": _shape(shapes, "electra/embeddings/token_type_embeddings/embeddings", scopes, prefix)[0],
    }


RUN_HPARAMS = "pretrain_config.json"  # what `tf-electra pretrain` writes beside its checkpoints


def run_hparams(prefix):
    """The hparams a `tf-electra pretrain` run recorded beside its checkpoints (None for other runs)."""
    path = os.path.join(os.path.dirname(prefix), RUN_HPARAMS)
    return path if os.path.isfile(path) else None


def parse_hparams(hparams):
    """run_pretraining.py's --hparams: a dict, a JSON string, or a JSON file path."""
    return dict(parse_json_object(hparams, "hparams"))


def hparams_sizes(hparams, layout, network):
    """Sizes the original sizing rules give for these hparams."""
    disc = discriminator_sizes(
        hparams.get("model_size", "small"), hparams.get("embedding_size"), hparams.get("model_hparam_overrides")
    )
    if network == "discriminator" or layout.generator_scope == "electra":
        sizes = dict(disc)
    else:
        sizes = generator_sizes(disc, hparams.get("generator_hidden_size", 0.25), hparams.get("generator_layers", 1.0))
        if layout.untied_generator_embeddings:
            sizes["embedding_size"] = sizes["hidden_size"]
    if "vocab_size" in hparams:
        sizes["vocab_size"] = hparams["vocab_size"]
    return sizes


# Config fields that model_hparam_overrides may set and the variable shapes cannot tell.
NON_SIZE_FIELDS = (
    "hidden_act",
    "layer_norm_eps",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "initializer_range",
)


def infer_config(shapes, layout, network, hparams=None, prefix="checkpoint"):
    """The ElectraConfig of one network: sizes from shapes, heads from the rules (or hparams)."""
    sizes = shape_sizes(shapes, layout, network, prefix)
    settings = {"hidden_act": "gelu", "layer_norm_eps": 1e-12}  # BERT's, the original's
    if hparams:
        run = PretrainingConfig.from_hparams(hparams)  # refuses unknown keys by name, as `pretrain` does
        disc = run.discriminator_config()  # both networks share its activation, dropout, epsilon and init
        settings = {name: getattr(disc, name) for name in NON_SIZE_FIELDS}
        expected = hparams_sizes(hparams, layout, network)
        for field, value in expected.items():
            if field in sizes and sizes[field] != value:
                raise CheckpointError(
                    f"{prefix}: the hparams give the {network} {field}={value}, but the checkpoint's variables "
                    f"have {field}={sizes[field]}; check --hparams"
                )
        heads = expected["num_attention_heads"]
    else:
        heads = max(1, sizes["hidden_size"] // 64)
    return ElectraConfig(num_attention_heads=heads, **settings, **sizes)
