"""Run-time input checks that work eagerly, inside `tf.function`, and under JAX.

Model code calls these instead of backend-specific assertions. Eagerly, a bad
value raises `InputError` naming the input, the value and its position. In a
TensorFlow graph the same check runs as a graph assertion (so a SavedModel
served by TF Serving returns an error rather than garbage). Where a check cannot
raise (a JAX trace; XLA, `jit_compile=True`, drops TensorFlow's assertions), every
traced call also turns the result of a bad id, mask value or label into NaN
(`valid_if_traced`, `nan_unless`): never a silent wrong result.
"""

import numpy as np
from keras import backend
from keras import ops

from tf_electra.errors import InputError


def _concrete(x):
    """Returns x as a NumPy array if its value is known now, else None."""
    if isinstance(x, (np.ndarray, int, list, tuple)):
        return np.asarray(x)
    if backend.backend() == "tensorflow":
        import tensorflow as tf

        if isinstance(x, tf.Tensor) and hasattr(x, "numpy") and tf.executing_eagerly():
            return x.numpy()
        return None
    if backend.backend() == "jax":
        import jax

        if isinstance(x, jax.core.Tracer):
            return None
    try:
        return ops.convert_to_numpy(x)
    except Exception:  # a symbolic tensor of another backend
        return None


def known_now(x):
    """True if x's values are known now (so a check of them raises at once), False in a graph or a trace."""
    return _concrete(x) is not None


def valid_if_traced(x, low, high, valid=None):
    """For an `x` traced (values unknown now): `valid` and low <= x < high, elementwise; else `valid` as it is
    (x was checked when it came, or is None)."""
    if x is None or known_now(x):
        return valid
    inside = ops.logical_and(ops.greater_equal(x, low), ops.less(x, high))
    return inside if valid is None else ops.logical_and(valid, inside)


def binary_if_traced(x):
    """For an `x` traced (values unknown now): where its values are 0 or 1, elementwise; else None."""
    if x is None or known_now(x):
        return None
    x = ops.cast(x, "float32")
    return ops.equal(x * (1.0 - x), 0.0)


def nan_unless(x, valid):
    """`x` with NaN wherever `valid` (broadcast to x's shape) is False; `x` itself when `valid` is None."""
    return x if valid is None else ops.where(valid, x, float("nan"))


def dtype_name(x):
    """Keras' name of an array's dtype ("int32", "float32", "bool", ...), or its own name for others."""
    dtype = getattr(x, "dtype", None)
    try:
        return backend.standardize_dtype(dtype)
    except (ValueError, TypeError, AttributeError):
        return str(getattr(dtype, "name", dtype))


def check_integer(x, name):
    """Refuses ids that are not integers (floats would be floored, bools taken as 0/1); returns x.

    Python lists and ints become NumPy arrays first.
    """
    if isinstance(x, (list, tuple, int)) and not isinstance(x, bool):
        try:
            x = np.asarray(x)
        except ValueError as e:  # ragged lists
            raise InputError(f"{name} must be a rectangular [batch, seq] array of token ids: {e}") from None
    if getattr(x, "dtype", None) is None:
        raise InputError(f"{name} must be an integer tensor or array of token ids, got {type(x).__name__}")
    dtype = dtype_name(x)
    if not dtype.startswith(("int", "uint")):
        raise InputError(
            f"{name} must hold integer token ids, got dtype {dtype}; tokenize the text first "
            "(ElectraTokenizer) and pass the ids as integers"
        )
    return x


def check_embeddings(x, width):
    """Checks inputs_embeds is a float [batch, seq, width] tensor; returns it."""
    dtype = dtype_name(x)
    shape = tuple(getattr(x, "shape", ()))
    if not dtype.startswith(("float", "bfloat")):
        raise InputError(f"inputs_embeds must be a float tensor, got dtype {dtype}")
    if len(shape) != 3 or (shape[-1] is not None and shape[-1] != width):
        raise InputError(f"inputs_embeds must have shape [batch, seq, {width}] (embedding_size), got {shape}")
    return x


