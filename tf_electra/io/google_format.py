"""Reading original google-research/electra pre-training checkpoints (TensorFlow-specific).

A checkpoint written by `run_pretraining.py` holds the generator, the discriminator and their Adam
slots (docs/checkpoint_format.md). This module opens the variable index (checking that the data
files are complete), and reads one network's tensors, one at a time, into a model that the caller
built; `google_layout` recognises the layout and infers the configs. It builds no model itself:
`tf_electra.models.google` does, on top of it. Adam slots and `global_step` are never read.
"""

import codecs
import glob
import math
import os
import re
import warnings

from tf_electra.errors import CheckpointError
from tf_electra.io.google_layout import SKIP
from tf_electra.io.google_layout import detect_layout
from tf_electra.io.google_layout import infer_config
from tf_electra.io.google_layout import network_variables
from tf_electra.io.google_layout import parse_hparams
from tf_electra.io.google_layout import run_hparams
from tf_electra.io.weights import variable_names


def resolve_prefix(path):
    """A checkpoint prefix from a prefix or a folder (its `checkpoint` file, else the newest prefix)."""
    if not isinstance(path, (str, os.PathLike)):
        raise CheckpointError(f"a checkpoint path must be a path, got {type(path).__name__}")
    path = os.fspath(path)
    if os.path.isdir(path):
        latest = _named_in_state_file(path)
        if latest and os.path.isfile(latest + ".index"):
            return latest
        indexes = [p for p in glob.glob(os.path.join(glob.escape(path), "*.index")) if os.path.isfile(p)]
        if not indexes:
            if latest:  # the state file names a checkpoint that is gone
                raise CheckpointError(
                    f"{path}/checkpoint names {latest}, which has no .index file, and the folder holds no other "
                    "checkpoint (moved or deleted?)"
                )
            raise CheckpointError(f"{path} holds no checkpoint (no 'checkpoint' file and no *.index file)")

        def step(p):
            match = re.search(r"-(\d+)\.index$", p)
            return (int(match.group(1)) if match else -1, os.path.getmtime(p))

        return max(indexes, key=step)[: -len(".index")]
    if path.endswith(".index"):
        path = path[: -len(".index")]
    if not os.path.isfile(path + ".index"):
        raise CheckpointError(
            f"{path}.index does not exist: pass a checkpoint prefix (.../model.ckpt-1000000) or its folder"
        )
    return path


def _named_in_state_file(folder):
    """The prefix that `folder/checkpoint` names (its model_checkpoint_path), or None if it names none.

    Read here rather than with tf.train.latest_checkpoint, which logs an error line for a stale name.
    """
    if not os.path.isfile(os.path.join(folder, "checkpoint")):  # a FIFO or device would block the read
        return None
    try:
        with open(os.path.join(folder, "checkpoint"), encoding="utf-8") as f:
            match = re.search(r'^\s*model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', f.read(1 << 20), re.M)
    except (OSError, UnicodeDecodeError):
        return None  # no or an unreadable `checkpoint` file: the caller falls back to the newest prefix
    if not match:
        return None
    name = match.group(1)
    if "\\" in name:  # a text-format escape: \" \\ or octal bytes of a non-ASCII character
        try:
            name = codecs.escape_decode(name.encode("utf-8"))[0].decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
    return name if os.path.isabs(name) else os.path.join(folder, name)


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
    if re.search(r"[*?[]", prefix):
        raise CheckpointError(
            f"{prefix}: TensorFlow's checkpoint reader takes * ? [ in a path as a pattern and cannot open it; "
            "rename the folder (or the files) without them"
        )
    try:
        reader = tf.train.load_checkpoint(prefix)
        all_shapes = reader.get_variable_to_shape_map()
        all_dtypes = reader.get_variable_to_dtype_map()
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointError(f"{prefix}.index is corrupted or unreadable: {e}") from e
    _check_data_files(prefix, {n: tuple(s) for n, s in all_shapes.items()}, all_dtypes)
    shapes = {name: tuple(shape) for name, shape in all_shapes.items() if not SKIP.search(name)}
    dtypes = {name: all_dtypes[name] for name in shapes}
    return prefix, reader, shapes, dtypes


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
    unused = sorted(
        network_variables(shapes, layout, network)
        - {name for name, _ in plan}
        - set(missing)
        - {m.split(":")[0] for m in misshaped + wrong_type}
    )
    if missing or misshaped or wrong_type or unused:
        parts = [f"{prefix}: the {network} does not match the checkpoint"]
        for title, items in (
            ("missing", missing),
            ("mis-shaped", misshaped),
            ("not floating point", wrong_type),
            ("unexpected (not used)", unused),
        ):
            if items:
                parts.append(
                    f"  {title} ({len(items)}): " + ", ".join(items[:12]) + (" ..." if len(items) > 12 else "")
                )
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
        value = tf.cast(value, variable.dtype) if value.dtype != variable.dtype else value
        if not bool(tf.reduce_all(tf.math.is_finite(value))):  # after the cast: too large for the dtype counts
            warnings.warn(
                f"{prefix}: variable {name} holds NaN or infinite values (in {variable.dtype})",
                UserWarning,
                stacklevel=2,
            )
        variable.assign(value)
        del value
        if progress is not None:
            progress(done, len(plan))


def inspect_google_checkpoint(path):
    """A description of a checkpoint: layout, inferred configs and parameter counts per network."""
    prefix, _, shapes, _ = open_checkpoint(path)
    layout = detect_layout(shapes, prefix)
    hparams_file = run_hparams(prefix)  # a `tf-electra pretrain` run's own sizes, as load_google_checkpoint reads
    hparams = parse_hparams(hparams_file) if hparams_file else None
    report = {"prefix": prefix, "layout": layout.describe(), "variables": len(shapes), "networks": {}}
    report["hparams"] = hparams_file
    for network, present in (("discriminator", layout.has_discriminator), ("generator", layout.has_generator)):
        if not present:
            continue
        params = sum(math.prod(shapes[n]) for n in network_variables(shapes, layout, network))
        config = infer_config(shapes, layout, network, hparams, prefix=prefix)
        report["networks"][network] = {"parameters": params, "config": config.to_dict()}
    return report
