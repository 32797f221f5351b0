"""Speed and memory of tf_electra's execution modes against transformers' PyTorch ELECTRA.

Prints a markdown table shaped like the benchmark tables of the ELECTRA
documentation page: batch, sequence length, seconds per training batch
(sequence classification, Adam), per-token inference latency, peak memory,
achieved GFLOP/s beside the measured matrix-multiply ceiling, and speed-ups
against transformers' PyTorch ELECTRA (float32) measured in the same run.

Every implementation runs in its own process. Before each timed round the
benchmark waits for a quiet machine (other processes using < 15% of the CPUs),
runs untimed warm-up calls, and reports the median of --runs timed calls.

Usage:
    python tools/benchmark.py --preset electra-base-discriminator --batch 8 --seq 128
    python tools/benchmark.py --preset electra-small-discriminator --grid   # batch 2-16 x seq 32-256
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

OURS = {
    # name: (policy, how the model runs, attention implementation)
    "keras eager": ("float32", "eager", "eager"),
    "keras compiled": ("float32", "compiled", "eager"),
    "keras compiled sdpa": ("float32", "compiled", "sdpa"),
    "keras XLA": ("float32", "xla", "eager"),
    "keras compiled mixed_bfloat16": ("mixed_bfloat16", "compiled", "eager"),
    "keras XLA mixed_bfloat16": ("mixed_bfloat16", "xla", "eager"),
}
TORCH = "transformers PyTorch (float32, eager attention)"


# --------------------------------------------------------------------------- helpers


def _cpu_busy_fraction(interval=0.5):
    """Fraction of all CPUs used by processes other than this one over `interval` seconds."""

    def read():
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]
        own = sum(os.times()[:4]) * os.sysconf("SC_CLK_TCK")
        return sum(fields), idle, own

    total0, idle0, own0 = read()
    time.sleep(interval)
    total1, idle1, own1 = read()
    total = max(total1 - total0, 1.0)
    return max(0.0, (total - (idle1 - idle0) - (own1 - own0)) / total)


def wait_for_quiet(limit_s=60.0, threshold=0.15):
    deadline = time.time() + limit_s
    while time.time() < deadline:
        if _cpu_busy_fraction() < threshold:
            return True
    return False


def timed(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        wait_for_quiet()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def forward_flops(cfg, batch, seq):
    """Multiply-add FLOPs of one encoder forward pass (dense layers and attention, embeddings excluded)."""
    h, i, e, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["embedding_size"], cfg["num_hidden_layers"]
    tokens = batch * seq
    per_layer = 2 * tokens * (4 * h * h + 2 * h * i) + 2 * 2 * batch * seq * seq * h
    project = 2 * tokens * e * h if e != h else 0
    return layers * per_layer + project


def make_batch(cfg, batch, seq, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, cfg["vocab_size"], (batch, seq)).astype("int32")
    mask = np.ones_like(ids)
    labels = rng.integers(0, 2, (batch,)).astype("int32")
    return ids, mask, labels


# --------------------------------------------------------------------------- workers


def worker_ours(mode, cfg_dict, batch, seq, runs, train):
    policy, how, attention = OURS[mode]
    import keras
    import tensorflow as tf

    keras.mixed_precision.set_global_policy(policy)
    import tf_electra

    config = tf_electra.ElectraConfig.from_dict(cfg_dict)
    ids, mask, labels = make_batch(cfg_dict, batch, seq)
    features = {"input_ids": tf.constant(ids), "attention_mask": tf.constant(mask)}
    start = time.perf_counter()
    model = tf_electra.TFElectraForSequenceClassification(config, attn_implementation=attention)
    if how == "eager":

        def infer():
            return model(features, training=False).logits.numpy()
    else:
        fn = tf.function(lambda f: model(f, training=False).logits, jit_compile=how == "xla")

        def infer():
            return fn(features).numpy()

    infer()
    result = {"cold_start_s": time.perf_counter() - start}
    result["infer_s"] = timed(infer, runs)
    result["infer_peak_mb"] = peak_rss_mb()
    if train:
        model.compile(optimizer=keras.optimizers.Adam(1e-5), run_eagerly=how == "eager", jit_compile=how == "xla")
        y = tf.constant(labels)
        result["train_s"] = timed(lambda: model.train_on_batch(features, y), max(3, runs // 2))
        result["train_peak_mb"] = peak_rss_mb()
    return result


def worker_torch(cfg_dict, batch, seq, runs, train):
    os.environ.setdefault("USE_TF", "0")
    import torch
    import transformers

    ids, mask, labels = make_batch(cfg_dict, batch, seq)
    start = time.perf_counter()
    hf_cfg = transformers.ElectraConfig(**{k: v for k, v in cfg_dict.items() if k != "attn_implementation"})
    model = transformers.ElectraForSequenceClassification(hf_cfg).eval()
    ids_t, mask_t = torch.as_tensor(ids).long(), torch.as_tensor(mask).long()

    def infer():
        with torch.inference_mode():
            return model(input_ids=ids_t, attention_mask=mask_t).logits.numpy()

    infer()
    result = {"cold_start_s": time.perf_counter() - start}
    result["infer_s"] = timed(infer, runs)
    result["infer_peak_mb"] = peak_rss_mb()
    if train:
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
        labels_t = torch.as_tensor(labels).long()

        def step():
            optimizer.zero_grad()
            loss = model(input_ids=ids_t, attention_mask=mask_t, labels=labels_t).loss
            loss.backward()
            optimizer.step()

        result["train_s"] = timed(step, max(3, runs // 2))
        result["train_peak_mb"] = peak_rss_mb()
    return result


def worker_matmul():
    """TensorFlow float32 and bfloat16 matrix-multiply rates (square 2048 and 4096), GFLOP/s."""
    import tensorflow as tf

    out = {}
    for dtype in ("float32", "bfloat16"):
        best = 0.0
        for n in (2048, 4096):
            a = tf.cast(tf.random.normal((n, n)), dtype)
            b = tf.cast(tf.random.normal((n, n)), dtype)
            fn = tf.function(lambda a=a, b=b: tf.reduce_sum(tf.cast(tf.matmul(a, b)[:1, :1], "float32")))
            seconds = timed(lambda: fn().numpy(), 3, warmup=1)
            best = max(best, 2 * n**3 / seconds / 1e9)
        out[dtype] = best
    return out


# --------------------------------------------------------------------------- driver


def run_worker(args, impl, batch, seq):
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        impl,
        "--preset",
        args.preset,
        "--batch",
        str(batch),
        "--seq",
        str(seq),
        "--runs",
        str(args.runs),
    ]
    if args.no_train:
        cmd.append("--no-train")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", USE_TF="0" if impl == TORCH else "1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"[{impl} {batch}x{seq}] failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def torch_available():
    try:
        import importlib.util

        return bool(importlib.util.find_spec("torch") and importlib.util.find_spec("transformers"))
    except Exception:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="electra-base-discriminator")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--grid", action="store_true", help="batch 2,4,8,16 x sequence 32,64,128,256")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement (median reported)")
    parser.add_argument("--modes", default=",".join(OURS), help="comma-separated subset of our modes")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-train", action="store_true")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tf_electra.presets import preset_config_dict

    cfg = dict(preset_config_dict(args.preset), hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)

    if args.worker:
        if args.worker == "matmul":
            result = worker_matmul()
        elif args.worker == TORCH:
            result = worker_torch(cfg, args.batch, args.seq, args.runs, not args.no_train)
        else:
            result = worker_ours(args.worker, cfg, args.batch, args.seq, args.runs, not args.no_train)
        print(json.dumps(result))
        return 0

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(OURS)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {list(OURS)}")
    impls = ([] if args.no_torch or not torch_available() else [TORCH]) + modes
    shapes = [(b, s) for b in (2, 4, 8, 16) for s in (32, 64, 128, 256)] if args.grid else [(args.batch, args.seq)]

    ceiling = run_worker(args, "matmul", 0, 0) or {}
    rows = []
    for batch, seq in shapes:
        flops = forward_flops(cfg, batch, seq)
        for impl in impls:
            result = run_worker(args, impl, batch, seq)
            if result is not None:
                result.update(impl=impl, batch=batch, seq=seq, gflops=flops / result["infer_s"] / 1e9)
                rows.append(result)
                print(f"# {impl} {batch}x{seq}: {json.dumps(result)}", file=sys.stderr)

    print(f"\n### {args.preset}: seconds per training batch, per-token inference latency, peak memory\n")
    print(
        f"Matrix-multiply ceiling measured in this run (TensorFlow, square 2048/4096): "
        f"float32 {ceiling.get('float32', float('nan')):.0f} GFLOP/s, "
        f"bfloat16 {ceiling.get('bfloat16', float('nan')):.0f} GFLOP/s.\n"
    )
    print(
        "| implementation | batch_sizes | sequence_lengths | Time per batch (train - s) | Per token latency "
        "(infer - ms) | Inference GFLOP/s (% of fp32 ceiling) | Peak mem infer (MB) | Peak mem train (MB) "
        "| Train examples/s | Train speedup vs PyTorch | Infer speedup vs PyTorch |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        peer = next(
            (r for r in rows if r["impl"] == TORCH and (r["batch"], r["seq"]) == (row["batch"], row["seq"])), None
        )
        train = row.get("train_s")
        train_speedup = f"{peer['train_s'] / train:.2f}x" if peer and train and peer.get("train_s") else "—"
        infer_speedup = f"{peer['infer_s'] / row['infer_s']:.2f}x" if peer else "—"
        share = 100 * row["gflops"] / ceiling["float32"] if ceiling.get("float32") else float("nan")
        print(
            f"| {row['impl']} | {row['batch']} | {row['seq']} | {train if train is not None else float('nan'):.3f} "
            f"| {1000 * row['infer_s'] / (row['batch'] * row['seq']):.4f} | {row['gflops']:.0f} ({share:.0f}%) "
            f"| {row['infer_peak_mb']:.0f} | {row.get('train_peak_mb', float('nan')):.0f} "
            f"| {row['batch'] / train if train else float('nan'):.1f} | {train_speedup} | {infer_speedup} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"ceiling": ceiling, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
