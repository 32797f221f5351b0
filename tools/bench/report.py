"""The benchmark's markdown report: ratios against the best peer of the same precision, flagged when busy."""

import os
import sys
import tempfile

import numpy as np

from bench import system
from bench.impls import IMPLS

KERNEL_IMPLS = (
    "tf_electra",
    "tf_electra mixed_bfloat16",
    "tf_electra bfloat16",
    "tf_electra frozen-weights bfloat16",
    "tf_electra int8",
    "KerasHub mixed_bfloat16",
    "PyTorch bf16 autocast",
    "PyTorch int8 dynamic",
)


def ours(name):
    return IMPLS[name][0] == "ours"


def progress(case):
    cells = []
    for name, result in case["results"].items():
        if "median_s" in result:
            cells.append(f"{name} {1000 * result['median_s']:.1f} ms{' BUSY' if result['busy'] else ''}")
    print("  " + "; ".join(cells), file=sys.stderr, flush=True)


def ratio_cell(case, name):
    """Best same-precision peer's median / ours (>1: ours is faster); int8 also against our float32."""
    results = case["results"]
    mine = results.get(name, {})
    if "median_s" not in mine:
        return "failed"
    precision = IMPLS[name][1]
    peers = [r["median_s"] for n, r in results.items() if not ours(n) and IMPLS[n][1] == precision and "median_s" in r]
    text = f"{min(peers) / mine['median_s']:.2f}x" if peers else "-"
    if precision == "int8" and "median_s" in results.get("tf_electra", {}):
        text += f" ({results['tf_electra']['median_s'] / mine['median_s']:.2f}x our fp32)"
    busy = any(r.get("busy") for r in results.values())
    return text + (" BUSY" if busy else "")


def ceiling_for(run, name):
    family = "PyTorch" if IMPLS[name][0] == "torch" else "TensorFlow"
    precision = IMPLS[name][1]
    rates = run.get("ceilings", {}).get(family, {})
    values = [v for k, v in rates.items() if k.startswith(precision + " ")]
    return max(values) if values else None


def case_table(run, preset, task, groups, lines):
    cases = [c for c in run["cases"] if c["preset"] == preset and c["task"] == task]
    if not cases:
        return
    shapes = sorted({(c["batch"], c["seq"]) for c in cases})
    cfg_flops = system.train_flops if task == "train" else system.forward_flops
    from tf_electra.presets import preset_config_dict

    cfg = preset_config_dict(preset)
    what = "training step (sequence classification, Adam)" if task == "train" else "inference"
    lines.append(f"\n### {preset}: {what}, median ms per batch\n")
    header = "| implementation | precision | " + " | ".join(f"{b}x{s} ms" for b, s in shapes)
    header += " | GFLOP/s (% of its ceiling) | peak RSS MB | vs best peer of its precision |"
    lines.append(header)
    lines.append("|" + "---|" * (5 + len(shapes)))
    for group in groups:
        group_cases = [c for c in cases if c["group"] == group]
        names = [n for n in groups[group] if any(n in c["results"] for c in group_cases)]
        for name in names:
            if group == "int8" and IMPLS[name][1] != "int8":
                continue  # our float32 reference row is shown in the float32 group
            cells, ratios, biggest = [], [], None
            for shape in shapes:
                case = next((c for c in group_cases if (c["batch"], c["seq"]) == shape), None)
                result = case["results"].get(name, {}) if case else {}
                cells.append(f"{1000 * result['median_s']:.1f}" if "median_s" in result else "-")
                if ours(name) and case:
                    ratios.append(f"{shape[0]}x{shape[1]}: {ratio_cell(case, name)}")
                if "median_s" in result:
                    biggest = (shape, result)
            rate = "-"
            rss = "-"
            if biggest:
                (b, s), result = biggest
                gflops = cfg_flops(cfg, b, s) / result["median_s"] / 1e9
                ceiling = ceiling_for(run, name)
                rate = f"{gflops:.0f}" + (f" ({100 * gflops / ceiling:.0f}%)" if ceiling else "") + f" at {b}x{s}"
                rss = f"{result.get('rss_mb', float('nan')):.0f}"
            row = f"| {name} | {IMPLS[name][1]} | " + " | ".join(cells)
            lines.append(row + f" | {rate} | {rss} | {'; '.join(ratios) if ratios else 'peer'} |")


