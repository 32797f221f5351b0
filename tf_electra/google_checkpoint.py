"""Reading original google-research/electra pre-training checkpoints (TensorFlow-specific).

A checkpoint written by `run_pretraining.py` holds the generator, the
discriminator and their Adam slots (see `shared/docs/google_checkpoint_format.md`).
`load_google_checkpoint` picks one network, infers its config from the variable
shapes and the original sizing rules (or takes `hparams` / `config`), checks
that every model weight is present with the right shape and every variable of
the chosen network is used, and then reads the tensors one at a time into the
model. Adam slots and `global_step` are never read.
"""

import glob
import json
import math
import os
import re
from dataclasses import dataclass

from tf_electra.configuration import ElectraConfig
from tf_electra.errors import CheckpointError
from tf_electra.layers.initializers import zero_initialized
from tf_electra.presets import discriminator_sizes
from tf_electra.presets import generator_sizes
from tf_electra.weights import relative_path

NETWORKS = ("discriminator", "generator")
_SKIP = re.compile(r"(/adam_m|/adam_v)$|^global_step$")


@dataclass
class Layout:
    """What a checkpoint holds, detected from its variable names."""

    has_discriminator: bool  # electra/encoder and discriminator_predictions
    has_generator: bool  # generator_predictions (an MLM head) exists
    generator_scope: str  # "generator" (separate network) or "electra" (tied to the discriminator)
    untied_generator_embeddings: bool  # generator/embeddings/* exist
    electra_embeddings_project: bool
    generator_embeddings_project: bool

    def describe(self):
        if not self.has_generator:
            gen = "no generator (discriminator only)"
        elif self.generator_scope == "electra":
            gen = "tied generator: the electra/* network with generator_predictions (no generator/ scope)"
        elif self.untied_generator_embeddings:
            gen = "separate generator/ network with its own generator/embeddings (untied embeddings)"
        else:
            gen = "separate generator/ network sharing electra/embeddings"
        disc = "discriminator electra/* with discriminator_predictions" if self.has_discriminator else "no discriminator"
        return f"{disc}; {gen}"


def resolve_prefix(path):
    """A checkpoint prefix from a prefix or a folder (its `checkpoint` file, else the newest prefix)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        import tensorflow as tf

        latest = tf.train.latest_checkpoint(path)
        if latest and os.path.isfile(latest + ".index"):
            return latest
        indexes = glob.glob(os.path.join(path, "*.index"))
        if not indexes:
            raise CheckpointError(f"{path} holds no checkpoint (no 'checkpoint' file and no *.index file)")

        def step(p):
            match = re.search(r"-(\d+)\.index$", p)
            return (int(match.group(1)) if match else -1, os.path.getmtime(p))

        return max(indexes, key=step)[: -len(".index")]
    if path.endswith(".index"):
        path = path[: -len(".index")]
    if not os.path.isfile(path + ".index"):
        raise CheckpointError(f"{path}.index does not exist: pass a checkpoint prefix (.../model.ckpt-1000000) or its folder")
    return path


def open_checkpoint(path):
    """(prefix, reader, {name: shape} of model variables) — Adam slots and global_step left out."""
    import tensorflow as tf

    prefix = resolve_prefix(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointError(f"{prefix}.index is corrupted or unreadable: {e}") from e
    shapes = {name: tuple(shape) for name, shape in shapes.items() if not _SKIP.search(name)}
    return prefix, reader, shapes


def detect_layout(shapes, prefix="checkpoint"):
    names = set(shapes)
    if any(n.startswith(("generator_ltr/", "generator_rtl/", "cloze_predictions/")) for n in names):
        raise CheckpointError(
            f"{prefix} is an Electric / two-tower generator checkpoint (generator_ltr/, cloze_predictions/); "
            "its generator is not an ELECTRA masked LM. Load its discriminator with model='discriminator' "
            "after removing those scopes, or use the original code."
        )
    if "electra/encoder/layer_0/attention/self/query/kernel" not in names and not any(
        n.startswith("generator/encoder/") for n in names
    ):
        raise CheckpointError(f"{prefix} has no ELECTRA encoder variables (electra/encoder/..., generator/encoder/...)")
    separate = any(n.startswith("generator/encoder/") for n in names)
    return Layout(
        has_discriminator="discriminator_predictions/dense/kernel" in names,
        has_generator="generator_predictions/output_bias" in names,
        generator_scope="generator" if separate else "electra",
        untied_generator_embeddings="generator/embeddings/word_embeddings" in names,
        electra_embeddings_project="electra/embeddings_project/kernel" in names,
        generator_embeddings_project="generator/embeddings_project/kernel" in names,
    )


def _scopes(layout, network):
    """(encoder scope, embeddings scope) of a network."""
    if network == "discriminator":
        return "electra", "electra"
    embeddings = "generator" if layout.untied_generator_embeddings else "electra"
    return layout.generator_scope, embeddings


def _network_variables(shapes, layout, network):
    """The checkpoint variables that belong to one network."""
    scope, embeddings = _scopes(layout, network)
    if network == "discriminator":
        prefixes = ("electra/", "discriminator_predictions/")
    elif scope == "electra":
        prefixes = ("electra/", "generator_predictions/")
    else:
        prefixes = ("generator/", "generator_predictions/", f"{embeddings}/embeddings/")
    return {n for n in shapes if n.startswith(prefixes)}


def shape_sizes(shapes, layout, network):
    """Sizes a network's variable shapes reveal (everything but the head count)."""
    scope, embeddings = _scopes(layout, network)
    layers = 0
    while f"{scope}/encoder/layer_{layers}/attention/self/query/kernel" in shapes:
        layers += 1
    vocab, width = shapes[f"{embeddings}/embeddings/word_embeddings"]
    return {
        "vocab_size": vocab,
        "embedding_size": width,
        "hidden_size": shapes[f"{scope}/encoder/layer_0/attention/self/query/kernel"][1],
        "num_hidden_layers": layers,
        "intermediate_size": shapes[f"{scope}/encoder/layer_0/intermediate/dense/kernel"][1],
        "max_position_embeddings": shapes[f"{embeddings}/embeddings/position_embeddings"][0],
        "type_vocab_size": shapes[f"{embeddings}/embeddings/token_type_embeddings"][0],
    }


