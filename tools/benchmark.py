"""CPU speed, memory and start-up of tf_electra against every implementation a user could pick instead.

Peers: transformers' PyTorch ELECTRA (float32, bfloat16 autocast, int8 dynamic quantization),
transformers-4's TFElectra (tf.function, in its own tf-keras process), KerasHub's ElectraBackbone
(with and without XLA, and mixed_bfloat16); ours in float32, XLA, mixed_bfloat16, bfloat16, XLA
mixed_bfloat16 and int8, each also with element-wise XLA (TF_ELECTRA_XLA=elementwise) and, for
inference, with oneDNN's frozen weights (TF_ONEDNN_ASSUME_FROZEN_WEIGHTS=1, as a serving process runs).
ELECTRA-Small and -Base; 1x128, 8x128, 16x256; inference and a training step (sequence
classification, Adam). Random weights.

Method: every implementation lives in its own long-lived process (tools/bench/worker.py). The
implementations of one precision are measured together, interleaved: each round times every one of
them once, in a rotated order, and before each timing the driver waits (bounded by --quiet-wait)
for other processes to leave the CPUs alone. A timing taken while other processes used more than
10% of the CPUs is counted; a case where that happened to more than a tenth of its timings is
marked BUSY and its ratios must not be published. Ratios compare each of ours with the *best*
peer of the same precision in the same run (>1: ours is faster). Also reported: the matrix-multiply
ceilings measured in the run (GFLOP/s), the oneDNN kernels each implementation runs
(ONEDNN_VERBOSE), cold start and peak memory, and the time to the first training step.

Usage:
    python tools/benchmark.py                      # everything (about an hour on 2 cores)
    python tools/benchmark.py --quick              # 8x128 only, fewer rounds (about 15 min)
    python tools/benchmark.py --presets electra-small-discriminator --tasks infer --shapes 1x128
"""

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import contextlib

from bench import report
from bench import system
from bench.impls import IMPLS
from bench.runner import NOT_INSTALLED
from bench.runner import Worker
from bench.runner import cold_starts
from bench.runner import kernel_probe
from bench.runner import measure_case

PRESETS = ("electra-small-discriminator", "electra-base-discriminator")
SHAPES = ((1, 128), (8, 128), (16, 256))
GROUPS = {  # measured together; ratios are taken inside a group
    "float32": [n for n, v in IMPLS.items() if v[1] == "float32"],
    "bfloat16": [n for n, v in IMPLS.items() if v[1] == "bfloat16"],
    "int8": ["tf_electra int8", "tf_electra int8 XLA-fused", "PyTorch int8 dynamic", "tf_electra"],
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--shapes", default=",".join(f"{b}x{s}" for b, s in SHAPES), help="BATCHxSEQ,...")
    parser.add_argument("--tasks", default="infer,train")
    parser.add_argument("--groups", default=",".join(GROUPS), help="precisions to measure")
    parser.add_argument("--impls", help="comma-separated subset of implementation names")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per case (each times every impl)")
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="longest wait for a quiet machine, s")
    parser.add_argument("--quick", action="store_true", help="8x128 only, 3 rounds, no cold-start repeats")
    parser.add_argument("--no-probes", action="store_true", help="skip ceilings, kernels and cold starts")
    parser.add_argument("--json", help="also write every measurement here")
    parser.add_argument(
        "--cold-start-python",
        action="append",
        default=[],
        metavar="FAMILY=PYTHON",
        help="run one family's cold starts (torch or ours) with another interpreter, e.g. a virtualenv holding only "
        "what that framework installs; without it, the other framework's packages are hidden from its cold starts",
    )
    args = parser.parse_args(argv)
    args.cold_start_python = cold_start_pythons(parser, args.cold_start_python)
    if args.quick:
        args.shapes, args.rounds = "8x128", 3
    if args.rounds < 1 or not args.quiet_wait >= 0:
        parser.error(
            f"--rounds must be at least 1 and --quiet-wait at least 0, got {args.rounds} and {args.quiet_wait}"
        )
    args.presets = [p for p in args.presets.split(",") if p]
    bad = [p for p in args.presets if p.removeprefix("google/") not in preset_names()]
    if bad:
        parser.error(f"unknown presets {bad}; known: {preset_names()}")
    try:
        args.shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",") if s]
    except ValueError:
        parser.error(f"--shapes {args.shapes!r}: expected BATCHxSEQ,... such as 8x128")
    if not args.shapes or any(len(s) != 2 or min(s) < 1 for s in args.shapes):
        parser.error(f"--shapes: each shape is BATCHxSEQ with both at least 1, got {args.shapes}")
    args.tasks = [t for t in args.tasks.split(",") if t]
    args.groups = [g for g in args.groups.split(",") if g]
    unknown = [g for g in args.groups if g not in GROUPS] + [t for t in args.tasks if t not in ("infer", "train")]
    if args.impls:
        args.impls = [n.strip() for n in args.impls.split(",")]
        unknown += [n for n in args.impls if n not in IMPLS]
    if unknown:
        parser.error(f"unknown names {unknown}; implementations: {list(IMPLS)}")
    for name in ("presets", "tasks", "groups"):
        if not getattr(args, name):
            parser.error(f"--{name} names nothing to measure")
    report.check_json_path(parser, args.json)
    return args


