"""Fine-tuning and prediction for the five tasks: the code behind `tf-electra finetune` and `predict`.

The output folder is always consistent: `best/` (a save_pretrained folder) is
replaced atomically whenever the validation metric improves, `metrics.json` is
rewritten atomically after every epoch, and `logs/` holds TensorBoard events.
An interrupted or crashed run leaves the last complete state.
"""

import json
import os

import numpy as np

from tf_electra.errors import ElectraError
from tf_electra.training import metrics as task_metrics
from tf_electra.training.optimization import create_optimizer
from tf_electra.training.optimization import recipe
from tf_electra.training.squad import encode_question_answering
from tf_electra.training.squad import postprocess_predictions
from tf_electra.training.tasks import TASKS
from tf_electra.training.tasks import encode_classification
from tf_electra.training.tasks import encode_multiple_choice
from tf_electra.training.tasks import encode_token_classification
from tf_electra.utils.files import atomic_write_text

HEADS = {
    "classification": "TFElectraForSequenceClassification",
    "regression": "TFElectraForSequenceClassification",
    "token-classification": "TFElectraForTokenClassification",
    "question-answering": "TFElectraForQuestionAnswering",
    "multiple-choice": "TFElectraForMultipleChoice",
}
MAIN_METRIC = {
    "classification": "accuracy",
    "regression": "pearson",
    "token-classification": "entity_f1",
    "question-answering": "f1",
    "multiple-choice": "accuracy",
}


def encode(task, source, tokenizer, max_length, label2id=None, with_labels=True, columns=None):
    """Task data for a file or list (see tasks.py / squad.py for the row formats)."""
    columns = dict(columns or {})
    if task in ("classification", "regression"):
        return encode_classification(
            source, tokenizer, max_length=max_length, label2id=label2id, regression=task == "regression",
            with_labels=with_labels, **columns,
        )
    if task == "token-classification":
        return encode_token_classification(source, tokenizer, label2id=label2id, max_length=max_length,
                                           with_labels=with_labels, **columns)
    if task == "question-answering":
        return encode_question_answering(source, tokenizer, max_length=max_length, with_labels=with_labels, **columns)
    if task == "multiple-choice":
        return encode_multiple_choice(source, tokenizer, max_length=max_length, with_labels=with_labels, **columns)
    raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")


def predict_arrays(model, data, batch_size=32, pad_token_id=0):
    """Model outputs for every example, in input order (batches padded, then un-padded per example)."""
    outputs = {}
    for features, _ in data.dataset(batch_size, shuffle=False, pad_token_id=pad_token_id):
        result = model(features, training=False)
        for key in ("logits", "start_logits", "end_logits"):
            if key in result:
                outputs.setdefault(key, []).extend(list(np.asarray(result[key])))
    return outputs


def evaluate(model, data, batch_size=32, pad_token_id=0):
    """Task metrics (see metrics.py) of a model on encoded, labelled data."""
    outputs = predict_arrays(model, data, batch_size, pad_token_id)
    task = data.task
    if task == "question-answering":
        answers, _ = postprocess_predictions(
            data, outputs["start_logits"], outputs["end_logits"],
            version_2_with_negative=any(not e["answers"] for e in data.extra["examples"]),
        )
        return task_metrics.squad_metrics(data.extra["examples"], answers)
    logits = outputs["logits"]
    if task == "regression":
        return task_metrics.regression_metrics(data.labels, [float(np.ravel(x)[0]) for x in logits])
    if task == "token-classification":
        id2label = {i: name for name, i in data.label2id.items()}
        true, predicted = [], []
        for labels, row_logits in zip(data.labels, logits):
            keep = [i for i, label in enumerate(labels) if label >= 0]
            true.append([id2label[labels[i]] for i in keep])
            predicted.append([id2label[int(np.argmax(row_logits[i]))] for i in keep])
        return task_metrics.token_classification_metrics(true, predicted)
    predictions = [int(np.argmax(x)) for x in logits]
    if task == "multiple-choice":
        return {"accuracy": float(np.mean(np.asarray(predictions) == np.asarray(data.labels)))}
    return task_metrics.classification_metrics(data.labels, predictions, num_labels=len(data.label2id))


def make_strategy(name):
    """tf.distribute strategy by name: default, mirrored (all local devices) or multi-worker (TF_CONFIG)."""
    import tensorflow as tf

    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose default, mirrored or multi-worker")


