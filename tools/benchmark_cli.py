"""How fast `tf-electra` answers without doing any work: --help, --version and argument errors.

These must not import TensorFlow (the parser is built from `tf_electra.cli.parser` alone), so each
should answer in well under a second. Each command runs in a fresh process, `--runs` times, after one
untimed run; the median and the slowest are printed with the CPU model and the load average.

Usage:
    python tools/benchmark_cli.py [--runs 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import system

COMMANDS = (
    ("--help",),
    ("--version",),
    ("finetune", "--help"),
    ("pretrain", "--help"),
    ("export", "--help"),
    ("finetune", "model/", "--task", "no-such-task"),  # an argument error (exit status 2)
)


def seconds(args):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tf_electra.cli", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 2):
        raise SystemExit(f"error: tf-electra {' '.join(args)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (after one untimed run)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"{system.cpu_model()}, {os.cpu_count()} cores; load average {system.load_average()}\n")
    print("| command | median s | slowest s |\n|---|---|---|")
    for command in COMMANDS:
        seconds(command)
        times = [seconds(command) for _ in range(args.runs)]
        print(f"| `tf-electra {' '.join(command)}` | {statistics.median(times):.2f} | {max(times):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
