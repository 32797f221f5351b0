"""GPU benchmark on Keras 3's JAX backend against transformers' PyTorch ELECTRA on the same GPU.

Run on a machine with an NVIDIA GPU, JAX and PyTorch (not TensorFlow):

    KERAS_BACKEND=jax python tools/benchmark_gpu.py --preset electra-base-discriminator --out results.json

For each batch x sequence length of the documentation page's grid it times, in
float16 (mixed precision for ours, `torch_dtype=float16` for transformers):
  * inference, one jitted call (`stateless_call` under `jax.jit`), eager and sdpa attention;
  * a training step (sequence classification, Adam) through `train_on_batch` (jit);
  * transformers' ElectraModel with SDPA and eager attention, and its training step.
Times are medians of --runs calls after warm-up, synchronised on the device.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median_time(fn, runs, sync):
    for _ in range(3):
        sync(fn())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def ours(cfg, shapes, runs, policy="mixed_float16"):
    import jax
    import keras

    import tf_electra

    keras.mixed_precision.set_global_policy(policy)
    results = []
    sync = lambda x: jax.block_until_ready(x)
    for impl in ("eager", "sdpa"):
        config = tf_electra.ElectraConfig.from_dict(cfg)
        model = tf_electra.TFElectraModel(config, attn_implementation=impl)
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def infer(tv, ntv, ids, mask):
            out, _ = model.stateless_call(tv, ntv, {"input_ids": ids, "attention_mask": mask}, training=False)
            return out["last_hidden_state"]

        classifier = tf_electra.TFElectraForSequenceClassification(config, attn_implementation=impl)
        classifier.compile(optimizer=keras.optimizers.Adam(1e-5), jit_compile=True)
        for batch, seq in shapes:
            ids = np.random.default_rng(0).integers(1000, cfg["vocab_size"], (batch, seq)).astype("int32")
            mask = np.ones_like(ids)
            jids, jmask = jax.device_put(ids), jax.device_put(mask)
            t_infer = median_time(lambda: infer(trainable, non_trainable, jids, jmask), runs, sync)
            labels = np.zeros((batch,), "int32")
            t_train = median_time(
                lambda: classifier.train_on_batch({"input_ids": ids, "attention_mask": mask}, labels),
                max(5, runs // 4),
                lambda x: x,
            )
            results.append(
                {
                    "impl": f"tf_electra JAX ({impl})",
                    "batch": batch,
                    "seq": seq,
                    "infer_ms": 1000 * t_infer,
                    "train_ms": 1000 * t_train,
                }
            )
            print(json.dumps(results[-1]), flush=True)
    return results


def theirs(cfg, shapes, runs):
    import torch
    import transformers

    results = []
    sync = lambda x: torch.cuda.synchronize()
    for impl in ("sdpa", "eager"):
        hf_cfg = transformers.ElectraConfig(**cfg)
        model = transformers.ElectraModel._from_config(hf_cfg, attn_implementation=impl)
        model = model.to(device="cuda", dtype=torch.float16).eval()
        classifier = transformers.ElectraForSequenceClassification._from_config(hf_cfg, attn_implementation=impl).cuda()
        optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-5)
        scaler = torch.amp.GradScaler()
        for batch, seq in shapes:
            ids = torch.randint(1000, cfg["vocab_size"], (batch, seq), device="cuda")
            mask = torch.ones_like(ids)
            labels = torch.zeros((batch,), dtype=torch.long, device="cuda")

            def infer():
                with torch.inference_mode():
                    return model(input_ids=ids, attention_mask=mask).last_hidden_state

            def step():
                optimizer.zero_grad()
                with torch.autocast("cuda", dtype=torch.float16):
                    loss = classifier(input_ids=ids, attention_mask=mask, labels=labels).loss
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()

            results.append(
                {
                    "impl": f"transformers {transformers.__version__} PyTorch ({impl})",
                    "batch": batch,
                    "seq": seq,
                    "infer_ms": 1000 * median_time(infer, runs, sync),
                    "train_ms": 1000 * median_time(step, max(5, runs // 4), sync),
                }
            )
            print(json.dumps(results[-1]), flush=True)
    return results


def gpu_problem():
    """Why this machine cannot run the GPU benchmark, or None."""
    if os.environ.get("KERAS_BACKEND") != "jax":
        return "set KERAS_BACKEND=jax (the GPU benchmark runs Keras on JAX)"
    try:
        import jax
        import torch
    except ImportError as e:
        return f"{e.name} is not installed"
    if not any(d.platform == "gpu" for d in jax.devices()):
        return f"JAX sees no GPU (devices: {jax.devices()})"
    if not torch.cuda.is_available():
        return "PyTorch sees no CUDA GPU"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="electra-base-discriminator")
    parser.add_argument("--batches", default="2,4,8,16")
    parser.add_argument("--seqs", default="32,64,128,256")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default="gpu_benchmark.json")
    parser.add_argument("--only", choices=("ours", "theirs"))
    parser.add_argument("--policy", default="mixed_float16", help="our Keras dtype policy")
    parser.add_argument("--allow-cpu", action="store_true", help="run even without a GPU (for a dry run only)")
    args = parser.parse_args()
    from tf_electra.presets import PRESETS

    if args.preset.removeprefix("google/") not in PRESETS:
        parser.error(f"unknown --preset {args.preset!r}; one of {sorted(PRESETS)}")
    try:
        shapes = [(int(b), int(s)) for b in args.batches.split(",") for s in args.seqs.split(",")]
    except ValueError:
        parser.error(f"--batches and --seqs take comma-separated integers, got {args.batches!r} and {args.seqs!r}")
    if args.runs < 1 or min(min(s) for s in shapes) < 1:
        parser.error("--runs, --batches and --seqs must be at least 1")
    problem = gpu_problem()
    if problem and not args.allow_cpu:
        print(f"error: {problem}; this benchmark measures GPUs (pass --allow-cpu for a dry run)", file=sys.stderr)
        return 2
    from tf_electra.presets import preset_config_dict

    cfg = dict(preset_config_dict(args.preset), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    rows = []
    if args.only != "theirs":
        rows += ours(cfg, shapes, args.runs, args.policy)
    if args.only != "ours":
        rows += theirs(cfg, shapes, args.runs)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)
    print("| implementation | batch | seq | inference ms/batch | training ms/step |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['impl']} | {r['batch']} | {r['seq']} | {r['infer_ms']:.2f} | {r['train_ms']:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
