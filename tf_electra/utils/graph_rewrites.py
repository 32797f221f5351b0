"""Grappler settings for the TensorFlow graphs that Keras compiles from our models.

Before a compiled step runs the first time, TensorFlow's graph optimizer (Grappler) rewrites it, and
for a training step that is seconds of the time to the first step. Measured on ELECTRA-Small's
classification step (10,354 nodes, AMD EPYC, 2 cores) its passes took 2.6 s, of which these did
nothing to the graph: the whole second round of passes (0.85 s; it removed 70 of 7,500 nodes), the
memory optimizer (0.25 s, and 1.3 s on the pre-training step, whose peak memory was 2% lower
without it; its swapping and recomputation are for GPUs, so it stays on where a GPU is visible) and
the layout optimizer (0.15 s; it converts convolutions' data formats); and, measured on an Intel Xeon
(2026-12-06), the TFG passes (Grappler's MLIR round trip, 0.26 s of the first step's 1.35 s of
rewriting, no node changed in our float32, bfloat16 and pre-training steps; the first step 0.3 s sooner;
in graphs with conditionals one of them can sink ops into a branch, a speed matter only). `lean_rewrites` runs a
function with those turned off, for the calling thread only and only during the call; the passes
that make the steps fast (the remapper's fused kernels, constant folding, arithmetic and dependency
optimisation, pruning) stay on. (Constant folding, 0.4 s, folds only two nodes in float32, but
mixed_bfloat16 steps were 3% slower without it.)

A setting that the user chose with `tf.config.optimizer.set_experimental_options` is kept.
`TF_ELECTRA_GRAPPLER=default` (or `full`) turns all of this off: TensorFlow's defaults everywhere.
TensorFlow has no public API for per-call settings: this sets the calling thread's
`context.function_call_options`, which every eager call of a compiled function reads;
`tests/test_graph_rewrites.py` fails when a TensorFlow release changes that.

`TF_ELECTRA_XLA=elementwise` (opt-in) also lets XLA compile the element-wise ops between the matrix
products (LayerNorm, GELU, softmax's neighbours, casts, dropout, Adam's update) into fused kernels,
while the matrix products stay oneDNN's (XLA's CPU matmuls skip oneDNN's bf16/AMX kernels): TF's
auto-clustering restricted to fusible ops. Intel Xeon with AMX, 2 cores, ELECTRA-Small 8 x 128: a
training step 335 -> 276 ms in mixed_bfloat16 and 394 -> 356 ms in float32, inference 10-16% faster,
but the first step compiles for seconds longer (5.8 -> 28 s): worth it for runs of many steps.
"""

import functools
import os
import threading

from tf_electra.utils import onednn
from tf_electra.utils.environment import choose

ENV = "TF_ELECTRA_GRAPPLER"
XLA_ENV = "TF_ELECTRA_XLA"
XLA_FLAGS = ("--tf_xla_cpu_global_jit", "--tf_xla_ops_to_cluster=FUSIBLE")
_local = threading.local()


def _setting(name, default):
    """The environment variable `name`, trimmed and lower-cased; `default` when unset or empty."""
    return os.environ.get(name, "").strip().lower() or default


def _choice(name, default, alternative, also=()):
    """`_setting(name, default)`, refused with one ConfigError line unless it is one of the choices."""
    value = _setting(name, default)
    if value not in (default, alternative, *also):
        from tf_electra.errors import ConfigError

        raise ConfigError(f"{name}={value!r}: choose {default!r} (the default) or {alternative!r}")
    return value


def enabled():
    """Whether compiled steps run with the lean settings (TF_ELECTRA_GRAPPLER unset, empty or 'lean')."""
    return _choice(ENV, "lean", "default", also=("full",)) == "lean"


def elementwise_xla():
    """Whether compiled steps let XLA fuse their element-wise ops (TF_ELECTRA_XLA=elementwise; default off)."""
    return _choice(XLA_ENV, "off", "elementwise") == "elementwise"


