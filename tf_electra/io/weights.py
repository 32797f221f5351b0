"""Pairing stored tensors with a model's variables, by the rule table in `names.py`.

Nothing is assigned until every pair has been checked: a mis-shaped, non-float or missing tensor
fails the whole load before the model changes.
"""

import warnings

import numpy as np

from tf_electra.errors import WeightsError
from tf_electra.io import names


def variable_names(model, fmt, **scopes):
    """{name in `fmt`: (variable, transposed?)} for every weight of the model."""
    table = {}
    for variable in model.weights:
        path = names.relative_path(model, variable)
        table[names.name_in(fmt, path, **scopes)] = (variable, names.transposed(fmt, path))
    return table


def check_dtype(source, name, value):
    """Refuses a tensor that is not floating point, naming it."""
    dtype = value.dtype
    if dtype == "BF16":
        raise WeightsError(
            f"{source}: weight {name!r} is stored in bfloat16, which NumPy cannot read; save the folder in "
            "float32 (transformers: model.float().save_pretrained(...)) and load it with dtype='bfloat16'"
        )
    if isinstance(dtype, str) or (np.dtype(dtype).kind != "f" and np.dtype(dtype).name != "bfloat16"):
        raise WeightsError(f"{source}: weight {name!r} has dtype {dtype}, but model weights must be floating point")


# Variables whose shapes reveal the config's sizes: (our path, the config fields of each dimension).
SIZE_PROBES = (
    ("electra/embeddings/word_embeddings/embeddings", ("vocab_size", "embedding_size")),
    ("electra/embeddings/position_embeddings/embeddings", ("max_position_embeddings", "embedding_size")),
    ("electra/embeddings/token_type_embeddings/embeddings", ("type_vocab_size", "embedding_size")),
    ("electra/encoder/layer_0/attention/self/query/kernel", ("hidden_size", "hidden_size")),
    ("electra/encoder/layer_0/intermediate/dense/kernel", ("hidden_size", "intermediate_size")),
)


def check_config(config, shapes, fmt="hf", source="checkpoint", **scopes):
    """Compares a config's sizes with stored tensor shapes before any model is built.

    A config whose sizes disagree with the weights (say 100000 layers, or a vocabulary of 2e8) would
    otherwise be built in full, which can take minutes or all the memory, before failing.

    Args:
        shapes: {stored name: shape} (a state dict's keys and shapes).

    Raises:
        WeightsError: naming the config field, its value and what the weights hold.
    """
    if fmt == "hf":
        shapes = {names.hf_canonical_key(k): tuple(v) for k, v in shapes.items()}
    for path, fields in SIZE_PROBES:
        name = names.name_in(fmt, path, **scopes)
        stored = shapes.get(name)
        if stored is None:
            continue
        stored = tuple(stored)
        expected = tuple(getattr(config, field) for field in fields)
        if names.transposed(fmt, path):
            expected = expected[::-1]
        if stored != expected:
            sizes = ", ".join(f"{f}={getattr(config, f)}" for f in dict.fromkeys(fields))
            raise WeightsError(
                f"{source}: weight {name!r} has shape {stored} but the config ({sizes}) expects {expected}; "
                "the config's sizes disagree with the weights"
            )
    layers = 0
    while names.name_in(fmt, f"electra/encoder/layer_{layers}/attention/self/query/kernel", **scopes) in shapes:
        layers += 1
    if layers and config.num_hidden_layers > layers:  # fewer is a partial load, reported after matching
        raise WeightsError(
            f"{source}: the config has num_hidden_layers={config.num_hidden_layers} but the weights hold only "
            f"{layers} layers; fix the config or the weights"
        )


def match(model, tensors, fmt="hf", source="state dict", mismatched=None):
    """Pairs tensors named in `fmt` with the model's variables; nothing is assigned.

    For Hugging Face keys, a bare ElectraModel's checkpoint (no "electra." prefix) and a head's both
    fit any model.

    Returns:
        (assignments [(variable, stored tensor, transpose, description)], missing names, unexpected names);
        stored tensors are read by `assign`, one at a time.

    Raises:
        WeightsError: a tensor's shape differs from its variable's (naming both shapes; where `mismatched` is a
            list, the tensor is left out and (name, its shape, the model's) appended to it instead) or its dtype
            is not floating point.
    """
    table = variable_names(model, fmt)
    by_key = {names.hf_canonical_key(k): k for k in tensors} if fmt == "hf" else {k: k for k in tensors}
    assignments, used, skipped = [], set(), set()
    for key, (variable, transpose) in table.items():
        stored_key = by_key.get(key)
        if stored_key is None:
            continue
        stored = tensors[stored_key]
        expected = tuple(variable.shape)[::-1] if transpose else tuple(variable.shape)
        if tuple(stored.shape) != expected and mismatched is not None:
            mismatched.append((stored_key, tuple(stored.shape), expected))
            used.add(stored_key)
            skipped.add(key)
            continue
        if tuple(stored.shape) != expected:
            raise WeightsError(
                f"{source}: weight {stored_key!r} has shape {tuple(stored.shape)} but the model expects "
                f"{expected}; the config's sizes disagree with the weights"
            )
        check_dtype(source, stored_key, stored)
        assignments.append((variable, stored, transpose, f"{source}: weight {stored_key!r}"))
        used.add(stored_key)
    assigned = {id(a[0]) for a in assignments}
    missing = [k for k, (v, _) in table.items() if id(v) not in assigned and k not in skipped]
    unexpected = [k for k in tensors if k not in used and not names.HF_TIED_OR_BUFFER.search(k)]
    return assignments, missing, unexpected


