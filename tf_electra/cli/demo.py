"""`tf-electra demo`: the whole pipeline on an embedded synthetic task, in a few minutes on a CPU.

1. Writes a small randomly initialised checkpoint in Google's original layout
   (generator + discriminator + Adam slots, as run_pretraining.py saves it) and a vocab.txt.
2. `tf-electra import-google` -> a Hugging Face-style model folder.
3. Generates the data: "word-order sentiment", short reviews whose label depends on
   word order ("the film was good , not bad" is positive, "the film was bad , not
   good" negative: the same words), so a bag-of-words model is at chance.
4. `tf-electra finetune` with the paper's recipe (ELECTRA-Small preset; a higher
   learning rate and no layer-wise decay, because this checkpoint was never pre-trained).
5. `tf-electra predict` on a held-out test set, and its accuracy.
6. `tf-electra export` for TF Serving.
7. A fresh Python process that never imports tf_electra loads the export the way
   TF Serving's model server does (TF1 session loader, signature tensor names) and
   answers a REST-style JSON request.
"""

import csv
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

from tf_electra.cli.demo_data import word_order_sentiment
from tf_electra.cli.demo_data import write_vocab
from tf_electra.utils.environment import without_our_choice
from tf_electra.utils.files import remove_stale_temporaries
from tf_electra.utils.guards import refuse_replacing

VOCAB_SIZE = 300
CHECKPOINT_HPARAMS = {
    "model_size": "small",
    "embedding_size": 64,
    "model_hparam_overrides": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 256,
    },
    "generator_hidden_size": 0.5,
    "vocab_size": VOCAB_SIZE,
}


def write_random_checkpoint(folder, step=1000):
    """A never-trained generator + discriminator saved as run_pretraining.py saves them; returns the variable count."""
    import keras

    from tf_electra.io.google_writer import save_checkpoint
    from tf_electra.pretraining.run import build_optimizer
    from tf_electra.pretraining.run import build_pretrainer
    from tf_electra.pretraining_config import PretrainingConfig
    from tf_electra.tokenization.tokenizer import ElectraTokenizer

    keras.utils.set_random_seed(0)  # the same starting point every time
    config = PretrainingConfig.from_hparams(CHECKPOINT_HPARAMS, max_seq_length=128)
    model = build_pretrainer(config, ElectraTokenizer(os.path.join(folder, "vocab.txt")), seed=0)
    optimizer = build_optimizer(config)
    optimizer.build(model.trainable_variables)
    variables = model.google_variables()
    save_checkpoint(folder, step, variables, optimizer)
    return len(variables)


def _stage(number, text):
    print(f"\n=== [{number}/7] {text}", flush=True)


def _run(*args):
    """Runs `tf-electra ARGS` in a subprocess, showing its output."""
    command = [sys.executable, "-m", "tf_electra.cli", *args]
    print("$ tf-electra " + shlex.join(args), flush=True)
    result = subprocess.run(command)
    if result.returncode != 0:
        raise SystemExit(f"tf-electra {args[0]} failed with exit code {result.returncode}")


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(rows)


WRITES = (  # everything the demo writes into its work folder
    "google_checkpoint",
    "imported",
    "train.csv",
    "validation.csv",
    "test.csv",
    "finetuned",
    "test_predictions.jsonl",
    "serving",
)


def serving_client_env():
    """The serving client's environment: as a TF Serving process's, without what importing tf_electra set here."""
    return dict(without_our_choice(os.environ), TF_CPP_MIN_LOG_LEVEL="3")


