"""int8 inference for serving: the encoder's matrix products in 8-bit integers (TensorFlow-specific).

`quantize_encoder(model)` replaces the six dense layers of every transformer block (query, key,
value, attention output, intermediate, output) with `Int8Dense`, in place:

- weights: int8, symmetric, one scale per output column (`w ~ q_w * column_scale`);
- activations: uint8, asymmetric, one scale and offset per token row, computed on the fly
  (`x ~ q_x * row_scale + row_min`), so a request's result never depends on the other requests
  TF Serving batches with it;
- the product `q_x @ q_w` runs in oneDNN's u8 x s8 -> s32 kernel (`QuantizedMatMulWithBias`);
  the float result is `row_scale * column_scale * acc + row_min * column_sums + bias`.

The element-wise work around each product (the row statistics and rounding before it; the scaling,
bias and the feed-forward block's GELU after it) are a dozen unfused TensorFlow ops per layer,
costing more than the int8 products. With `xla_fusion=True` (`export --fuse-with-xla`) they are
marked for XLA in the traced graph (`_XlaCompile`, one `_XlaScope` per side), so the server
compiles each side into one fused kernel while the products stay oneDNN's; the single scope name
also lets TensorFlow's graph optimizer merge the identical quantizations of the query, key and
value inputs into one. TF Serving's model server needs `--xla_cpu_compilation_enabled=true`
(otherwise it turns XLA compilation off and every request fails); Python's loaders compile by
default. XLA compiles per input shape, so every new (batch, length) pays seconds once
(ELECTRA-Base: 4-5 s on its second call, XLA compiles lazily). Off by default for both reasons.
Session loader, 8 x 128, Intel Xeon with AMX, 2 cores: ELECTRA-Base 446 -> 264 ms,
ELECTRA-Small 132 -> 102 ms (float32 export: 700 and 115 ms).

Embeddings, LayerNorms, softmax, attention scores and the task heads stay in floating point.
The kernel exists only in TensorFlow builds with oneDNN on x86-64 (the default pip wheels; not
with TF_ENABLE_ONEDNN_OPTS=0), and on a CPU without AVX-512 (an AVX2 AMD EPYC) TensorFlow 2.21's kernel
returns an empty tensor: `check_int8_kernel()` says so before anything is exported.
"""

import contextlib

import keras
import numpy as np

from tf_electra._keras_compat import replace_sublayer
from tf_electra.errors import ExportError

QUANTIZED_DENSE = (
    ("attention", "self_attention", "query"),
    ("attention", "self_attention", "key"),
    ("attention", "self_attention", "value"),
    ("attention", "output_block", "dense"),
    ("intermediate", "dense"),
    ("output_block", "dense"),
)
QUANTIZE_SCOPE = "tf_electra_int8_quantize"
DEQUANTIZE_SCOPE = "tf_electra_int8_dequantize"


def check_int8_kernel():
    """Raises ExportError when this TensorFlow cannot run the int8 matrix product on this CPU."""
    problem = int8_problem()
    if problem:
        raise ExportError(problem)


def int8_problem():
    """None where this TensorFlow runs the int8 matrix product on this CPU, else why not (one line)."""
    import tensorflow as tf

    no_onednn = (
        "int8 export needs TensorFlow's oneDNN kernels (x86-64 pip wheels, with "
        "TF_ENABLE_ONEDNN_OPTS not set to 0); this TensorFlow has no u8 x s8 QuantizedMatMulWithBias kernel"
    )
    if not _onednn_enabled():  # without oneDNN the op runs TensorFlow's own kernel, which returns nothing
        return no_onednn
    a = tf.bitcast(tf.constant([[3]], tf.uint8), tf.quint8)
    b = tf.bitcast(tf.constant([[-2]], tf.int8), tf.qint8)
    try:
        out = tf.bitcast(_int8_matmul(tf, a, b, tf.zeros([1])), tf.int32)
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
        return no_onednn
    if out.shape != (1, 1) or int(out[0, 0]) != -6:  # seen on AVX2 CPUs without AVX-512: an empty result
        return (
            "int8 export needs a CPU on which TensorFlow's oneDNN u8 x s8 product (QuantizedMatMulWithBias) works: "
            f"on this one it returned {out.numpy().tolist()} for [[3]] x [[-2]] (seen on CPUs without AVX-512); "
            "export in float32 or bfloat16 here, and serve int8 only where this check passes"
        )
    return None


