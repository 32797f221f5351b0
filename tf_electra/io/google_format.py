"""Original google-research/electra pre-training checkpoints: layouts, configs and reading.

A checkpoint written by `run_pretraining.py` holds the generator, the discriminator and their Adam
slots (docs/checkpoint_format.md). This module reads the variable index, recognises the layout,
infers each network's ElectraConfig from the shapes and the original sizing rules (or from the
run's hparams), and reads one network's tensors into a model that the caller built. It builds no
model itself: `tf_electra.models.google` does, on top of it. Adam slots and `global_step` are never
read. TensorFlow-specific.
"""

import glob
import json
import math
import os
import re
from dataclasses import dataclass

from tf_electra.configuration import ElectraConfig
from tf_electra.errors import CheckpointError
from tf_electra.errors import ConfigError
from tf_electra.io import names
from tf_electra.io.weights import variable_names
from tf_electra.presets import discriminator_sizes
from tf_electra.presets import generator_sizes

NETWORKS = ("discriminator", "generator")
_SKIP = re.compile(r"(/adam_m|/adam_v)$|^global_step$")


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
        disc = "discriminator electra/* with discriminator_predictions" if self.has_discriminator else "no discriminator"
        return f"{disc}; {gen}"

    def scopes(self, network):
        """{"scope": encoder scope, "embeddings": embeddings scope} of a network, for `names.name_in`."""
        if network == "discriminator":
            return {"scope": "electra", "embeddings": "electra"}
        return {"scope": self.generator_scope, "embeddings": "generator" if self.untied_generator_embeddings else "electra"}


def resolve_prefix(path):
    """A checkpoint prefix from a prefix or a folder (its `checkpoint` file, else the newest prefix)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        import tensorflow as tf

        try:
            latest = tf.train.latest_checkpoint(path)
        except (tf.errors.OpError, ValueError, UnicodeDecodeError):
            latest = None  # an unreadable `checkpoint` file: fall back to the newest prefix
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


def _check_data_files(prefix, shapes, dtypes):
    """Fails when a `.data-*` shard is missing or shorter than the tensors the index lists."""
    shards = glob.glob(glob.escape(prefix) + ".data-?????-of-?????")
    if not shards:
        raise CheckpointError(f"{prefix}.data-00000-of-00001 is missing: the checkpoint's tensors are not there")
    count = int(shards[0][-5:])
    missing = [i for i in range(count) if not os.path.isfile(f"{prefix}.data-{i:05d}-of-{count:05d}")]
    if missing:
        raise CheckpointError(f"{prefix}: data shard(s) {missing} of {count} are missing")
    import tensorflow as tf

    fixed_size = [n for n in shapes if dtypes[n] not in (tf.string, tf.variant, tf.resource)]
    needed = sum(math.prod(shapes[n]) * dtypes[n].size for n in fixed_size)
    stored = sum(os.path.getsize(s) for s in shards)
    if stored < needed:
        raise CheckpointError(
            f"{prefix}.data-* is corrupted or truncated: {stored} bytes on disk, but the index lists {needed} "
            "bytes of tensors (copy the checkpoint again)"
        )


def open_checkpoint(path):
    """(prefix, reader, {name: shape}, {name: dtype}) of the model variables (no Adam slots or global_step)."""
    import tensorflow as tf

    prefix = resolve_prefix(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
        all_shapes = reader.get_variable_to_shape_map()
        all_dtypes = reader.get_variable_to_dtype_map()
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointError(f"{prefix}.index is corrupted or unreadable: {e}") from e
    _check_data_files(prefix, {n: tuple(s) for n, s in all_shapes.items()}, all_dtypes)
    shapes = {name: tuple(shape) for name, shape in all_shapes.items() if not _SKIP.search(name)}
    dtypes = {name: all_dtypes[name] for name in shapes}
    return prefix, reader, shapes, dtypes


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
        "max_position_embeddings": _shape(shapes, "electra/embeddings/position_embeddings/embeddings", scopes, prefix)[0],
        "type_vocab_size": _shape(shapes, "electra/embeddings/token_type_embeddings/embeddings", scopes, prefix)[0],
    }


def parse_hparams(hparams):
    """run_pretraining.py's --hparams: a dict, a JSON string, or a JSON file path."""
    if hparams is None or isinstance(hparams, dict):
        return dict(hparams or {})
    text = str(hparams)
    if os.path.isfile(text):
        try:
            with open(text, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read the hparams file {hparams}: {e}") from e
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"hparams are neither a JSON object nor a JSON file ({text[:60]!r}): {e}") from e
    if not isinstance(value, dict):
        raise ConfigError(f"hparams must be a JSON object, got {type(value).__name__}")
    return value


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


