"""Exports served as TF Serving runs them: float32, bfloat16 and int8, with and without frozen oneDNN weights.

Exports a randomly initialised ELECTRA sequence classifier of each preset with `tf-electra export`'s code
(`--exports`: float32, mixed_bfloat16, bfloat16 = `--dtype`; int8 = `--quantize int8`; int8-xla = that with
`--fuse-with-xla`) into a temporary
folder, then serves each export through TensorFlow's TF1 session loader and signature tensor names, as
the model server does, in fresh processes that never import tf_electra: alternately with
TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=0 and =1 (TensorFlow reads it once per process). Each process times
`--calls` requests of BATCH x SEQ after one warm-up request and reports its median and peak RSS; the
table shows the medians over the rounds, the ratio frozen / not (> 1: frozen weights are faster) and each
export's speed against the float32 export without them, with the CPU model and the load average.

    python tools/benchmark_serving.py --presets electra-small-discriminator,electra-base-discriminator
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

ENV = "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS"
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "3"}
KINDS = ("float32", "mixed_bfloat16", "bfloat16", "int8", "int8-xla")


def serve(path, batch, seq, calls):
    """One process's timings: the session loader, the serving_default signature, `calls` requests."""
    import numpy as np
    import tensorflow as tf
    from bench import system  # VmHWM: Linux's ru_maxrss also counts the driver's pages held before exec

    assert "tf_electra" not in sys.modules
    rng = np.random.default_rng(0)
    values = {
        "input_ids": rng.integers(5, 1000, (batch, seq)),
        "attention_mask": np.ones((batch, seq), np.int64),
        "token_type_ids": np.zeros((batch, seq), np.int64),
    }
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        signature = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path).signature_def["serving_default"]
        feed = {signature.inputs[k].name: v for k, v in values.items()}
        fetch = signature.outputs["logits"].name
        sess.run(fetch, feed)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            sess.run(fetch, feed)
            times.append(time.perf_counter() - start)
    result = {"ms": 1000 * float(np.median(times)), "peak_rss_mb": system.peak_rss_mb()}
    print("RESULT" + json.dumps(dict(result, allocator=system.tf_cpu_allocator())))
    import gc

    gc.freeze()  # measured: the process's exit (Python's collections over TensorFlow's objects, ~1 s) is not


def export(preset, kind, folder):
    from tf_electra.utils.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras

    import tf_electra
    from tf_electra.presets import preset_config_dict
    from tf_electra.serving.export import export_saved_model

    keras.utils.set_random_seed(0)
    config = tf_electra.ElectraConfig.from_dict(dict(preset_config_dict(preset), num_labels=2))
    int8 = kind.startswith("int8")
    model = tf_electra.TFElectraForSequenceClassification(config, dtype="float32" if int8 else kind)
    return export_saved_model(model, folder, quantize="int8" if int8 else None, xla_fusion=kind == "int8-xla")


def run_server(path, frozen, args):
    from tf_electra.utils import environment  # (here: the serving processes never import tf_electra)

    # as the model server runs: without the allocator choice (and XLA flags) that importing tf_electra made here
    env = dict(environment.without_our_choice(os.environ), **QUIET, **{ENV: "1" if frozen else "0"})
    command = [sys.executable, __file__, "--serve", path, "--batch", str(args.batch), "--seq", str(args.seq)]
    proc = subprocess.run(command + ["--calls", str(args.calls)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"error: the serving process failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))[6:])


def measure(args):
    print(f"\n| preset | export | {ENV}=0 ms | =1 ms | frozen / not | best vs float32 | peak RSS MB (0 / 1) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets.split(","):
            baseline = None
            for kind in args.exports:
                path = export(preset, kind, os.path.join(tmp, preset, kind))
                runs = {False: [], True: []}
                for _ in range(args.rounds):
                    for frozen in (False, True):
                        runs[frozen].append(run_server(path, frozen, args))
                off, on = (statistics.median(r["ms"] for r in runs[f]) for f in (False, True))
                baseline = baseline or (off if kind == "float32" else None)
                versus = f"{baseline / min(off, on):.2f}x" if baseline else "-"
                rss = " / ".join(f"{max(r['peak_rss_mb'] for r in runs[f]):.0f}" for f in (False, True))
                print(f"| {preset} | {kind} | {off:.1f} | {on:.1f} | {off / on:.2f}x | {versus} | {rss} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="electra-small-discriminator,electra-base-discriminator")
    parser.add_argument(
        "--exports", default="float32,bfloat16,int8,int8-xla", help="comma-separated, from " + ",".join(KINDS)
    )
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--calls", type=int, default=15, help="timed requests per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per setting, alternated")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.batch, args.seq, args.calls, args.rounds) < 1:
        parser.error("--batch, --seq, --calls and --rounds must be positive")
    args.exports = [kind.strip() for kind in args.exports.split(",") if kind.strip()]
    if not args.exports or any(kind not in KINDS for kind in args.exports):
        parser.error(f"--exports: choose from {', '.join(KINDS)}")
    if args.serve:
        return serve(args.serve, args.batch, args.seq, args.calls)
    if any(kind.startswith("int8") for kind in args.exports):  # checked before the other exports are measured
        from tf_electra.serving.quantize import int8_problem

        problem = int8_problem()
        if problem and args.exports != parser.get_default("exports").split(","):
            parser.error(f"--exports {','.join(args.exports)}: {problem}")
        if problem:
            args.exports = [kind for kind in args.exports if not kind.startswith("int8")]
            print(f"# int8 left out: {problem}")
    from bench import system

    print(f"# {system.cpu_model()} ({', '.join(system.cpu_flags())}), {os.cpu_count()} cores")
    print(f"# load average before {system.load_average()}; {args.batch} x {args.seq}, {args.rounds} rounds")
    from tf_electra.errors import ElectraError

    try:
        measure(args)
    except (OSError, ElectraError) as e:  # a full or unwritable temporary folder, an unknown preset, a refused export
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"\n# load average after {system.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
