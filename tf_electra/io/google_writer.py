"""Writing and resuming checkpoints in google-research/electra's layout (TensorFlow-specific).

A run folder holds what the original's `model_dir` holds: `checkpoint` (the state file naming the
latest prefix), and `model.ckpt-STEP.index` / `.data-00000-of-00001` with every model variable under
its Google name (docs/checkpoint_format.md), the Adam slots `<name>/adam_m` and `<name>/adam_v`, and
an int64 `global_step`. So `tf-electra import-google RUN_DIR`, the original code and transformers'
converter all read it.

A checkpoint is never half-written: it is saved in a hidden temporary folder, its data file is moved
into the run folder first and its index last (a prefix without an index is incomplete, and readers
ignore it), and then the state file is replaced atomically. Older checkpoints beyond `keep` are
removed after the new one is complete.
"""

import glob
import os
import re
import shutil
import tempfile

from tf_electra.errors import CheckpointError
from tf_electra.utils.files import apply_umask
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.files import fsync_path
from tf_electra.utils.files import remove_stale_temporaries

PREFIX = "model.ckpt"
STATE_FILE = "checkpoint"
_STEP = re.compile(r"model\.ckpt-(\d+)\.index$")


def checkpoint_steps(run_dir):
    """Steps of the complete checkpoints in a run folder (those whose .index exists), ascending."""
    return sorted(
        int(m.group(1))
        for p in glob.glob(os.path.join(glob.escape(run_dir), f"{PREFIX}-*.index"))
        if (m := _STEP.search(p))
    )


def latest_checkpoint(run_dir):
    """The prefix of the newest complete checkpoint, or None."""
    steps = checkpoint_steps(run_dir)
    return os.path.join(run_dir, f"{PREFIX}-{steps[-1]}") if steps else None


def save_checkpoint(run_dir, step, variables, optimizer=None, keep=5):
    """Saves variables (and their Adam slots) as `run_dir/model.ckpt-STEP`; returns the prefix.

    Args:
        run_dir: The run folder.
        step: The global step (saved as the int64 `global_step`).
        variables: {Google name: variable}.
        optimizer: An optimizer with `slots(variable) -> (adam_m, adam_v)`, or None (no slots).
        keep: How many checkpoints to keep (0 keeps all).
    """
    import tensorflow as tf

    names, tensors = [], []
    for name, variable in variables.items():
        names.append(name)
        tensors.append(tf.convert_to_tensor(variable.value if hasattr(variable, "value") else variable))
        if optimizer is not None:
            for slot_name, slot in zip(("adam_m", "adam_v"), optimizer.slots(variable)):
                names.append(f"{name}/{slot_name}")
                tensors.append(tf.convert_to_tensor(slot.value))
    names.append("global_step")
    tensors.append(tf.constant(int(step), tf.int64))
    os.makedirs(run_dir, exist_ok=True)
    remove_stale_temporaries(run_dir)
    final = os.path.join(run_dir, f"{PREFIX}-{int(step)}")
    tmp = tempfile.mkdtemp(prefix=f".{PREFIX}-{int(step)}.tmp-{os.getpid()}-", dir=run_dir)
    try:
        staged = os.path.join(tmp, os.path.basename(final))
        tf.raw_ops.SaveV2(prefix=staged, tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
        apply_umask(tmp)
        parts = sorted(os.listdir(tmp), key=lambda n: n.endswith(".index"))  # data first, the index last
        for part in parts:
            fsync_path(os.path.join(tmp, part))  # the bytes reach the disk before the name does
            os.replace(os.path.join(tmp, part), os.path.join(run_dir, part))
        fsync_path(run_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _write_state(run_dir, keep)
    return final


def _write_state(run_dir, keep):
    steps = checkpoint_steps(run_dir)
    if keep:
        for old in steps[:-keep]:
            for path in glob.glob(os.path.join(glob.escape(run_dir), f"{PREFIX}-{old}.*")):
                os.remove(path)
        steps = steps[-keep:]
    lines = [f'model_checkpoint_path: "{PREFIX}-{steps[-1]}"']
    lines += [f'all_model_checkpoint_paths: "{PREFIX}-{s}"' for s in steps]
    atomic_write_text(os.path.join(run_dir, STATE_FILE), "\n".join(lines) + "\n")


def restore_checkpoint(prefix, variables, optimizer=None):
    """Reads a checkpoint back into variables (and their Adam slots); returns its global_step.

    Raises:
        CheckpointError: a variable or slot the checkpoint lacks, or one of another shape.
    """
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointError(f"{prefix} cannot be read to resume from: {e}") from e
    plan = []
    for name, variable in variables.items():
        targets = [(name, variable)]
        if optimizer is not None:
            targets += list(zip((f"{name}/adam_m", f"{name}/adam_v"), optimizer.slots(variable)))
        for stored, target in targets:
            if stored not in shapes:
                raise CheckpointError(f"{prefix} has no variable {stored}; it was written by a different run")
            if tuple(shapes[stored]) != tuple(target.shape):
                raise CheckpointError(
                    f"{prefix}: {stored} has shape {tuple(shapes[stored])} but this run's is {tuple(target.shape)}"
                )
            plan.append((stored, target))
    try:
        for stored, target in plan:
            (value,) = tf.raw_ops.RestoreV2(
                prefix=prefix, tensor_names=[stored], shape_and_slices=[""], dtypes=[dtypes[stored]]
            )
            target.assign(tf.cast(value, target.dtype))
        return int(reader.get_tensor("global_step")) if "global_step" in shapes else 0
    except tf.errors.OpError as e:  # a .data file truncated, missing or changed after its .index was written
        earlier = [s for s in checkpoint_steps(os.path.dirname(prefix)) if f"{PREFIX}-{s}" != os.path.basename(prefix)]
        hint = f"; move its files away to continue from {PREFIX}-{earlier[-1]}" if earlier else ""
        message = e.message.strip().splitlines()[0] if e.message else type(e).__name__
        raise CheckpointError(f"{prefix} is damaged ({stored}: {message}){hint}") from None


def write_tensors(prefix, tensors):
    """Writes (name, array) pairs as one checkpoint, holding one tensor in memory at a time.

    Each tensor is saved to a temporary part and the parts are merged into `prefix` at the end, so a
    full-size checkpoint with its Adam slots (several GB) is written with about one tensor of memory.
    """
    import tensorflow as tf

    folder = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(prefix)}.tmp-{os.getpid()}-", dir=folder)
    try:
        parts = []
        for i, (name, value) in enumerate(tensors):
            part = os.path.join(tmp, f"part-{i}")
            tf.raw_ops.SaveV2(
                prefix=part, tensor_names=[name], shape_and_slices=[""], tensors=[tf.convert_to_tensor(value)]
            )
            parts.append(part)
        tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=parts, destination_prefix=prefix, delete_old_dirs=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return prefix