def _is_chief():
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    return task.get("type", "chief") == "chief" or (task.get("type") == "worker" and task.get("index", 0) == 0
                                                       and "chief" not in config.get("cluster", {}))


class FinetuneError(ElectraError, ValueError):
    """A fine-tuning run cannot start (bad output folder, unknown task, ...)."""


def finetune(
    model_dir,
    task,
    train,
    output,
    validation=None,
    preset=None,
    learning_rate=None,
    epochs=None,
    batch_size=None,
    layer_decay=None,
    warmup_ratio=None,
    weight_decay=None,
    max_length=128,
    mixed_precision=None,
    jit_compile=False,
    strategy="default",
    columns=None,
    seed=0,
    overwrite=False,
    verbose=1,
    dataset=None,
):
    """Fine-tunes a model folder on a task with the paper's recipe; returns the metrics dict.

    Args:
        model_dir: A save_pretrained / import-google folder (config, weights, tokenizer).
        task: One of TASKS.
        train / validation: Data files (or lists) in the task's format.
        output: Folder to create: best/ (model + tokenizer), metrics.json, logs/.
        preset: "small", "base" or "large" hyperparameters (default: from the model width).
        learning_rate, epochs, batch_size, layer_decay, warmup_ratio, weight_decay: override the preset.
        mixed_precision: None, "bfloat16" or "float16".
        jit_compile: Compile train steps with XLA.
        strategy: "default", "mirrored" or "multi-worker".
        columns: Column names for the task's encoder (e.g. {"text_column": "sentence"}).
        dataset: A GLUE/SQuAD name ("rte", "sts", "squad", ...) whose epoch count the paper's
            recipe sets (10 for RTE and STS, 2 for SQuAD, else 3); question answering implies "squad".
    """
    import keras

    from tf_electra import MODEL_CLASSES
    from tf_electra.tokenizer import ElectraTokenizer

    if task not in TASKS:
        raise FinetuneError(f"unknown task {task!r}; choose one of {TASKS}")
    output = os.path.abspath(output)
    chief = _is_chief()
    if chief and os.path.isdir(output) and os.listdir(output):
        if not overwrite:
            raise FinetuneError(f"{output} exists and is not empty; choose another --output or pass --overwrite")
        # Remove the artifacts of the earlier run, so logs and metrics of two runs never mix.
        import shutil

        for name in ("best", "logs", "metrics.json"):
            path = os.path.join(output, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
    keras.utils.set_random_seed(seed)
    from tf_electra.export import model_folder

    model_dir = model_folder(model_dir)  # a finetune output folder continues from its best/
    tokenizer = ElectraTokenizer.from_pretrained(model_dir)
    train_data = encode(task, train, tokenizer, max_length, columns=columns)
    val_data = None
    if validation is not None:
        val_data = encode(task, validation, tokenizer, max_length, label2id=train_data.label2id, columns=columns)

    head = MODEL_CLASSES[HEADS[task]]
    label_config = {}
    if task == "regression":
        label_config = {"num_labels": 1, "problem_type": "regression"}
    elif train_data.label2id is not None:
        label_config = {"id2label": {i: n for n, i in train_data.label2id.items()}}
    dtype = {None: None, "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}[mixed_precision]
    distribution = make_strategy(strategy)
    with distribution.scope():
        model = _load_for_task(head, model_dir, dtype, label_config)
        size = preset or {256: "small", 768: "base", 1024: "large"}.get(model.config.hidden_size, "base")
        benchmark = dataset or ("squad" if task == "question-answering" else None)
        hp = recipe(size, benchmark, learning_rate=learning_rate, epochs=epochs, batch_size=batch_size,
                    layer_decay=layer_decay, warmup_ratio=warmup_ratio, weight_decay=weight_decay)
        steps_per_epoch = int(np.ceil(len(train_data) / hp["batch_size"]))
        optimizer = create_optimizer(
            model, steps_per_epoch * hp["epochs"], model_size=size, learning_rate=hp["learning_rate"],
            layer_decay=hp["layer_decay"], warmup_ratio=hp["warmup_ratio"], weight_decay=hp["weight_decay"],
        )
        model.compile(optimizer=optimizer, jit_compile=jit_compile)
    model.config.finetuning_task = task
    model.config.tf_electra_columns = dict(columns or {})

    workdir = output if chief else os.path.join(output, f".worker-{os.getpid()}")
    os.makedirs(workdir, exist_ok=True)
    history = {"task": task, "dataset": benchmark, "hyperparameters": hp, "train_examples": len(train_data), "epochs": []}
    main = MAIN_METRIC[task]
    best = {"value": None}

    class BestCheckpoint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            entry = {"epoch": epoch + 1, "loss": float((logs or {}).get("loss", float("nan")))}
            if val_data is not None:
                entry["validation"] = evaluate(model, val_data, hp["batch_size"], tokenizer.pad_token_id)
            score = entry["validation"][main] if val_data is not None else -entry["loss"]
            history["epochs"].append(entry)
            improved = best["value"] is None or (np.isfinite(score) and score > best["value"])
            if improved:
                best["value"] = score
                history["best_epoch"] = epoch + 1
                history["best"] = entry.get("validation", {"loss": entry["loss"]})
                if chief:
                    model.save_pretrained(os.path.join(workdir, "best"), tokenizer=tokenizer, overwrite=True)
            if chief:
                atomic_write_text(os.path.join(workdir, "metrics.json"), json.dumps(history, indent=2) + "\n")
            if verbose:
                shown = entry.get("validation", {"loss": entry["loss"]})
                print(f"epoch {epoch + 1}: " + ", ".join(f"{k} {v:.4f}" for k, v in shown.items())
                      + (" (best so far: saved best/)" if improved and chief else ""))

    callbacks = [BestCheckpoint()]
    if chief:
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(workdir, "logs")))
    train_ds = train_data.dataset(hp["batch_size"], shuffle=True, seed=seed, pad_token_id=tokenizer.pad_token_id)
    model.fit(train_ds, epochs=hp["epochs"], callbacks=callbacks, verbose=verbose, shuffle=False)
    if not chief:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return history