def run_demo(workdir="tf-electra-demo", keep=False):
    start = time.time()
    refuse_replacing(workdir)  # never the current folder or one above it
    workdir = os.path.abspath(workdir)
    if os.path.exists(workdir) and not keep:
        if not os.path.isdir(workdir):
            raise FileExistsError(f"{workdir} is a file; choose another --workdir")
        for name in WRITES:  # a killed demo's .NAME.tmp-PID-* entries (only its own names)
            remove_stale_temporaries(workdir, name)
        foreign = sorted(set(os.listdir(workdir)) - set(WRITES))
        if foreign:  # only what an earlier demo wrote is replaced
            raise FileExistsError(
                f"{workdir} holds {', '.join(foreign[:3])}, which the demo does not write; choose another --workdir"
            )
        for name in os.listdir(workdir):
            path = os.path.join(workdir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
    os.makedirs(workdir, exist_ok=True)
    checkpoint = os.path.join(workdir, "google_checkpoint")

    _stage(1, "write a small random checkpoint in Google's original layout")
    write_vocab(os.path.join(checkpoint, "vocab.txt"), VOCAB_SIZE)
    count = write_random_checkpoint(checkpoint)
    print(f"wrote {count} model variables (+ Adam slots, global_step) and vocab.txt to {checkpoint}")

    _stage(2, "import the discriminator")
    imported = os.path.join(workdir, "imported")
    _run(
        "import-google",
        checkpoint,
        "--model",
        "discriminator",
        "--output",
        imported,
        "--hparams",
        json.dumps(CHECKPOINT_HPARAMS),
        "--overwrite",
    )

    _stage(3, "generate the word-order sentiment data")
    data = {
        name: word_order_sentiment(n, seed)
        for name, n, seed in (("train", 3000, 1), ("validation", 500, 2), ("test", 500, 3))
    }
    for name, rows in data.items():
        _write_csv(os.path.join(workdir, f"{name}.csv"), rows)
    print(
        f"train/validation/test: {', '.join(str(len(r)) for r in data.values())} examples, e.g. "
        f"{data['train'][0]['text']!r} -> {data['train'][0]['label']}"
    )

    _stage(
        4,
        "fine-tune (the paper's recipe: AdamW, warm-up + linear decay, clipping; no layer-wise decay and a "
        "higher learning rate, since this model was never pre-trained)",
    )
    finetuned = os.path.join(workdir, "finetuned")
    _run(
        "finetune",
        imported,
        "--task",
        "classification",
        "--train",
        os.path.join(workdir, "train.csv"),
        "--validation",
        os.path.join(workdir, "validation.csv"),
        "--output",
        finetuned,
        "--preset",
        "small",
        "--learning-rate",
        "1e-3",
        "--epochs",
        "5",
        "--layer-decay",
        "1.0",
        "--overwrite",
    )

    _stage(5, "evaluate on the held-out test set")
    predictions = os.path.join(workdir, "test_predictions.jsonl")
    _run("predict", finetuned, "--input", os.path.join(workdir, "test.csv"), "--output", predictions, "--overwrite")
    with open(predictions, encoding="utf-8") as f:
        predicted = [json.loads(line)["label"] for line in f]
    accuracy = sum(p == r["label"] for p, r in zip(predicted, data["test"])) / len(predicted)
    print(f"test accuracy: {accuracy:.3f} on {len(predicted)} examples (chance: 0.5; bag of words: 0.5)")

    _stage(6, "export for TF Serving")
    serving = os.path.join(workdir, "serving")
    _run("export", finetuned, "--output", serving, "--warmup")
    version = os.path.join(serving, sorted(os.listdir(serving), key=lambda n: int(n) if n.isdigit() else -1)[-1])

    _stage(7, "load the export in a fresh process, as TF Serving does, and answer a request")
    from tf_electra.tokenization.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer.from_pretrained(os.path.join(finetuned, "best"))
    texts = ["the movie was not boring but brilliant", "the movie was not brilliant but boring"]
    encoded = tokenizer(texts, padding=True)
    body = {
        "instances": [
            {k: encoded[k][i] for k in ("input_ids", "attention_mask", "token_type_ids")} for i in range(len(texts))
        ]
    }
    print("POST /v1/models/electra:predict  " + json.dumps(body)[:160] + " ...")
    result = subprocess.run(
        [sys.executable, os.path.join(os.path.dirname(__file__), "serving_client.py"), version, json.dumps(body)],
        capture_output=True,
        text=True,
        env=serving_client_env(),
    )
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit("the serving client failed")
    response = json.loads(result.stdout[result.stdout.index("{") :])
    for text, prediction in zip(texts, response["predictions"]):
        print(f"{text!r}: {prediction['label']} (probabilities {prediction['probabilities']})")
    print(f"\ndemo finished in {time.time() - start:.0f} s; everything is in {workdir}")
    return 0