def _onednn_enabled():
    """Whether this TensorFlow runs oneDNN's kernels (off with TF_ENABLE_ONEDNN_OPTS=0); True where it cannot say."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:  # a TensorFlow that moved it: the product check below still catches a kernel that fails
        return True
    return bool(_pywrap_util_port.IsMklEnabled())


def _int8_matmul(tf, a, b, zeros):
    # quint8 [m, k] x qint8 [k, n] -> qint32 [m, n]; with SCALED mode and [0, 255] x [-127, 127]
    # ranges the op returns the exact integer sums, and the float scaling is ours.
    return tf.raw_ops.QuantizedMatMulWithBias(
        a=a,
        b=b,
        bias=zeros,
        min_a=0.0,
        max_a=255.0,
        min_b=-127.0,
        max_b=127.0,
        Toutput=tf.qint32,
        input_quant_mode="SCALED",
    )[0]


def _xla_fused(tf, scope, enabled):
    """Marks the ops built inside for XLA compilation in `scope` (when enabled, in graph tracing only)."""
    if not enabled or tf.executing_eagerly():
        return contextlib.nullcontext()
    from tensorflow.core.framework import attr_value_pb2

    attrs = {"_XlaCompile": attr_value_pb2.AttrValue(b=True), "_XlaScope": attr_value_pb2.AttrValue(s=scope.encode())}
    return tf.compat.v1.get_default_graph()._attr_scope(attrs)  # what tf.xla.experimental.jit_scope sets


class Int8Dense(keras.layers.Layer):
    """A Dense layer's inference with int8 weights and per-token uint8 activations.

    The quantized weights are constants of the traced graph, not variables: oneDNN then reorders
    them into its blocked layout once and caches them (from a variable it would reorder on every
    call, which made small batches slower than float32). An exported SavedModel holds them in its
    graph (about a quarter of the float32 weights' size); the layer itself cannot be trained or
    saved as a Keras file.

    Args:
        kernel: int8 [in, out].
        column_scale, column_sums, bias: float32 [out].
        activation: Keras activation applied after the bias (as the Dense layer had it).
        xla_fusion: Mark the element-wise ops before and after the product for XLA (module docstring).
    """

    def __init__(self, kernel, column_scale, column_sums, bias, activation=None, xla_fusion=False, **kwargs):
        super().__init__(**kwargs)
        self.xla_fusion = bool(xla_fusion)
        self.input_dim, self.units = kernel.shape
        self.activation = keras.activations.get(activation)
        self._arrays = {"kernel": kernel, "column_scale": column_scale, "column_sums": column_sums, "bias": bias}
        self.built = True

    @classmethod
    def from_dense(cls, dense, activation=None, xla_fusion=False):
        """An Int8Dense holding `dense`'s weights quantized (per output column, symmetric), followed by
        `dense`'s activation, or by `activation` where given."""
        if activation is not None and dense.activation not in (None, keras.activations.linear):
            raise ExportError(f"{dense.name} has its own activation; cannot add another after it")
        kernel = np.asarray(keras.ops.convert_to_numpy(dense.kernel), np.float32)
        bias = np.zeros(kernel.shape[1], np.float32)
        if dense.use_bias:
            bias = np.asarray(keras.ops.convert_to_numpy(dense.bias), np.float32)
        scale = np.abs(kernel).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        quantized = np.clip(np.round(kernel / scale), -127, 127).astype(np.int8)
        sums = (quantized.astype(np.float64) * scale).sum(axis=0).astype(np.float32)
        return cls(
            quantized,
            scale.astype(np.float32),
            sums,
            bias,
            activation or dense.activation,
            xla_fusion=xla_fusion,
            name=dense.name,
            dtype=dense.dtype_policy,
        )

    def call(self, inputs):
        import tensorflow as tf

        arrays = {name: tf.constant(value) for name, value in self._arrays.items()}
        shape = tf.shape(inputs)
        with _xla_fused(tf, QUANTIZE_SCOPE, self.xla_fusion):
            x = tf.reshape(tf.cast(inputs, tf.float32), (-1, self.input_dim))
            low = tf.minimum(tf.reduce_min(x, axis=1, keepdims=True), 0.0)
            high = tf.maximum(tf.reduce_max(x, axis=1, keepdims=True), 0.0)
            step = tf.maximum(high - low, 1e-30) / 255.0
            q = tf.cast(tf.round((x - low) / step), tf.uint8)
        kernel = tf.bitcast(arrays["kernel"], tf.qint8)
        acc = _int8_matmul(tf, tf.bitcast(q, tf.quint8), kernel, tf.zeros([self.units]))
        acc = tf.bitcast(acc, tf.int32)
        with _xla_fused(tf, DEQUANTIZE_SCOPE, self.xla_fusion):
            acc = tf.cast(acc, tf.float32)
            out = acc * (step * arrays["column_scale"]) + (low * arrays["column_sums"] + arrays["bias"])
            out = tf.reshape(out, tf.concat([shape[:-1], [self.units]], axis=0))
            return tf.cast(self.activation(out), inputs.dtype)


def quantize_encoder(model, xla_fusion=False):
    """Replaces the dense layers of `model`'s transformer blocks by Int8Dense, in place.

    The feed-forward block's activation moves into its Int8Dense, next to the dequantization (fused
    with it under `xla_fusion`, see the module docstring). Returns the number of layers replaced. The
    model can then only run inference (no training, no `save_pretrained`): export it.
    """
    check_int8_kernel()
    count = 0
    for block in model.electra.encoder.layer:
        for path in QUANTIZED_DENSE:
            owner = block
            for name in path[:-1]:
                owner = getattr(owner, name)
            dense = getattr(owner, path[-1])
            if isinstance(dense, Int8Dense):
                continue
            if owner is block.intermediate:
                replace_sublayer(owner, path[-1], Int8Dense.from_dense(dense, owner.activation, xla_fusion))
                owner.activation = keras.activations.linear
            else:
                replace_sublayer(owner, path[-1], Int8Dense.from_dense(dense, xla_fusion=xla_fusion))
            count += 1
    model.quantization = "int8"
    return count


def quantized_copy(model, xla_fusion=False):
    """A copy of `model` whose encoder runs in int8 (the model itself is left as it is)."""
    from tf_electra.layers.initializers import zero_initialized

    check_int8_kernel()
    if getattr(model, "quantization", None) == "int8":
        raise ExportError("the model is already quantized to int8; export it without quantize")
    with zero_initialized():
        copy = type(model)(model.config, attn_implementation=model.attn_implementation, dtype=model.dtype_policy)
    for target, source in zip(copy.weights, model.weights):
        target.assign(source)
    quantize_encoder(copy, xla_fusion)
    return copy
