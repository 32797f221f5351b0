"""A long-lived benchmark worker: one implementation, commands as JSON lines on stdin.

    python tools/bench/worker.py FAMILY

Commands: {"op": "setup", "cfg", "batch", "seq", "task", "variant"} builds a model and runs two
untimed calls; {"op": "time", "repeat": n} times n calls (seconds each); {"op": "release"} drops
the model; {"op": "ceiling"} measures matrix-multiply rates; {"op": "exit"}. Each reply is one
JSON line starting with "REPLY".
"""

import gc
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import impls
from bench import system

SHAPES = ((1024, 768, 3072), (4096, 4096, 4096))


def ceiling_shapes(dtype, flags):
    """The product shapes to time: bfloat16 without AVX512-BF16 or AMX is emulated, and one 4096^3 product then
    took PyTorch minutes (an AVX2 AMD EPYC), so only the first shape is timed there."""
    if dtype == "bfloat16" and not {"avx512_bf16", "amx_bf16"} & set(flags):
        return SHAPES[:1]
    return SHAPES


def matmul_ceilings(family):
    """GFLOP/s (GOP/s for int8) of this framework's matrix products on 2 shapes, best of 5."""
    flags = system.cpu_flags()
    rates = {}
    if family == "torch":
        import torch

        for dtype in ("float32", "bfloat16"):
            for m, k, n in ceiling_shapes(dtype, flags):
                a = torch.randn(m, k).to(getattr(torch, dtype))
                b = torch.randn(k, n).to(getattr(torch, dtype))
                rates[f"{dtype} {m}x{k}x{n}"] = _rate(lambda a=a, b=b: torch.mm(a, b), 2 * m * k * n)
        return rates
    import tensorflow as tf

    for dtype in ("float32", "bfloat16"):
        for m, k, n in ceiling_shapes(dtype, flags):
            a = tf.cast(tf.random.normal((m, k)), dtype)
            b = tf.cast(tf.random.normal((k, n)), dtype)
            fn = tf.function(lambda a=a, b=b: tf.matmul(a, b))
            rates[f"{dtype} {m}x{k}x{n}"] = _rate(lambda fn=fn: fn().numpy(), 2 * m * k * n)
    if family != "ours":
        return rates
    from tf_electra.serving.quantize import _int8_matmul
    from tf_electra.serving.quantize import int8_problem

    if int8_problem() is not None:  # (the product returns an empty tensor on CPUs without AVX-512)
        return rates
    for m, k, n in SHAPES:
        a = tf.bitcast(tf.cast(tf.random.uniform((m, k), 0, 255, tf.int32), tf.uint8), tf.quint8)
        b = tf.bitcast(tf.cast(tf.random.uniform((k, n), -127, 127, tf.int32), tf.int8), tf.qint8)
        fn = tf.function(lambda a=a, b=b: _int8_matmul(tf, a, b, tf.zeros([n])))
        rates[f"int8 {m}x{k}x{n}"] = _rate(lambda fn=fn: fn().numpy(), 2 * m * k * n)
    return rates


def _rate(fn, ops, runs=5):
    fn()
    best = min(_seconds(fn) for _ in range(runs))
    return ops / best / 1e9


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    family = sys.argv[1]
    step = None
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        try:
            if op == "exit":
                break
            if op == "setup":
                system.reset_peak_rss()
                start = time.perf_counter()
                step = impls.SETUP[family](
                    command["cfg"], command["batch"], command["seq"], command["task"], command["variant"]
                )
                built = time.perf_counter()
                step()
                first = time.perf_counter()
                step()
                reply = {"build_s": built - start, "first_s": first - built, "second_s": time.perf_counter() - first}
                reply["allocator"] = system.tf_cpu_allocator()
            elif op == "time":
                reply = {"times": [_seconds(step) for _ in range(command.get("repeat", 1))]}
                reply["rss_mb"] = system.peak_rss_mb()
            elif op == "release":
                step = None
                gc.collect()
                reply = {}
            elif op == "ceiling":
                reply = {"rates": matmul_ceilings(family)}
            else:
                reply = {"error": f"unknown op {op}"}
        except Exception as e:  # reported to the driver, which skips this implementation
            reply = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-3000:]}
        print("REPLY" + json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