def preset_names():
    from tf_electra.presets import PRESETS as KNOWN

    return sorted(KNOWN)


def cold_start_pythons(parser, values):
    """{"torch" | "ours": interpreter} from FAMILY=PYTHON values; a bad one is one parser error."""
    pythons = {}
    for value in values:
        family, sep, python = value.partition("=")
        if not sep or family not in ("torch", "ours") or not python:
            parser.error(f"--cold-start-python {value!r}: expected torch=PYTHON or ours=PYTHON")
        if family in pythons:
            parser.error(f"--cold-start-python: {family} given twice")
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            parser.error(f"--cold-start-python {value!r}: {python} is not an executable file")
        pythons[family] = python
    return pythons


def versions():
    from importlib import metadata

    found = {}
    for name in ("tensorflow", "keras", "tf-keras", "keras-hub", "torch", "transformers"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def main(argv=None):
    args = parse_args(argv)
    from tf_electra.presets import preset_config_dict

    watch = system.QuietWatch(limit_s=args.quiet_wait)
    run = {
        "cpu": system.cpu_model(),
        "flags": system.cpu_flags(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions(),
        "load_before": system.load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cases": [],
    }
    print(f"# {run['cpu']} ({', '.join(run['flags'])}), {run['cores']} cores", file=sys.stderr, flush=True)
    if not args.no_probes:
        run["ceilings"] = {}
        for family, impl in (("TensorFlow", "tf_electra"), ("PyTorch", "PyTorch fp32")):
            worker = Worker(impl)
            run["ceilings"][family] = worker.send({"op": "ceiling"}).get("rates", {})
            worker.close()
        run["kernels"] = {impl: kernel_probe(impl, preset_config_dict(PRESETS[0])) for impl in report.KERNEL_IMPLS}
    for group in args.groups:
        names = [n for n in GROUPS[group] if not args.impls or n in args.impls]
        workers = {}
        try:
            for preset in args.presets:
                cfg = preset_config_dict(preset)
                for task in args.tasks:
                    for batch, seq in args.shapes:
                        impls = [n for n in names if task in IMPLS[n][2]]
                        if len(impls) < 2:
                            continue
                        for name in impls:
                            if name not in workers:
                                workers[name] = Worker(name)
                        case = dict(group=group, preset=preset, task=task, batch=batch, seq=seq)
                        print(f"# {group} {preset} {task} {batch}x{seq}", file=sys.stderr, flush=True)
                        case["results"] = measure_case(workers, impls, cfg, case, args.rounds, watch)
                        run["cases"].append(case)
                        report.progress(case)
        finally:
            for worker in workers.values():
                worker.close()
    if not args.no_probes:
        run["cold_start_pythons"] = args.cold_start_python
        run["cold_start_hidden"] = {f: NOT_INSTALLED[f] for f in NOT_INSTALLED if f not in args.cold_start_python}
        run["cold_start"] = cold_starts(
            PRESETS, repeats=1 if args.quick else 2, watch=watch, pythons=args.cold_start_python
        )
    run["load_after"] = system.load_average()
    run["busy"] = {"timings": watch.measurements, "busy": watch.busy_measurements, "max_foreign": watch.max_foreign}
    if args.json:  # first: a report that fails must not lose the measurements
        report.write_json(args.json, run)
    print(report.markdown(run, GROUPS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