def check_settings():
    """Refuses, with one ConfigError line before a training run writes anything, a bad TF_ELECTRA_GRAPPLER or
    TF_ELECTRA_XLA and oneDNN's frozen weights (`utils.onednn`: they would make training silently wrong)."""
    enabled()
    elementwise_xla()
    onednn.check_not_frozen()


def prepare_xla_flags():
    """Adds XLA_FLAGS to TF_XLA_FLAGS when TF_ELECTRA_XLA=elementwise (at `import tf_electra`).

    TensorFlow reads TF_XLA_FLAGS once, when it first optimizes a graph; flags added later do nothing.
    Returns whether the flags are (now) in place. An invalid value is refused later, by
    `apply_elementwise_xla`, with one clear line.
    """
    if _setting(XLA_ENV, "off") != "elementwise":
        return False
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "--tf_xla_ops_to_cluster" in flags and XLA_FLAGS[1] not in flags.split():
        return False  # the user's own choice of ops to cluster: keep it
    missing = [flag for flag in XLA_FLAGS if flag not in flags.split()]
    if missing:
        choose("TF_XLA_FLAGS", " ".join([flags, *missing]).strip())
    return True


def apply_elementwise_xla():
    """Turns on element-wise XLA for the process when TF_ELECTRA_XLA=elementwise; returns whether it is on.

    TensorFlow decides auto-clustering per process (`tf.config.optimizer.set_jit`; a per-call setting
    is not read), so this turns it on for every graph of the process, restricted to fusible ops by
    the flags that `prepare_xla_flags` set. It leaves things alone where the user chose a jit
    setting or other ops to cluster, and where a GPU is visible (measured on CPUs only).
    """
    if not elementwise_xla():
        return False
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU") or tf.config.optimizer.get_jit() not in ("", "autoclustering"):
        return False
    if not prepare_xla_flags():
        return False
    tf.config.optimizer.set_jit("autoclustering")
    return True


def _lean_options(base):
    """FunctionCallOptions like `base`, with the passes that do nothing for us off (unless chosen)."""
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2
    from tensorflow.core.protobuf import rewriter_config_pb2
    from tensorflow.python.eager import context

    Rewriter = rewriter_config_pb2.RewriterConfig
    config = config_pb2.ConfigProto.FromString(base.config_proto_serialized)
    rewrites = config.graph_options.rewrite_options
    if rewrites.meta_optimizer_iterations == Rewriter.DEFAULT_NUM_ITERS:
        rewrites.meta_optimizer_iterations = Rewriter.ONE
    # Measured on CPUs only; on a GPU its swapping can decide whether a batch fits.
    if rewrites.memory_optimization == Rewriter.DEFAULT_MEM_OPT and not tf.config.list_physical_devices("GPU"):
        rewrites.memory_optimization = Rewriter.NO_MEM_OPT
    if rewrites.layout_optimizer == Rewriter.DEFAULT:
        rewrites.layout_optimizer = Rewriter.OFF
    # TFG (Grappler's MLIR round trip: attribute consolidation, sorting, shape inference) changes no node.
    rewrites.disable_tfg_optimizer = True
    return context.FunctionCallOptions(executor_type=base.executor_type, config_proto=config)


def lean_rewrites(function):
    """Wraps a callable that runs compiled TensorFlow functions so that they run with lean Grappler settings."""
    if getattr(function, "_lean_rewrites", False):
        return function

    @functools.wraps(function, updated=())  # not a tf.function's internals: the wrapper is a plain function
    def call(*args, **kwargs):
        from tensorflow.python.eager import context

        ctx = context.context()
        base = ctx.function_call_options  # this thread's; TensorFlow replaces it when the user changes settings
        key = (base.executor_type, base.config_proto_serialized)  # tf.experimental.function_executor_type edits it
        if getattr(_local, "base", None) is not base or _local.key != key:
            _local.base, _local.key, _local.lean = base, key, _lean_options(base)
        lean = _local.lean
        ctx.function_call_options = lean
        try:
            return function(*args, **kwargs)
        finally:
            if ctx.function_call_options is lean:  # else the call changed tf.config: keep what it chose
                ctx.function_call_options = base

    call._lean_rewrites = True
    return call
