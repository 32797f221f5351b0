"""Time and peak memory of importing full-size Google checkpoints (with Adam slots).

For each size it writes a randomly initialised checkpoint in the original layout
(paper hparams: base E=768 with a 1/3-width generator, large E=1024 with a 1/4-width
generator; Adam slots and global_step included), then imports the discriminator
in a fresh process and reports the import time, the process's peak resident memory
and its ratio to the model's own weights (the target is below 2x).

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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

HPARAMS = {
    "base": {"embedding_size": 768, "generator_hidden_size": 0.33333},
    "large": {"embedding_size": 1024, "generator_hidden_size": 0.25},
    "small": {"embedding_size": 128, "generator_hidden_size": 1.0},
}


def worker(folder, size, network):
    import numpy as np

    from tf_electra.google_checkpoint import load_google_checkpoint

    hparams = dict(HPARAMS[size], model_size=size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    model, config = load_google_checkpoint(folder, network, hparams=hparams)
    seconds = time.perf_counter() - start
    weights_mb = sum(int(np.prod(w.shape)) * 4 for w in model.weights) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"import_s": seconds, "peak_rss_mb": peak, "rss_before_import_mb": before, "weights_mb": weights_mb}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="base,large")
    parser.add_argument("--network", default="discriminator", choices=("discriminator", "generator"))
    parser.add_argument("--keep", help="write the checkpoints here and keep them")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.network)))
        return
    from fixtures import checkpoint_shapes

    root = args.keep or tempfile.mkdtemp(prefix="electra-import-bench-")
    rows = []
    try:
        for size in args.sizes.split(","):
            folder = os.path.join(root, size)
            if not os.path.isfile(os.path.join(folder, "checkpoint")):
                # Written in a child process so that its memory does not count.
                code = (
                    "import sys; sys.path.insert(0, %r); from fixtures import *; "
                    "write_checkpoint(%r, checkpoint_shapes(%r, **%r), std=0.02)"
                ) % (HERE, os.path.join(folder, "model.ckpt-1000000"), size, HPARAMS[size])
                subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
            disk = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 2**20
            n_vars = len(checkpoint_shapes(size, **HPARAMS[size]))
            out = subprocess.run(
                [sys.executable, __file__, "--worker", folder, size, "--network", args.network],
                capture_output=True,
                text=True,
                env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
            )
            line = [l for l in out.stdout.splitlines() if l.startswith("{")]
            if not line:
                print(out.stderr[-3000:], file=sys.stderr)
                continue
            result = json.loads(line[-1])
            result.update(size=size, disk_mb=disk, model_variables=n_vars)
            rows.append(result)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"| checkpoint ({args.network}) | on disk (MB, with Adam) | model weights (MB) | import (s) | "
        "peak RSS (MB) | peak / weights | RSS before import (MB) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['size']} | {r['disk_mb']:.0f} | {r['weights_mb']:.0f} | {r['import_s']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{r['peak_rss_mb'] / r['weights_mb']:.2f}x | {r['rss_before_import_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
