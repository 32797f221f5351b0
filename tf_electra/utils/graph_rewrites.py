"""Grappler settings for the TensorFlow graphs that Keras compiles from our models.

Before a compiled step runs the first time, TensorFlow's graph optimizer (Grappler) rewrites it, and
for a training step that is seconds of the time to the first step. Measured on ELECTRA-Small's
classification step (10,354 nodes, AMD EPYC, 2 cores) its passes took 2.6 s, of which these did
nothing to the graph: the whole second round of passes (0.85 s; it removed 70 of 7,500 nodes), the
memory optimizer (0.25 s, and 1.3 s on the pre-training step, whose peak memory was 2% lower
without it; its swapping and recomputation are for GPUs, so it stays on where a GPU is visible) and
the layout optimizer (0.15 s; it converts convolutions' data formats). `lean_rewrites` runs a
function with those turned off, for the calling thread only and only during the call; the passes
that make the steps fast (the remapper's fused kernels, constant folding, arithmetic and dependency
optimisation, pruning) stay on. (Constant folding, 0.4 s, folds only two nodes in float32, but
mixed_bfloat16 steps were 3% slower without it.)

A setting that the user chose with `tf.config.optimizer.set_experimental_options` is kept.
`TF_ELECTRA_GRAPPLER=default` (or `full`) turns all of this off: TensorFlow's defaults everywhere.
TensorFlow has no public API for per-call settings: this sets the calling thread's
`context.function_call_options`, which every eager call of a compiled function reads;
`tests/test_graph_rewrites.py` fails when a TensorFlow release changes that.
"""

import functools
import os
import threading

ENV = "TF_ELECTRA_GRAPPLER"
_local = threading.local()


def enabled():
    """Whether compiled steps run with the lean settings (TF_ELECTRA_GRAPPLER unset, empty or 'lean')."""
    value = os.environ.get(ENV, "").strip().lower() or "lean"
    if value not in ("lean", "default", "full"):
        from tf_electra.errors import ConfigError

        raise ConfigError(f"{ENV}={value!r}: choose 'lean' (the default) or 'default'")
    return value == "lean"


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