def initialize_unassigned(model, assignments, initializer_range):
    """Gives the kernels and embedding tables that `assignments` leave out ELECTRA's random init.

    For models built inside `zero_initialized()` (which starts every kernel and table at zero, so
    that loading does not first draw ~100M random numbers only to overwrite them). Biases and
    LayerNorm weights start at their usual zeros and ones either way.
    """
    import keras

    assigned = {id(a[0]) for a in assignments}
    for variable in model.weights:
        if id(variable) not in assigned and variable.path.rsplit("/", 1)[-1] in ("kernel", "embeddings"):
            # One initializer per variable: an unseeded Keras initializer draws its seed once, so a
            # shared one would give every variable the same random stream (correlated heads).
            initializer = keras.initializers.TruncatedNormal(stddev=initializer_range)
            variable.assign(initializer(variable.shape, dtype=variable.dtype))


BLOCK_BYTES = 8 << 20  # on TensorFlow, larger tables are read and written in blocks of rows of about this size


def assign(assignments):
    """Reads and assigns matched weights one at a time, warning about NaN/inf values (call only after
    `match` checked every name and shape).

    On the TensorFlow backend a weight stored as the variable holds it (not transposed) and over
    BLOCK_BYTES is read in blocks of rows, each scattered into the variable in place: assigning a whole
    array converts it to a tensor first, and for ELECTRA-Base's 94 MB word embeddings the array and that
    conversion raised the process's peak memory by about twice its size (Intel Xeon, 2026-12-06: a Base
    folder's cold start peaked at 1373 instead of 1541 MB; the load itself is as fast). Then the variable
    leaves the copy-on-read mode that a scatter puts it in.
    """
    for variable, stored, transpose, description in assignments:
        target = None if transpose else _tf_variable(variable, stored.shape)
        if target is None:
            array, bad = _checked(np.asarray(stored), variable.dtype)
            variable.assign(array.T if transpose else array)
        else:
            import tensorflow as tf

            step, bad = max(1, BLOCK_BYTES * stored.shape[0] // _nbytes(stored.shape)), 0
            for start in range(0, stored.shape[0], step):
                stop = min(start + step, stored.shape[0])
                block = stored.rows(start, stop) if hasattr(stored, "rows") else stored[start:stop]
                block, block_bad = _checked(np.asarray(block), variable.dtype)
                target.scatter_update(tf.IndexedSlices(tf.convert_to_tensor(block), tf.range(start, stop)))
                bad += block_bad
            # A scatter leaves the variable in copy-on-read mode: every later read of it (each call's
            # embedding lookup) would copy the whole table (ELECTRA-Base: 94 MB, 30 ms per call).
            tf.raw_ops.DisableCopyOnRead(resource=target.handle)
        if bad:
            warnings.warn(
                f"{description} holds {bad} NaN or infinite value(s) in {variable.dtype}", UserWarning, stacklevel=3
            )


def _nbytes(shape):
    return int(np.prod(shape, dtype=np.int64)) * 4


def _tf_variable(variable, shape):
    """The tf.Variable behind `variable` when a weight of `shape` is to be written in blocks, else None."""
    import keras

    if keras.backend.backend() != "tensorflow" or len(shape) < 2 or _nbytes(shape) <= BLOCK_BYTES:
        return None
    import tensorflow as tf

    target = variable.value  # the tf.Variable (outside an autocast scope, as here)
    if not isinstance(target, tf.Variable) or isinstance(target, tf.distribute.DistributedValues):
        return None  # a strategy's variable goes whole: its scatter depends on the variable's aggregation
    return target


def _checked(array, dtype):
    """(`array` in `dtype`, how many of its values are NaN or inf there: a value too large for `dtype` counts)."""
    bad = 0
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN: what we look for, not a warning
        array = array if str(array.dtype) == dtype else array.astype(dtype)
        total = np.sum(array, dtype=np.float64)  # no temporary as large as the array; inf and NaN carry through
    if not np.isfinite(total):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    return array, bad


def hf_state_dict(model):
    """The model's weights as {Hugging Face key: float32 array in PyTorch layout}.

    Keys are those transformers' class of the same name saves: a bare TFElectraModel has no
    "electra." prefix, a model with a head has one.
    """
    strip = getattr(model, "hf_base_model", False)
    out = {}
    for key, (variable, transpose) in variable_names(model, "hf").items():
        value = np.asarray(variable.numpy(), dtype=np.float32)
        if strip and key.startswith("electra."):
            key = key[len("electra.") :]
        out[key] = np.ascontiguousarray(value.T) if transpose else value
    return out