def check_not_empty(x, name):
    """Refuses a zero-length sequence (known statically or eagerly)."""
    length = x.shape[1]
    if length == 0:
        raise InputError(f"{name} has sequence length 0; every sequence needs at least one token ([CLS])")


def check_range(x, low, high, name):
    """Checks low <= x < high everywhere; returns x (with the check attached in a TF graph)."""
    value = _concrete(x)
    if value is not None:
        bad = np.argwhere((value < low) | (value >= high))
        if bad.size:
            pos = tuple(int(i) for i in bad[0])
            raise InputError(
                f"{name} holds {int(value[pos])} at position {pos}, outside the valid range "
                f"[{low}, {high}) ({len(bad)} value(s) out of range)"
            )
        return x
    if backend.backend() == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        msg = f"{name} must lie in [{low}, {high}) (token id out of range for the model's vocabulary/table)"
        with tf.control_dependencies([graph_range_assertion(tf, x, low, high, msg)]):
            return tf.identity(x)
    return x


def graph_range_assertion(tf, x, low, high, message):
    """A TensorFlow graph assertion that low <= x < high everywhere. When it fails, its error gives `message`, the
    first value outside the range, its position and how many there are (TensorFlow's own range assertions print only
    the first three values of the tensor). For int32 ids every value it reports is int32, so TensorFlow makes it one
    plain Assert op (a tf.cond cost 0.3-0.5 ms per ELECTRA-Small 1 x 128 call); other dtypes (the SavedModel's int64
    inputs) get TensorFlow's guard, as its own assertions do. It compiles under XLA (which drops assertions) and
    passes an empty tensor (batch or length 0)."""
    dtype = x.dtype if x.dtype in (tf.int32, tf.int64) else tf.int64
    flat = tf.cast(tf.reshape(tf.logical_or(x < tf.cast(low, x.dtype), x >= tf.cast(high, x.dtype)), [-1]), dtype)
    first = tf.argmax(tf.pad(flat, [[0, 1]]), output_type=dtype)  # (padded: an empty tensor has no argmax)
    position, rest, shape = [], first, tf.maximum(tf.shape(x, out_type=dtype), 1)
    for axis in reversed(range(x.shape.rank or 0)):  # (tf.unravel_index has no XLA kernel)
        position.insert(0, rest % shape[axis])
        rest //= shape[axis]
    position = tf.stack(position) if position else first  # unknown rank: the index into the flattened ids
    count = tf.reduce_sum(flat)
    value = tf.gather(tf.pad(tf.reshape(x, [-1]), [[0, 1]]), first)
    data = [f"{message}: it holds", value, "at position", position, "; values out of range in all:", count]
    return tf.debugging.Assert(tf.equal(count, 0), data, summarize=8)


def check_binary(x, name):
    """Checks every value of a mask is 0 or 1 (False or True); returns x (with the check attached in a TF graph).

    A mask of 2 or 0.5 would scale the attention bias instead of masking: a silent wrong result.
    """
    if x is None:
        return x
    value = _concrete(x)
    if value is not None:
        bad = np.argwhere(~np.isin(value, (0, 1)))
        if bad.size:
            pos = tuple(int(i) for i in bad[0])
            raise InputError(f"{name} holds {value[pos]} at position {pos}; a mask holds only 0 and 1")
        return x
    if backend.backend() == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        as_float = tf.cast(x, tf.float32)
        with tf.control_dependencies(
            [tf.debugging.assert_equal(as_float * (1.0 - as_float), 0.0, message=f"{name} must hold only 0 and 1")]
        ):
            return tf.identity(x)
    return x


def static_shape(x):
    try:
        return tuple(x.shape)
    except ValueError:  # a TensorFlow tensor of unknown rank (a fit step retraced with relaxed shapes)
        return None


def _label_shape(labels, want, wanted_dynamic, name, what):
    """`labels` checked to have the shape `want` (static; with unknown rank, reshaped to `wanted_dynamic`)."""
    got = static_shape(labels)
    if got is None:  # checked by the reshape at run time
        return ops.reshape(labels, wanted_dynamic)
    if len(want) != len(got) or any(a is not None and b is not None and a != b for a, b in zip(want, got)):
        raise InputError(f"{name} has shape {got} but the logits need {want} ({what})")
    return labels