def infer_config(shapes, layout, network, hparams=None, prefix="checkpoint"):
    """The ElectraConfig of one network: sizes from shapes, heads from the rules (or hparams)."""
    sizes = shape_sizes(shapes, layout, network, prefix)
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


def plan_reads(model, shapes, dtypes, layout, network, prefix="checkpoint"):
    """[(checkpoint name, variable)] for every model weight, after checking names, shapes and dtypes.

    Raises:
        CheckpointError: listing every missing, mis-shaped, non-float or unused variable.
    """
    plan, missing, misshaped, wrong_type = [], [], [], []
    for name, (variable, _) in variable_names(model, "google", **layout.scopes(network)).items():
        if name not in shapes:
            missing.append(name)
        elif tuple(shapes[name]) != tuple(variable.shape):
            misshaped.append(f"{name}: checkpoint {tuple(shapes[name])}, model {tuple(variable.shape)}")
        elif not dtypes[name].is_floating:
            wrong_type.append(f"{name}: {dtypes[name].name}")
        else:
            plan.append((name, variable))
    unused = sorted(network_variables(shapes, layout, network) - {name for name, _ in plan} - set(missing)
                    - {m.split(":")[0] for m in misshaped + wrong_type})
    if missing or misshaped or wrong_type or unused:
        parts = [f"{prefix}: the {network} does not match the checkpoint"]
        for title, items in (("missing", missing), ("mis-shaped", misshaped),
                             ("not floating point", wrong_type), ("unexpected (not used)", unused)):
            if items:
                parts.append(f"  {title} ({len(items)}): " + ", ".join(items[:12]) + (" ..." if len(items) > 12 else ""))
        raise CheckpointError("\n".join(parts))
    return plan


def read_into(plan, prefix, dtypes, progress=None):
    """Reads the planned tensors one at a time into their variables."""
    import tensorflow as tf

    for done, (name, variable) in enumerate(plan, 1):
        try:
            # One tensor at a time, straight into a TF tensor (no NumPy copy): peak memory stays
            # near the model's own size even for ELECTRA-Large with its Adam slots on disk.
            (value,) = tf.raw_ops.RestoreV2(
                prefix=prefix, tensor_names=[name], shape_and_slices=[""], dtypes=[dtypes[name]]
            )
        except (tf.errors.OpError, ValueError, IndexError) as e:
            raise CheckpointError(f"{prefix}.data-*: cannot read {name} (corrupted or truncated file): {e}") from e
        if not bool(tf.reduce_all(tf.math.is_finite(value))):
            import warnings

            warnings.warn(f"{prefix}: variable {name} holds NaN or infinite values", UserWarning, stacklevel=2)
        variable.assign(tf.cast(value, variable.dtype) if value.dtype != variable.dtype else value)
        del value
        if progress is not None:
            progress(done, len(plan))


def inspect_google_checkpoint(path):
    """A description of a checkpoint: layout, inferred configs and parameter counts per network."""
    prefix, _, shapes, _ = open_checkpoint(path)
    layout = detect_layout(shapes, prefix)
    report = {"prefix": prefix, "layout": layout.describe(), "variables": len(shapes), "networks": {}}
    for network, present in (("discriminator", layout.has_discriminator), ("generator", layout.has_generator)):
        if not present:
            continue
        params = sum(math.prod(shapes[n]) for n in network_variables(shapes, layout, network))
        config = infer_config(shapes, layout, network, prefix=prefix)
        report["networks"][network] = {"parameters": params, "config": config.to_dict()}
    return report
