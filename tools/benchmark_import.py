"""Time and peak memory of importing full-size Google checkpoints (with Adam slots).

For each size it writes a randomly initialised checkpoint in the original layout (paper hparams: base
E=768 with a 1/3-width generator, large E=1024 with a 1/4-width generator; Adam slots and global_step
included) tensor by tensor, so writing it needs about one tensor of memory, then imports the
discriminator in a fresh process and reports the import time, the process's peak resident memory and
its ratio to the model's own weights (the target is below 2x).

    python tools/benchmark_import.py --sizes base,large [--keep DIR]
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))  # the independent layout fixture
sys.path.insert(0, os.path.dirname(HERE))

HPARAMS = {
    "base": {"embedding_size": 768, "generator_hidden_size": 0.33333},
    "large": {"embedding_size": 1024, "generator_hidden_size": 0.25},
    "small": {"embedding_size": 128, "generator_hidden_size": 1.0},
}


def worker(folder, size, network):
    import numpy as np

    from tf_electra.models.google import load_google_checkpoint

    hparams = dict(HPARAMS[size], model_size=size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    model, _ = load_google_checkpoint(folder, network, hparams=hparams)
    seconds = time.perf_counter() - start
    weights_mb = sum(int(np.prod(w.shape)) * 4 for w in model.weights) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"import_s": seconds, "peak_rss_mb": peak, "rss_before_import_mb": before, "weights_mb": weights_mb}


def write_random_checkpoint(folder, size):
    """The size's checkpoint with random values, written one tensor at a time."""
    import numpy as np

    from tf_electra.io.google_writer import write_tensors

    from fixtures import checkpoint_shapes

    shapes = checkpoint_shapes(size, **HPARAMS[size])
    rng = np.random.default_rng(0)

    def tensors():
        for i, (name, shape) in enumerate(shapes.items(), 1):
            value = (rng.standard_normal(shape, dtype=np.float32) * 0.02) + (1.0 if name.endswith("gamma") else 0.0)
            yield name, value
            yield f"{name}/adam_m", np.full(shape, 1e-3, np.float32)
            yield f"{name}/adam_v", np.full(shape, 1e-6, np.float32)
            print(f"\rwriting the {size} checkpoint: {i}/{len(shapes)} variables", end="", file=sys.stderr, flush=True)
        yield "global_step", np.array(1000000, np.int64)
        print(file=sys.stderr)

    prefix = os.path.join(folder, "model.ckpt-1000000")
    write_tensors(prefix, tensors())
    with open(os.path.join(folder, "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "model.ckpt-1000000"\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="base,large")
    parser.add_argument("--network", default="discriminator", choices=("discriminator", "generator"))
    parser.add_argument("--keep", help="write the checkpoints here and keep them")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    bad = [s for s in args.sizes.split(",") if s not in ("small", "base", "large")]
    if bad and not args.worker:
        parser.error(f"--sizes takes small, base and large, got {bad}")
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.network)))
        return
    root = args.keep or tempfile.mkdtemp(prefix="electra-import-bench-")
    rows = []
    try:
        for size in args.sizes.split(","):
            folder = os.path.join(root, size)
            if not os.path.isfile(os.path.join(folder, "checkpoint")):
                code = (
                    f"import sys; sys.path.insert(0, {HERE!r}); import benchmark_import as b; "
                    f"b.write_random_checkpoint({folder!r}, {size!r})"
                )
                subprocess.run([sys.executable, "-c", code], check=True)  # its memory does not count
            disk = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 2**20
            out = subprocess.run(
                [sys.executable, __file__, "--worker", folder, size, "--network", args.network],
                capture_output=True,
                text=True,
            )
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if not lines:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"the import of {size} failed")
            rows.append(dict(json.loads(lines[-1]), size=size, disk_mb=disk))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(
        "| size | checkpoint on disk (MB) | weights (MB) | import (s) | peak RSS (MB) | peak / weights | "
        "RSS before import (MB) |\n|---|---|---|---|---|---|---|"
    )
    for r in rows:
        ratio = r["peak_rss_mb"] / r["weights_mb"]
        print(
            f"| {r['size']} | {r['disk_mb']:.0f} | {r['weights_mb']:.0f} | {r['import_s']:.1f} | "
            f"{r['peak_rss_mb']:.0f} | {ratio:.2f}x | {r['rss_before_import_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