def check_labels(labels, logits, name="labels", ignore_index=-100):
    """Checks labels have logits' shape without the class axis and lie in [0, classes) or are `ignore_index`."""
    want = tuple(logits.shape[:-1])
    labels = _label_shape(labels, want, ops.shape(logits)[:-1], name, "one label per prediction")
    classes = logits.shape[-1]
    if classes is None:
        return labels
    in_range = ops.where(ops.equal(labels, ignore_index), 0, labels)
    checked = check_range(in_range, 0, classes, name)
    if checked is in_range:  # checked now (or not checkable, under a JAX trace)
        return labels
    import tensorflow as tf  # a TF graph: the labels carry the assertion

    with tf.control_dependencies([checked]):
        return tf.identity(labels)


def check_binary_labels(labels, logits, name="labels", meaning="0 (original) or 1 (replaced)"):
    """Checks labels have the logits' shape and lie in [0, 1] (the discriminator's targets: 1 = replaced)."""
    labels = _label_shape(labels, tuple(logits.shape), ops.shape(logits), name, "one label per token")
    value = _concrete(labels)
    if value is not None:
        bad = np.argwhere((value < 0) | (value > 1))
        if bad.size:
            pos = tuple(int(i) for i in bad[0])
            raise InputError(f"{name} holds {value[pos]} at position {pos}; a label is {meaning}")
        return labels
    if backend.backend() != "tensorflow":
        return labels
    import tensorflow as tf

    labels = tf.convert_to_tensor(labels)
    values = tf.cast(labels, tf.float32)  # bool labels too
    msg = f"{name} must lie in [0, 1]: a label is {meaning}"
    low = tf.debugging.assert_greater_equal(values, 0.0, message=msg)
    with tf.control_dependencies([low, tf.debugging.assert_less_equal(values, 1.0, message=msg)]):
        return tf.identity(labels)


def check_same_shape(reference, other, ref_name, other_name, pairs=False):
    """Checks an input has the reference's shape [batch, seq] (statically where known, else at run time); one row
    [1, seq] is repeated over the batch, as transformers broadcasts it. With `pairs`, [batch, seq, seq] is taken
    too (an attention mask per query and key)."""
    if other is None:
        return other
    a, b = tuple(reference.shape), tuple(other.shape)
    if pairs and len(b) == 3 and len(a) == 2:
        a = a + a[1:]
    if len(b) == len(a) and b[0] == 1 and a[0] != 1:
        other, b = ops.broadcast_to(other, (ops.shape(reference)[0], *ops.shape(other)[1:])), (a[0], *b[1:])
    if len(a) != len(b) or any(x is not None and y is not None and x != y for x, y in zip(a, b)):
        seq = " or [batch, seq, seq]" if pairs else ""
        raise InputError(f"{other_name} has shape {b} but {ref_name} has shape {a[:2]}; it must be [batch, seq]{seq}")
    if backend.backend() == "tensorflow" and None in a + b:
        import tensorflow as tf

        if not tf.executing_eagerly():
            with tf.control_dependencies(
                [
                    tf.debugging.assert_equal(
                        tf.shape(reference),
                        tf.shape(other)[: len(reference.shape)],  # (a pairwise mask: its first two)
                        message=f"{other_name} and {ref_name} must have the same shape",
                    )
                ]
            ):
                return tf.identity(other)
    return other


def check_max_length(length, maximum, name="input_ids"):
    """Checks a (possibly dynamic) sequence length is at most `maximum`."""
    if isinstance(length, int):
        if length > maximum:
            raise InputError(
                f"{name} has sequence length {length}, longer than max_position_embeddings={maximum}; "
                "truncate the input (e.g. tokenizer(..., truncation=True, max_length=...))"
            )
        return None
    if backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.debugging.assert_less_equal(
            tf.cast(length, tf.int32), maximum, message=f"{name} is longer than max_position_embeddings={maximum}"
        )
    return None