def markdown(run, groups):
    lines = [f"## Benchmark {run['started']}\n"]
    lines.append(f"- CPU: {run['cpu']}, {run['cores']} cores; ISA: {', '.join(run['flags']) or 'none of interest'}")
    lines.append(f"- Python {run['python']}; " + ", ".join(f"{k} {v}" for k, v in run["versions"].items()))
    lines.append(f"- load average before {run['load_before']}, after {run['load_after']}")
    busy = run["busy"]
    if busy["busy"] > 0.1 * max(busy["timings"], 1):
        lines.append(
            f"- **BUSY**: {busy['busy']} of {busy['timings']} timings ran while other processes used more than "
            f"10% of the CPUs (up to {100 * busy['max_foreign']:.0f}%); do not publish these ratios"
        )
    else:
        lines.append(f"- quiet: {busy['busy']} of {busy['timings']} timings saw other processes above 10% CPU")
    allocators = {}
    for case in run["cases"]:
        for name, result in case["results"].items():
            if result.get("allocator"):
                allocators.setdefault(result["allocator"], set()).add(name)
    if allocators:
        lines.append(
            "- TensorFlow's CPU allocator: "
            + "; ".join(f"{kind}: {', '.join(sorted(names))}" for kind, names in sorted(allocators.items()))
        )
    if run.get("ceilings"):
        lines.append("\n### Matrix-multiply ceilings measured in this run (GFLOP/s; int8: GOP/s)\n")
        lines.append("| framework | " + " | ".join(sorted({k for r in run["ceilings"].values() for k in r})) + " |")
        keys = sorted({k for r in run["ceilings"].values() for k in r})
        lines.append("|---|" + "---|" * len(keys))
        for family, rates in run["ceilings"].items():
            lines.append(f"| {family} | " + " | ".join(f"{rates[k]:.0f}" if k in rates else "-" for k in keys) + " |")
    if run.get("kernels"):
        lines.append("\n### oneDNN primitives per ELECTRA-Small 8x128 inference call (ONEDNN_VERBOSE)\n")
        for name, counts in run["kernels"].items():
            if "error" in counts:  # the implementation could not run here (int8 on a CPU without its kernel)
                lines.append(f"- {name}: error: {counts['error']}")
                continue
            text = "; ".join(f"{k} x{v:g}" for k, v in list(counts.items())[:6]) or "none (no oneDNN calls)"
            amx = "AMX: yes" if any("amx" in k for k in counts) else "AMX: no"
            lines.append(f"- {name}: {text}; {amx}")
    presets = list(dict.fromkeys(c["preset"] for c in run["cases"]))
    for preset in presets:
        for task in ("infer", "train"):
            case_table(run, preset, task, groups, lines)
    if run.get("cold_start"):
        lines.append("\n### Start-up in a fresh process (python start to result), alternating, median\n")
        for family, python in sorted(run.get("cold_start_pythons", {}).items()):
            lines.append(f"{family} ran with {python}.\n")
        for family, hidden in sorted(run.get("cold_start_hidden", {}).items()):
            lines.append(f"{family} ran with these packages of this virtualenv hidden (tools/own_install): {hidden}.\n")
        lines.append(
            "| case | ours wall s | PyTorch wall s | ratio (PyTorch / ours) | ours peak RSS MB | PyTorch peak RSS MB |"
        )
        lines.append("|---|---|---|---|---|---|")
        for key, by in run["cold_start"].items():
            stats = {}
            for family, results in by.items():
                good = [r for r in results if "wall_s" in r]
                if good:
                    stats[family] = (np.median([r["wall_s"] for r in good]), max(r["peak_rss_mb"] for r in good))
            if "ours" in stats and "torch" in stats:
                pw, prss = stats["torch"]
                for family, label in (("ours", ""), ("recipe", " (create_optimizer)")):
                    if family in stats:
                        ow, orss = stats[family]
                        lines.append(
                            f"| {key}{label} | {ow:.1f} | {pw:.1f} | {pw / ow:.2f}x | {orss:.0f} | {prss:.0f} |"
                        )
            else:
                errors = [r.get("error") for results in by.values() for r in results if "error" in r]
                lines.append(f"| {key} | failed: {errors[:1]} | | | | |")
    return "\n".join(lines)


def check_json_path(parser, path):
    """A --json path that cannot be written is a parser error before the measuring, not after it."""
    if path is None:
        return
    if not path.strip():
        parser.error("--json needs a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        parser.error(f"--json {path} is a folder; give a file name")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".benchmark-check-"):
            pass
    except OSError as e:
        parser.error(f"--json {path}: cannot write in {folder} ({e.strerror or e})")


def write_json(path, run):
    """Writes the run's measurements atomically (never a truncated file in place of an earlier one)."""
    import json

    from tf_electra.utils.files import atomic_write_text

    atomic_write_text(path, json.dumps(run, indent=1, default=str))
