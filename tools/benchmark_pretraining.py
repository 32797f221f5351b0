"""ELECTRA pre-training throughput: `tf-electra pretrain`'s step against the same step in PyTorch.

One step = mask the batch, run the generator, sample replacements, run the discriminator, the
combined loss, gradients and an AdamW update (bench/pretraining.py has both). ELECTRA-Small by
default (generator 1/4 of the discriminator's width, shared embeddings), batch 32 x 128, random
weights and tokens. Float32 and bfloat16 (ours: mixed_bfloat16, each also with
TF_ELECTRA_XLA=elementwise; PyTorch: bf16 autocast) are measured as groups, each implementation in
its own long-lived process, interleaved in rotated order
with a bounded wait for a quiet machine (timings taken under foreign load are counted and a case
with too many is marked BUSY). Reported: median step time, examples/s, GFLOP/s against the matmul
ceiling each framework reaches in the same run, peak RSS of each process, and ours / PyTorch.

Usage:
    python tools/benchmark_pretraining.py                     # Small, 32 x 128, 5 rounds (~5-10 min)
    python tools/benchmark_pretraining.py --model-size base --batch 8 --json out.json
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import report
from bench import system
from bench.pretraining import pretraining_cfg
from bench.pretraining import step_flops
from bench.runner import Worker
from bench.runner import measure_case

GROUPS = {
    "float32": ("tf_electra", "tf_electra XLA-elementwise", "tf_electra default-allocator", "PyTorch fp32"),
    "bfloat16": (
        "tf_electra mixed_bfloat16",
        "tf_electra XLA-elementwise mixed_bfloat16",
        "tf_electra default-allocator mixed_bfloat16",
        "PyTorch bf16 autocast",
    ),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-size", default="small", choices=("small", "base", "large"))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (each times every implementation)")
    parser.add_argument("--groups", default=",".join(GROUPS), help="precisions to measure")
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="longest wait for a quiet machine, s")
    parser.add_argument("--json", help="also write every measurement here")
    args = parser.parse_args(argv)
    args.groups = [g for g in args.groups.split(",") if g]
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown or min(args.batch, args.seq, args.rounds) < 1:
        parser.error(f"unknown precisions {unknown}" if unknown else "batch, seq and rounds must be positive")
    if not args.groups:
        parser.error(f"--groups names nothing to measure; choose from {','.join(GROUPS)}")
    report.check_json_path(parser, args.json)
    return args


def table(run):
    lines = [
        "| precision | implementation | step (ms, median) | examples/s | GFLOP/s | of ceiling | peak RSS (MB) "
        "| TF CPU allocator | ours / PyTorch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case in run["cases"]:
        results, precision = case["results"], case["group"]
        *ours, peer = GROUPS[precision]
        for name in (*ours, peer):
            r = results.get(name, {})
            if "median_s" not in r:
                lines.append(f"| {precision} | {name} | error: {r.get('error', 'no timings')} | | | | | | |")
                continue
            rate = run["flops"] / r["median_s"] / 1e9
            top = report.ceiling_for(run, name)
            share = f"{100 * rate / top:.0f}% of {top:.0f}" if top else "?"
            ratio = ""
            if name in ours and "median_s" in results.get(peer, {}):
                ratio = f"**{results[peer]['median_s'] / r['median_s']:.2f}x**"
                if r["busy"] or results[peer]["busy"]:
                    ratio += " BUSY"
            lines.append(
                f"| {precision} | {name} | {1000 * r['median_s']:.0f} | {run['batch'] / r['median_s']:.1f} "
                f"| {rate:.0f} | {share} | {r.get('rss_mb', 0):.0f} | {r.get('allocator') or '-'} | {ratio} |"
            )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    cfg = pretraining_cfg(args.model_size, args.seq)
    watch = system.QuietWatch(limit_s=args.quiet_wait)
    run = {
        "cpu": system.cpu_model(),
        "flags": system.cpu_flags(),
        "cores": os.cpu_count(),
        "model_size": args.model_size,
        "batch": args.batch,
        "seq": args.seq,
        "flops": step_flops(cfg, args.batch, args.seq),
        "load_before": system.load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "ceilings": {},
        "cases": [],
    }
    print(f"# {run['cpu']} ({', '.join(run['flags'])}), {run['cores']} cores", file=sys.stderr, flush=True)
    for family, impl in (("TensorFlow", "tf_electra"), ("PyTorch", "PyTorch fp32")):
        worker = Worker(impl)
        run["ceilings"][family] = worker.send({"op": "ceiling"}).get("rates", {})
        worker.close()
    for group in args.groups:
        workers = {name: Worker(name) for name in GROUPS[group]}
        try:
            case = dict(group=group, task="pretrain", batch=args.batch, seq=args.seq)
            print(f"# {group} ELECTRA-{args.model_size} pre-training {args.batch}x{args.seq}", file=sys.stderr)
            case["results"] = measure_case(workers, list(GROUPS[group]), cfg, case, args.rounds, watch)
            run["cases"].append(case)
        finally:
            for worker in workers.values():
                worker.close()
    run["load_after"] = system.load_average()
    run["busy"] = {"timings": watch.measurements, "busy": watch.busy_measurements, "max_foreign": watch.max_foreign}
    print(
        f"ELECTRA-{args.model_size} pre-training step (generator + discriminator + AdamW), batch {args.batch} x "
        f"{args.seq}, {run['flops'] / 1e9:.0f} GFLOP per step; {run['cpu']}, {run['cores']} cores; load average "
        f"{run['load_before']} before, {run['load_after']} after; {watch.busy_measurements} of "
        f"{watch.measurements} timings under foreign load\n"
    )
    print(table(run))
    if args.json:
        report.write_json(args.json, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
