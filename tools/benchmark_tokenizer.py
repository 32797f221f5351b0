"""Batch-encoding throughput of ElectraTokenizer against transformers' ElectraTokenizerFast.

Both tokenizers use the same vocab file and the same texts; each is timed in
its own process (median of --runs), encoding the whole list in one call with
padding and truncation to 128, as a training input pipeline does.

    python tools/benchmark_tokenizer.py [--texts 20000] [--vocab path/to/vocab.txt]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

WORDS = (
    "the electra model replaces tokens with plausible alternatives sampled from a small generator network and "
    "trains a discriminator to spot them crème brûlée naïve café 東京 大学 résumé ﬁne straße über"
).split()


def make_texts(count, seed=0):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, rng.integers(8, 60))) for _ in range(count)]


def make_vocab(path):
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted({w.lower() for w in WORDS})
    chars = sorted({c for w in WORDS for c in w.lower()})
    tokens += chars + ["##" + c for c in chars]
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in dict.fromkeys(tokens)))


def worker(which, vocab, count, runs):
    texts = make_texts(count)
    if which == "ours":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from tf_electra.tokenization.tokenizer import ElectraTokenizer

        tok = ElectraTokenizer(vocab)
    else:
        os.environ["USE_TF"] = "0"
        import transformers

        tok = transformers.ElectraTokenizerFast(vocab_file=vocab, model_max_length=512)
    tok(texts[:100], padding=True, truncation=True, max_length=128)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        tok(texts, padding=True, truncation=True, max_length=128, return_tensors="np")
        times.append(time.perf_counter() - start)
    return {"texts_per_s": count / float(np.median(times))}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vocab")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.vocab, args.texts, args.runs)))
        return
    if args.texts < 1 or args.runs < 1:
        parser.error(f"--texts and --runs must be at least 1, got {args.texts} and {args.runs}")
    if args.vocab is not None and not os.path.isfile(args.vocab):
        parser.error(f"--vocab {args.vocab} is not a file")
    vocab = args.vocab
    if vocab is None:
        vocab = os.path.join(tempfile.mkdtemp(), "vocab.txt")
        make_vocab(vocab)
    results = {}
    for which in ("transformers", "ours"):
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            which,
            "--vocab",
            vocab,
            "--texts",
            str(args.texts),
            "--runs",
            str(args.runs),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if not lines:  # a failed side is no result: one line and a non-zero exit, not half a table
            error = (out.stderr.strip().splitlines() or ["no output"])[-1]
            raise SystemExit(f"benchmark_tokenizer.py: error: the {which} worker failed: {error}")
        results[which] = json.loads(lines[-1])["texts_per_s"]
    print(f"| tokenizer | texts/s ({args.texts} texts, padding+truncation to 128) | ratio |")
    print("|---|---|---|")
    base = results.get("transformers")
    for which, rate in results.items():
        ratio = f"{rate / base:.2f}x" if base else "—"
        name = "transformers ElectraTokenizerFast" if which == "transformers" else "tf_electra ElectraTokenizer"
        print(f"| {name} | {rate:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
