"""`tf-electra finetune` / `predict` and the library's finetune(): every task, outputs, crash safety."""

import json
import os

import numpy as np
import pytest

import tf_electra
from tf_electra.training.finetune import FinetuneConfig
from tf_electra.training.finetune import FinetuneError
from tf_electra.training.finetune import finetune
from tf_electra.training.predict import predict_file

from conftest import run_cli
from fixtures import word_order_sentiment
from fixtures import write_vocab

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny "pre-trained" folder: config, weights and tokenizer, as import-google writes it."""
    folder = tmp_path_factory.mktemp("pretrained") / "model"
    vocab = folder.parent / "vocab.txt"
    write_vocab(str(vocab), 300)
    tokenizer = tf_electra.ElectraTokenizer(str(vocab))
    config = tf_electra.ElectraConfig(
        vocab_size=300,
        embedding_size=32,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    tf_electra.TFElectraForPreTraining(config).save_pretrained(folder, tokenizer=tokenizer)
    return str(folder)


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_cli_finetune_predict_export(model_dir, tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", word_order_sentiment(400, seed=1))
    val = write_jsonl(tmp_path / "val.jsonl", word_order_sentiment(100, seed=2))
    out = tmp_path / "run"
    result = run_cli(
        "finetune",
        model_dir,
        "--task",
        "classification",
        "--train",
        train,
        "--validation",
        val,
        "--output",
        str(out),
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--learning-rate",
        "1e-3",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best epoch" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert set(metrics["best"]) == {"accuracy", "f1", "matthews_correlation"}
    assert metrics["hyperparameters"]["layer_decay"] == 0.8 and metrics["hyperparameters"]["warmup_ratio"] == 0.1
    assert any(name.startswith("events.out.tfevents") for _, _, files in os.walk(out / "logs") for name in files)
    model = tf_electra.TFElectraForSequenceClassification.from_pretrained(str(out / "best"))
    assert model.config.id2label == {0: "negative", 1: "positive"}
    # predict writes JSON Lines with label names
    result = run_cli("predict", str(out), "--input", val, "--output", str(tmp_path / "pred.jsonl"))
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert len(records) == 100 and {r["label"] for r in records} <= {"negative", "positive"}
    assert all(abs(sum(r["probabilities"]) - 1) < 1e-5 for r in records)
    # the output folder exports as is
    result = run_cli("export", str(out), "--output", str(tmp_path / "serving"))
    assert result.returncode == 0, result.stderr[-3000:]
    # a non-empty output is refused
    result = run_cli("finetune", model_dir, "--task", "classification", "--train", train, "--output", str(out))
    assert result.returncode == 1 and "not empty" in result.stderr


TOKEN_ROWS = [
    {"tokens": ["the", "film", "was", "good"], "tags": ["O", "B-OBJ", "O", "B-ADJ"]},
    {"tokens": ["this", "show", "was", "dull"], "tags": ["O", "B-OBJ", "O", "B-ADJ"]},
] * 20
QA = {
    "data": [
        {
            "paragraphs": [
                {
                    "context": "the film was good , not bad . the music was fun .",
                    "qas": [
                        {
                            "id": f"q{i}",
                            "question": "how was the music ?",
                            "answers": [{"text": "fun", "answer_start": 44}],
                        }
                        for i in range(16)
                    ],
                }
            ]
        }
    ]
}
CHOICE_ROWS = [
    {"context": "the film was good", "choices": ["it was good", "it was bad"], "label": 0},
    {"context": "the film was bad", "choices": ["it was good", "it was bad"], "label": 1},
] * 16


@pytest.mark.parametrize(
    "task,train,main",
    [
        (
            "regression",
            [{"text": r["text"], "label": float(r["label"] == "positive")} for r in word_order_sentiment(64)],
            "pearson",
        ),
        ("token-classification", TOKEN_ROWS, "entity_f1"),
        ("question-answering", QA, "f1"),
        ("multiple-choice", CHOICE_ROWS, "accuracy"),
    ],
)
def test_every_task_trains_evaluates_and_predicts(model_dir, tmp_path, task, train, main):
    history = finetune(
        model_dir,
        task,
        train,
        str(tmp_path / "out"),
        validation=train,
        epochs=2,
        batch_size=8,
        learning_rate=1e-3,
        max_length=64,
        verbose=0,
    )
    assert main in history["best"] and np.isfinite(history["best"][main])
    assert history["hyperparameters"]["epochs"] == 2  # explicit epochs win over the preset
    best = tmp_path / "out" / "best"
    config = json.loads((best / "config.json").read_text())
    assert config["finetuning_task"] == task
    if task == "token-classification":
        assert sorted(config["id2label"].values()) == ["B-ADJ", "B-OBJ", "O"]
    records = predict_file(str(tmp_path / "out"), train, max_length=64)
    if task == "question-answering":
        assert {r["id"] for r in records} == {f"q{i}" for i in range(16)}
    elif task == "token-classification":
        assert records[0]["tokens"] == TOKEN_ROWS[0]["tokens"] and len(records[0]["tags"]) == 4
        assert set(records[0]["tags"]) <= {"B-ADJ", "B-OBJ", "O"}
    elif task == "regression":
        assert isinstance(records[0]["prediction"], float)
    else:
        assert records[0]["label"] in (0, 1)


def test_the_papers_epochs_per_dataset(model_dir, tmp_path):
    rows = word_order_sentiment(16)
    history = finetune(
        model_dir, "classification", rows, str(tmp_path / "rte"), dataset="rte", batch_size=16, verbose=0
    )
    assert history["hyperparameters"]["epochs"] == 10 and len(history["epochs"]) == 10
    qa = finetune(model_dir, "question-answering", QA, str(tmp_path / "squad"), batch_size=16, max_length=64, verbose=0)
    assert qa["dataset"] == "squad" and qa["hyperparameters"]["epochs"] == 2 and len(qa["epochs"]) == 2


def test_an_interrupted_run_leaves_a_consistent_folder(model_dir, tmp_path, monkeypatch):
    import keras

    calls = {"n": 0}
    original = keras.Model.fit

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    def fit_then_interrupt(self, *args, callbacks=None, **kwargs):
        calls["n"] += 1
        return original(self, *args, callbacks=list(callbacks) + [Interrupt()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        finetune(
            model_dir,
            "classification",
            word_order_sentiment(64),
            str(out),
            validation=word_order_sentiment(32),
            epochs=5,
            batch_size=16,
            verbose=0,
        )
    assert calls["n"] == 1
    assert sorted(n for n in os.listdir(out) if n != ".lock") == ["best", "logs", "metrics.json"]  # no temporaries
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 2
    tf_electra.TFElectraForSequenceClassification.from_pretrained(str(out / "best"))


def test_bad_arguments(model_dir, tmp_path):
    with pytest.raises(FinetuneError, match="unknown task"):
        finetune(model_dir, "translation", [], str(tmp_path / "x"))
    rows = [{"text": "a", "label": "x"}, {"text": "b"}]
    from tf_electra.tasks.readers import DataError

    with pytest.raises(DataError, match="item 1: missing column 'label'"):
        finetune(model_dir, "classification", rows, str(tmp_path / "y"))


ROWS = [{"text": "a good film", "label": "pos"}, {"text": "a bad film", "label": "neg"}] * 4


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda d, o: finetune(d, "classification", ROWS, o, overwrite="no"), "Finetune", "overwrite must be True"),
        (lambda d, o: finetune(d, "classification", ROWS, o, jit_compile=1), "Finetune", "jit_compile must be True"),
        (lambda d, o: finetune(d, "classification", ROWS, None), "Finetune", "output must be a folder path"),
        (lambda d, o: finetune(None, "classification", ROWS, o), "Finetune", "model_dir must be a folder path"),
        (lambda d, o: finetune(d, "classification", {"text": "a"}, o), "Finetune", "train must be a data file"),
        (lambda d, o: finetune(d, "classification", ROWS, o, seed=-1), "Finetune", r"seed must be an integer in \[0"),
        (lambda d, o: finetune(d, "classification", ROWS, o, reinit_layers=-1), "Finetune", "at least 0, got -1"),
        (lambda d, o: finetune(d, "classification", ROWS, o, reinit_layers="1"), "Finetune", "at least 0, got '1'"),
        (lambda d, o: finetune(d, "classification", ROWS, o, reinit_layers=True), "Finetune", "at least 0, got True"),
        (lambda d, o: finetune(d, "classification", ROWS, o, reinit_layers=3), "Finetune", "3 exceeds the model's 2"),
        (
            lambda d, o: finetune(config=FinetuneConfig(d, "classification", ROWS, o), epochs=3),
            "Finetune",
            "pass either config= or the options, not both \\(epochs would be ignored",
        ),
        (
            lambda d, o: finetune(d, "classification", [{"text": "a b", "label": "x"}] * 4, o),
            "Data",
            "holds one label \\('x'\\); classification needs at least two",
        ),
    ],
)
def test_bad_api_arguments_are_refused_before_any_work(model_dir, tmp_path, call, error, message):
    from tf_electra.errors import DataError

    errors = {"Finetune": FinetuneError, "Data": DataError}
    with pytest.raises(errors[error], match=message):
        call(model_dir, str(tmp_path / "run"))
    assert not (tmp_path / "run" / "best").exists()


def test_reinit_layers_draws_the_top_layers_afresh_before_training(model_dir, tmp_path):
    out = tmp_path / "run"
    history = finetune(
        model_dir, "classification", ROWS, str(out), validation=ROWS, epochs=1, learning_rate=1e-9, reinit_layers=1
    )
    assert history["hyperparameters"]["reinit_layers"] == 1
    source = tf_electra.TFElectraModel.from_pretrained(model_dir, warn_unmatched=False)
    tuned = tf_electra.TFElectraForSequenceClassification.from_pretrained(str(out / "best"))
    blocks = zip(source.electra.encoder.layer, tuned.electra.encoder.layer)
    for i, (old, new) in enumerate(blocks):  # lr 1e-9: only the re-initialisation moves a weight
        pairs = [(a, b) for a, b in zip(old.weights, new.weights) if "kernel" in a.path]
        far = [np.abs(a.numpy() - b.numpy()).max() > 1e-3 for a, b in pairs]
        assert all(far) if i == 1 else not any(far), (i, far)


def test_xla_with_bfloat16_on_a_cpu_is_one_warning_line(model_dir, tmp_path):
    # Measured slower than without XLA (tools/benchmark.py): the CLI says so, in one line, and runs.
    train = write_jsonl(tmp_path / "train.jsonl", word_order_sentiment(32, seed=1))
    args = ["finetune", model_dir, "--task", "classification", "--train", train, "--epochs", "1", "--batch-size", "16"]
    slow = run_cli(*args, "--output", tmp_path / "xla", "--jit-compile", "--mixed-precision")
    assert slow.returncode == 0, slow.stderr[-2000:]
    lines = [line for line in slow.stderr.splitlines() if "warning:" in line]
    assert len(lines) == 1 and lines[0].startswith("tf-electra finetune: warning: jit_compile with mixed"), lines
    assert "Traceback" not in slow.stderr and "UserWarning" not in slow.stderr
    plain = run_cli(*args, "--output", tmp_path / "plain", "--mixed-precision")
    assert plain.returncode == 0 and "jit_compile" not in plain.stderr, plain.stderr[-2000:]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TF_ELECTRA_GRAPPLER": "bogus"}, "TF_ELECTRA_GRAPPLER='bogus': choose 'lean'"),
        ({"TF_ELECTRA_XLA": "full"}, "TF_ELECTRA_XLA='full': choose 'off'"),
        ({"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "1"}, "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS is or was true in this"),
        ({"TF_ONEDNN_ASSUME_FROZEN_WEIGHTS": "yes"}, "TF_ONEDNN_ASSUME_FROZEN_WEIGHTS='yes': TensorFlow accepts"),
    ],
)
def test_a_wrong_graph_switch_is_one_error_line_and_leaves_no_output(model_dir, tmp_path, env, message):
    train = write_jsonl(tmp_path / "train.jsonl", word_order_sentiment(32, seed=1))
    out = tmp_path / "run"
    args = ["finetune", model_dir, "--task", "classification", "--train", train, "--epochs", "1", "--output", out]
    result = run_cli(*args, env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"tf-electra finetune: error: {message}"), last
    assert "Traceback" not in result.stderr
    assert not out.exists(), os.listdir(out)


def test_a_pair_model_needs_pairs_and_a_single_text_model_ignores_them(model_dir, tmp_path):
    from tf_electra.tasks.readers import DataError

    rows = word_order_sentiment(32, seed=1)
    pairs = [dict(r, text_pair="the film") for r in rows]
    for name, train in (("pair", pairs), ("single", rows)):
        finetune(model_dir, "classification", train, str(tmp_path / name), epochs=1, max_length=32, verbose=0)
    task_file = json.loads((tmp_path / "pair" / "best" / "tf_electra_task.json").read_text())
    assert task_file["columns"] == {"text_pair_column": "text_pair"}  # found in the data, recorded for predict
    with pytest.raises(DataError, match="missing column 'text_pair'"):  # not silently run without a second text
        predict_file(str(tmp_path / "pair"), rows, max_length=32)
    with pytest.raises(DataError, match="missing column 'text_pair'"):  # validation data follows training's columns
        finetune(model_dir, "classification", pairs, str(tmp_path / "v"), validation=rows, epochs=1, verbose=0)
    finetune(
        model_dir,
        "classification",
        pairs,
        str(tmp_path / "none"),
        epochs=1,
        verbose=0,
        columns={"text_pair_column": None},
    )
    assert (
        json.loads((tmp_path / "none" / "best" / "tf_electra_task.json").read_text())["columns"] == task_file["columns"]
    )
    alone = predict_file(str(tmp_path / "single"), rows, max_length=32)
    assert predict_file(str(tmp_path / "single"), pairs, max_length=32) == alone  # its input is the text alone
    inside = tmp_path / "single" / "predictions.jsonl"  # predictions may live in the run folder, and be replaced
    for overwrite in (False, True):
        predict_file(str(tmp_path / "single"), rows, output=str(inside), max_length=32, overwrite=overwrite)
    with pytest.raises(FileExistsError, match="inside the model folder"):
        predict_file(str(tmp_path / "single"), rows, output=str(tmp_path / "single" / "best" / "x.txt"), max_length=32)


def test_fine_tuning_a_classifier_further_keeps_the_meaning_of_its_labels(model_dir, tmp_path):
    # an NLI head stores entailment, neutral, contradiction in that order; sorting the data's names would rename rows
    names = ["entailment", "neutral", "contradiction"]
    nli = tmp_path / "nli"
    model = tf_electra.TFElectraForSequenceClassification.from_pretrained(
        model_dir, id2label=dict(enumerate(names)), problem_type="multi_label_classification", warn_unmatched=False
    )  # a multi-label head becomes single-label: the classification task sets problem_type
    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(model_dir)
    model.save_pretrained(str(nli), tokenizer=tokenizer)
    rows = [{"text": r["text"], "label": names[i % 3]} for i, r in enumerate(word_order_sentiment(24, seed=3))]
    finetune(str(nli), "classification", rows, str(tmp_path / "run"), epochs=1, learning_rate=1e-12, verbose=0)
    again = tf_electra.TFElectraForSequenceClassification.from_pretrained(str(tmp_path / "run" / "best"))
    assert again.config.id2label == model.config.id2label
    assert again.config.problem_type == "single_label_classification"
    batch = tokenizer([r["text"] for r in rows[:4]], padding=True, return_tensors="np")
    np.testing.assert_allclose(again(**batch).logits, model(**batch).logits, atol=1e-4)  # each row kept its name


NOT_CHIEF = json.dumps({"cluster": {"worker": ["localhost:1", "localhost:2"]}, "task": {"type": "worker", "index": 1}})


@pytest.mark.parametrize(
    "strategy,tf_config,expected",
    [
        ("default", NOT_CHIEF, True),  # a TF_CONFIG left over from a cluster job does not silence a local run
        ("mirrored", NOT_CHIEF, True),
        (None, NOT_CHIEF, True),
        ("multi-worker", NOT_CHIEF, False),
        ("multi-worker", json.dumps({"task": {"type": "worker", "index": 0}}), True),
        ("multi-worker", json.dumps({"cluster": {"chief": ["a:1"]}, "task": {"type": "worker", "index": 0}}), False),
        ("multi-worker", "", True),
        ("multi-worker", "{bad", "TF_CONFIG is not valid JSON"),
        ("multi-worker", json.dumps({"task": 5}), 'TF_CONFIG must be a JSON object whose "cluster" and "task"'),
        ("multi-worker", json.dumps([1]), 'TF_CONFIG must be a JSON object whose "cluster" and "task"'),
        ("multi-worker", json.dumps({"cluster": [], "task": {}}), 'TF_CONFIG must be a JSON object whose "cluster"'),
    ],
)
def test_only_a_multi_worker_run_reads_tf_config(monkeypatch, strategy, tf_config, expected):
    from tf_electra.errors import TrainingError
    from tf_electra.training.distribute import is_chief

    monkeypatch.setenv("TF_CONFIG", tf_config)
    if isinstance(expected, str):
        with pytest.raises(TrainingError, match=expected):
            is_chief(strategy)
    else:
        assert is_chief(strategy) is expected


def test_a_left_over_tf_config_does_not_stop_a_local_run_from_writing(model_dir, tmp_path, monkeypatch):
    # It did: the run trained, wrote nothing and said where its outputs were.
    monkeypatch.setenv("TF_CONFIG", NOT_CHIEF)
    train = word_order_sentiment(16, seed=1)
    finetune(model_dir, "classification", train, str(tmp_path / "run"), epochs=1, max_length=32, verbose=0)
    assert (tmp_path / "run" / "best" / "config.json").exists()


def test_predict_follows_the_head_of_a_transformers_style_folder(model_dir, tmp_path):
    """Folders fine-tuned elsewhere (transformers' run_glue writes finetuning_task "sst2"): the head decides; a task
    that the head cannot make is refused; a multi-label head gives sigmoid probabilities, as its export does; a
    folder without its head's weights is refused (was: random predictions, different on each run)."""
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(model_dir)
    rows = [{"text": "the film was good"}, {"text": "a movie was not fun"}]

    def folder(name, **config):
        base = tf_electra.ElectraConfig.from_pretrained(model_dir).to_dict()
        base = {k: v for k, v in base.items() if k not in ("id2label", "label2id")}
        model = tf_electra.TFElectraForSequenceClassification(tf_electra.ElectraConfig(**dict(base, **config)))
        model.save_pretrained(tmp_path / name, tokenizer=tokenizer)
        return str(tmp_path / name), model

    sst2, _ = folder("sst2", num_labels=2, finetuning_task="sst2")
    assert [set(r) for r in predict_file(sst2, rows, max_length=32)] == [{"label", "probabilities"}] * 2
    located = [dict(r, where="Paris") for r in rows]  # was: a column named "where" left out of the input shown
    assert predict_file(sst2, located, max_length=32, include_input=True)[0]["input"] == located[0]
    wrong, _ = folder("wrong", num_labels=2, finetuning_task="regression")
    with pytest.raises(FinetuneError, match="names its task 'regression', but its head .* makes classification"):
        predict_file(wrong, rows, max_length=32)
    multi, model = folder("multi", num_labels=3, problem_type="multi_label_classification")
    records = predict_file(multi, rows, max_length=32)
    ids = tokenizer([r["text"] for r in rows], padding=True, return_tensors="np")
    logits = np.asarray(model(dict(ids)).logits, np.float64)
    np.testing.assert_allclose([r["probabilities"] for r in records], 1 / (1 + np.exp(-logits)), atol=1e-5)
    assert records[0]["labels"] == [model.config.id2label[i] for i in np.flatnonzero(logits[0] >= 0)]
    weights = tmp_path / "multi" / "model.safetensors"
    save_file({k: v for k, v in load_file(str(weights)).items() if not k.startswith("classifier.")}, str(weights))
    with pytest.raises(tf_electra.WeightsError, match="classifier"):
        predict_file(multi, rows, max_length=32)


def test_evaluate_json_is_json_when_a_metric_is_undefined(model_dir, tmp_path):
    """Was: `evaluate --json` printed NaN (not JSON) for the correlations of constant labels."""
    base = tf_electra.ElectraConfig.from_pretrained(model_dir).to_dict()
    base = {k: v for k, v in base.items() if k not in ("id2label", "label2id")}
    model = tf_electra.TFElectraForSequenceClassification(tf_electra.ElectraConfig(**dict(base, num_labels=1)))
    model.save_pretrained(tmp_path / "reg", tokenizer=tf_electra.ElectraTokenizer.from_pretrained(model_dir))
    (tmp_path / "dev.csv").write_text("text,label\nthe film was good,1.0\na movie was fun,1.0\n")
    result = run_cli("evaluate", tmp_path / "reg", "--input", tmp_path / "dev.csv", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in {result.stdout}"))
    assert metrics["pearson"] is None and isinstance(metrics["mse"], float)


@pytest.mark.parametrize(
    "info, message",
    [
        ({"task": ["x"]}, r"'task' must be a task name, got \['x'\]"),
        ({"max_length": "abc"}, "'max_length' must be a positive integer, got 'abc'"),
        ({"columns": {"foo": "x"}}, "'columns' must map some of text_column, text_pair_column, label_column to"),
        ({"columns": {"text_column": 3}}, "'columns' must map some of"),
        ({"columns": ["text"]}, "'columns' must map some of"),
        (["task", "classification"], "must hold a JSON object .task, columns, max_length., got list"),
        ({"task": ["x" * 10**6]}, r"'task' must be a task name, got \['xxx.*\.\.\. \(1,000,004 characters\)$"),
        ({"task": "x" * 10**6}, r"unknown task 'xxx.*\.\.\. \(1,000,002 characters\); choose one of"),
        ('{"max_length": 1, "n": ' + "9" * 5000 + "}", r"is not valid JSON: Exceeds the limit \(4300 digits\)"),
        (None, "the tokenizer has 300 tokens but the model's vocab_size is 200"),
    ],
)
def test_a_folder_whose_task_file_or_tokenizer_does_not_fit_is_refused_by_name(model_dir, tmp_path, info, message):
    """Was: a TypeError far from the file, or a failure at the first row that used a token past the model's."""
    base = tf_electra.ElectraConfig.from_pretrained(model_dir).to_dict()
    base = {k: v for k, v in base.items() if k not in ("id2label", "label2id")}
    config = tf_electra.ElectraConfig(**dict(base, num_labels=2, vocab_size=300 if info else 200))
    folder = tmp_path / "clf"
    tokenizer = tf_electra.ElectraTokenizer.from_pretrained(model_dir)
    tf_electra.TFElectraForSequenceClassification(config).save_pretrained(folder, tokenizer=tokenizer)
    if info:
        (folder / "tf_electra_task.json").write_text(info if isinstance(info, str) else json.dumps(info))
    with pytest.raises(tf_electra.errors.ElectraError, match=message):  # one line each from the CLI
        predict_file(str(folder), [{"text": "the film"}], max_length=32)


def test_the_columns_message_of_a_task_without_columns_says_what_it_takes():
    """Was: "'columns' must map some of  to column names" (question answering reads fixed SQuAD fields)."""
    from tf_electra.tasks.base import get_task
    from tf_electra.training.task_file import check_columns

    with pytest.raises(FinetuneError, match=r"'columns' must be empty for question-answering .*got \{'text_column'"):
        check_columns({"columns": {"text_column": "q"}}, get_task("question-answering"), "folder")
    check_columns({"columns": {}}, get_task("question-answering"), "folder")