def parse_hparams(hparams):
    """run_pretraining.py's --hparams: a dict, a JSON string, or a JSON file path."""
    if hparams is None or isinstance(hparams, dict):
        return dict(hparams or {})
    text = str(hparams)
    if os.path.isfile(text):
        with open(text, encoding="utf-8") as f:
            text = f.read()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"hparams are neither a JSON object nor a JSON file: {e}") from e
    if not isinstance(value, dict):
        raise CheckpointError(f"hparams must be a JSON object, got {type(value).__name__}")
    return value


def hparams_sizes(hparams, layout, network):
    """Sizes the original sizing rules give for these hparams (None where the hparams say nothing)."""
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


def infer_config(shapes, layout, network, hparams=None, prefix="checkpoint"):
    """The ElectraConfig of one network: sizes from shapes, heads from the rules (or hparams)."""
    sizes = shape_sizes(shapes, layout, network)
    if hparams:
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
    return ElectraConfig(num_attention_heads=heads, hidden_act="gelu", layer_norm_eps=1e-12, **sizes)


def google_name(path, layout, network):
    """Google's checkpoint name for one of our variable paths (see weights.relative_path)."""
    scope, embeddings = _scopes(layout, network)
    if path.startswith("electra/embeddings/"):
        rest = re.sub(r"^(word|position|token_type)_embeddings/embeddings$", r"\1_embeddings", path[19:])
        return f"{embeddings}/embeddings/{rest}"
    if path.startswith("electra/"):
        return f"{scope}/{path[len('electra/'):]}"
    if path.startswith("discriminator_predictions/dense_prediction/"):
        return path.replace("dense_prediction", "dense_1")
    if path == "generator_lm_head/bias":
        return "generator_predictions/output_bias"
    return path


