"""The fine-tuning grid of `tools/electra_vs_mlm.py`: encoder x labelled-set size x learning rate x seed.

Each finished fine-tuning run is recorded in a JSON file beside its output folder, so a stopped call of the tool
continues where it stopped (records carry no code version: after changing tf_electra, use a fresh workdir). Each
encoder's row uses the rate with its best mean dev accuracy, per set size.
"""

import argparse
import json
import math
import os
import random

EPOCHS = 3  # the recipe's epochs on the whole training split
MAX_EPOCHS = 20  # a small labelled set gets the whole split's number of steps, up to this many epochs


def recorded(path, make):
    """The JSON at `path` if an earlier call of the tool finished this piece, else make()'s, written atomically."""
    from tf_electra.utils.files import atomic_write_text

    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise SystemExit(f"{path}: not a readable record ({e}); delete it to run that piece again") from None
    value = make()
    atomic_write_text(path, json.dumps(value, indent=2, default=str))
    return value


def learning_rates(text):
    """`--learning-rates`: comma-separated positive rates, e.g. "3e-4,1e-3"."""
    try:
        rates = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not all(0 < rate < 1 for rate in rates):
        raise argparse.ArgumentTypeError(f"learning rates must lie in (0, 1), got {text!r}")
    return sorted(set(rates))


def minutes(text):
    """`--minutes`: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"minutes must be a positive, finite number, got {text!r}")
    return value


def train_sizes(text):
    """`--train-sizes`: "all" and/or labelled-set sizes of at least 2, e.g. "all,500" -> [None, 500]."""
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if part == "all":
            sizes.append(None)
            continue
        try:
            size = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: {part!r} is neither 'all' nor a whole number") from None
        if size < 2:
            raise argparse.ArgumentTypeError(f"{text!r}: a labelled set needs at least 2 examples, got {size}")
        sizes.append(size)
    return sorted(set(sizes), key=lambda s: -math.inf if s is None else s)


def labelled_subset(train, size):
    """`size` rows of `train` with its label shares (stratified; the same rows every call), or all of it."""
    if size is None:
        return train
    if size >= len(train):
        raise SystemExit(f"--train-sizes: {size} is not fewer than the {len(train)} training examples; say 'all'")
    rng = random.Random(0)
    by_label = {}
    for row in train:
        by_label.setdefault(row["label"], []).append(row)
    chosen = []
    for label in sorted(by_label):
        rows = by_label[label]
        chosen.extend(rng.sample(rows, size * len(rows) // len(train)))
    taken = {id(row) for row in chosen}
    left = [row for row in train if id(row) not in taken]
    chosen.extend(rng.sample(left, size - len(chosen)))
    rng.shuffle(chosen)
    return chosen


def epochs_for(size, full):
    """The recipe's epochs on the whole split; a subset gets as many steps as those, within MAX_EPOCHS."""
    if size is None or size >= full:
        return EPOCHS
    return min(MAX_EPOCHS, math.ceil(EPOCHS * full / size))


def run_name(name, size, lr, seed):
    size_part = "" if size is None else f"-n{size}"
    return f"finetune-{name.replace(' ', '-')}{size_part}-lr{lr:g}-{seed}"


def reinit_layers(text):
    """`--reinit-layers`: comma-separated whole numbers, e.g. "0,1" (0: the encoder as pre-trained)."""
    from tf_electra.cli.arguments import count

    return sorted({count(part) for part in text.split(",")})


def with_reinit(encoders, labels, counts):
    """The pre-trained encoders once per count of top layers re-initialised before fine-tuning (0: as they are):
    ({name: folder}, {name: count}); `labels` gains each new row's label."""
    rows, reinit = {}, {}
    for name, folder in encoders.items():
        for n in counts:
            row = name if n == 0 else f"{name} reinit{n}"
            rows[row], reinit[row] = folder, n
            if n:
                labels[row] = f"{labels[name]}, top {n} layer{'s' if n > 1 else ''} re-initialised"
    return rows, reinit


def finetune_all(encoders, splits, workdir, seeds, rates, sizes, reinit=None):
    """{size: {encoder: {lr: [(dev accuracy, test accuracy) per seed]}}}; each finished run is recorded once done.

    `reinit` maps an encoder's name to the number of its top layers drawn afresh before fine-tuning (default 0).
    """
    reinit = reinit or {}
    import tf_electra
    import tf_electra.training.predict

    train, dev, test = splits

    def finetune_one(folder, rows, out, lr, seed, layers):
        history = tf_electra.finetune(
            folder,
            "classification",
            rows,
            out,
            validation=dev,
            preset="small",
            epochs=epochs_for(len(rows), len(train)),
            learning_rate=lr,
            layer_decay=0.8,
            max_length=64,
            seed=seed,
            overwrite=True,
            verbose=0,
            reinit_layers=layers,
        )
        scores = tf_electra.training.predict.evaluate_file(out, test, max_length=64)
        return {"dev": history["best"]["accuracy"], "test": scores["accuracy"], "epochs": len(history["epochs"])}

    results = {}
    for size in sizes:
        rows = labelled_subset(train, size)
        for name, folder in encoders.items():
            for lr in rates:
                for seed in seeds:
                    out = os.path.join(workdir, run_name(name, size, lr, seed))
                    layers = reinit.get(name, 0)
                    run = recorded(out + ".json", lambda: finetune_one(folder, rows, out, lr, seed, layers))
                    by_rate = results.setdefault(size, {}).setdefault(name, {})
                    by_rate.setdefault(lr, []).append((run["dev"], run["test"]))
                    print(
                        f"{name}, {len(rows)} examples, lr {lr:g}, seed {seed}: dev {run['dev']:.4f} "
                        f"test {run['test']:.4f}",
                        flush=True,
                    )
    return results


def choose(runs):
    """(learning rate, its test accuracies) with the best mean dev accuracy; a tie goes to the smaller rate.

    Each encoder gets its own rate from the same grid, chosen on dev only: a rate that suits pre-trained
    weights need not suit a random initialisation (Adam's steps have the same size for both, but pre-training
    grows the weights), and one fixed rate would favour whichever start it happens to suit.
    """
    mean_dev = lambda lr: sum(dev for dev, _ in runs[lr]) / len(runs[lr])
    best = max(sorted(runs), key=mean_dev)  # max keeps the first of equals: the smallest rate
    return best, [test for _, test in runs[best]]