def _load_for_task(head, model_dir, dtype, label_config):
    import warnings

    with warnings.catch_warnings():
        # A pre-trained folder has no task head yet: "newly initialized" is expected here.
        warnings.filterwarnings("ignore", message="Some weights of")
        return head.from_pretrained(model_dir, dtype=dtype, **label_config)


def predict_file(model_dir, source, output=None, batch_size=32, max_length=None):
    """Predictions with label names for a data file, as JSON Lines (written atomically when `output` is given).

    Returns the list of prediction dicts.
    """
    from tf_electra.export import load_model_dir
    from tf_electra.export import model_folder
    from tf_electra.tokenizer import ElectraTokenizer

    model = load_model_dir(model_dir)
    directory = model_folder(model_dir)
    tokenizer = ElectraTokenizer.from_pretrained(directory)
    config = model.config
    task = getattr(config, "finetuning_task", None) or _task_of(model)
    max_length = max_length or (384 if task == "question-answering" else 128)
    columns = getattr(config, "tf_electra_columns", None) or {}
    data = encode(task, source, tokenizer, max_length, with_labels=False, columns=columns)
    outputs = predict_arrays(model, data, batch_size, tokenizer.pad_token_id)
    records = []
    if task == "question-answering":
        answers, nbest = postprocess_predictions(data, outputs["start_logits"], outputs["end_logits"])
        records = [{"id": e["id"], "answer": answers[e["id"]],
                    "score": nbest[e["id"]][0]["score"] if nbest[e["id"]] else None} for e in data.extra["examples"]]
    elif task == "regression":
        records = [{"prediction": float(np.ravel(x)[0])} for x in outputs["logits"]]
    elif task == "token-classification":
        for words, word_ids, row_logits in zip(data.extra["words"], data.extra["word_ids"], outputs["logits"]):
            tags, previous = [None] * len(words), None
            for position, word in enumerate(word_ids):
                if word is not None and word != previous:
                    tags[word] = config.id2label[int(np.argmax(row_logits[position]))]
                previous = word
            records.append({"tokens": words, "tags": tags})
    else:
        for row_logits in outputs["logits"]:
            probabilities = _softmax(np.asarray(row_logits))
            best = int(np.argmax(probabilities))
            record = {"probabilities": [float(p) for p in probabilities]}
            record["label"] = best if task == "multiple-choice" else config.id2label[best]
            records.append(record)
    if output is not None:
        atomic_write_text(output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return records


def _task_of(model):
    name = type(model).__name__
    for task, head in HEADS.items():
        if head == name:
            if task in ("classification", "regression"):
                return "regression" if model.config.num_labels == 1 else "classification"
            return task
    raise FinetuneError(f"{name} has no prediction task; use a fine-tuned classification, tagging, QA or "
                        "multiple-choice model")


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()