def load_google_checkpoint(path, model="discriminator", hparams=None, config=None, dtype=None, progress=None):
    """Loads one network of an original ELECTRA pre-training checkpoint.

    Args:
        path: A checkpoint prefix (".../model.ckpt-1000000") or its folder.
        model: "discriminator" (returns TFElectraForPreTraining) or "generator"
            (returns TFElectraForMaskedLM).
        hparams: What run_pretraining.py's --hparams held (dict, JSON string or
            file): model_size, embedding_size, generator_hidden_size,
            generator_layers, model_hparam_overrides, vocab_size, ... Without
            it, sizes come from the shapes and heads = max(1, hidden // 64).
        config: An ElectraConfig to use as is (overrides both).
        dtype: Optional Keras dtype policy name for the model.
        progress: Optional callable(done, total) called as tensors are read.

    Returns:
        (model, config).

    Raises:
        CheckpointError: unreadable files, a network the checkpoint lacks, or
            weights that are missing, unexpected or mis-shaped (all listed).
    """
    import tensorflow as tf

    from tf_electra.models.pretraining import TFElectraForMaskedLM
    from tf_electra.models.pretraining import TFElectraForPreTraining

    if model not in NETWORKS:
        raise ValueError(f"model={model!r}; choose 'discriminator' or 'generator'")
    prefix, reader, shapes = open_checkpoint(path)
    layout = detect_layout(shapes, prefix)
    if model == "discriminator" and not layout.has_discriminator:
        raise CheckpointError(f"{prefix} has no discriminator (no discriminator_predictions/*): use model='generator'")
    if model == "generator" and not layout.has_generator:
        raise CheckpointError(
            f"{prefix} has no generator (no generator_predictions/*): it is a discriminator-only checkpoint; "
            "use model='discriminator'"
        )
    if config is None:
        config = infer_config(shapes, layout, model, parse_hparams(hparams), prefix)
    cls = TFElectraForPreTraining if model == "discriminator" else TFElectraForMaskedLM
    with zero_initialized():  # every weight is assigned below, or loading fails as a whole
        network = cls(config, **({"dtype": dtype} if dtype else {}))

    plan, missing, misshaped = [], [], []
    for variable in network.weights:
        name = google_name(relative_path(network, variable), layout, model)
        if name not in shapes:
            missing.append(name)
        elif tuple(shapes[name]) != tuple(variable.shape):
            misshaped.append(f"{name}: checkpoint {tuple(shapes[name])}, model {tuple(variable.shape)}")
        else:
            plan.append((name, variable))
    unused = sorted(_network_variables(shapes, layout, model) - {name for name, _ in plan} - set(missing))
    if missing or misshaped or unused:
        parts = [f"{prefix}: the {model} does not match the checkpoint"]
        for title, items in (("missing", missing), ("mis-shaped", misshaped), ("unexpected (not used)", unused)):
            if items:
                parts.append(f"  {title} ({len(items)}): " + ", ".join(items[:12]) + (" ..." if len(items) > 12 else ""))
        raise CheckpointError("\n".join(parts))
    dtypes = reader.get_variable_to_dtype_map()
    for done, (name, variable) in enumerate(plan, 1):
        try:
            # One tensor at a time, straight into a TF tensor (no NumPy copy): peak memory stays
            # near the model's own size even for ELECTRA-Large with its Adam slots on disk.
            (value,) = tf.raw_ops.RestoreV2(
                prefix=prefix, tensor_names=[name], shape_and_slices=[""], dtypes=[dtypes[name]]
            )
        except (tf.errors.OpError, ValueError, IndexError) as e:
            raise CheckpointError(f"{prefix}.data-*: cannot read {name} (corrupted or truncated file): {e}") from e
        variable.assign(tf.cast(value, variable.dtype) if value.dtype != variable.dtype else value)
        del value
        if progress is not None:
            progress(done, len(plan))
    return network, config


def inspect_google_checkpoint(path):
    """A description of a checkpoint: layout, inferred configs and parameter counts per network."""
    prefix, _, shapes = open_checkpoint(path)
    layout = detect_layout(shapes, prefix)
    report = {"prefix": prefix, "layout": layout.describe(), "variables": len(shapes), "networks": {}}
    for network, present in (("discriminator", layout.has_discriminator), ("generator", layout.has_generator)):
        if not present:
            continue
        names = _network_variables(shapes, layout, network)
        params = sum(math.prod(shapes[n]) for n in names)
        config = infer_config(shapes, layout, network, prefix=prefix)
        report["networks"][network] = {"parameters": params, "config": config.to_dict()}
    return report

