"""Task data pipelines: labels round-trip, per-batch padding, clear errors for malformed rows."""

import json
import os

import keras
import numpy as np
import pytest

import tf_electra
from tf_electra.errors import ConfigError
from tf_electra.tasks.classification import encode_classification
from tf_electra.tasks.metrics import squad_metrics
from tf_electra.tasks.multiple_choice import encode_multiple_choice
from tf_electra.tasks.question_answering import encode_question_answering
from tf_electra.tasks.question_answering import postprocess_predictions
from tf_electra.tasks.readers import DataError
from tf_electra.tasks.token_classification import encode_token_classification

from fixtures import word_order_sentiment
from fixtures import write_vocab


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    write_vocab(str(path), 300)
    return tf_electra.ElectraTokenizer(str(path))


ROWS = [
    {"text": "the film was good , not bad", "label": "positive"},
    {"text": "the film was bad", "label": "negative"},
    {"text": "not good", "label": "negative"},
    {"text": "the movie was really fun and never dull", "label": "positive"},
    {"text": "bad", "label": "neutral"},
]


def write_table(path, rows, delimiter):
    import csv

    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


@pytest.mark.parametrize("fmt", ["list", "csv", "tsv", "jsonl"])
def test_classification_labels_round_trip(tokenizer, tmp_path, fmt):
    if fmt == "list":
        source = ROWS
    elif fmt == "jsonl":
        source = tmp_path / "d.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    else:
        source = write_table(tmp_path / f"d.{fmt}", ROWS, "," if fmt == "csv" else "\t")
    data = encode_classification(source, tokenizer)
    assert data.label2id == {"negative": 0, "neutral": 1, "positive": 2}
    id2label = {i: n for n, i in data.label2id.items()}
    batches = list(data.dataset(batch_size=2))
    labels = np.concatenate([np.asarray(y) for _, y in batches])
    assert [id2label[int(i)] for i in labels] == [r["label"] for r in ROWS]
    for features, _ in batches:  # padded to the longest in the batch, not to a fixed maximum
        mask = np.asarray(features["attention_mask"])
        assert mask.shape[1] == mask.sum(axis=1).max()
    decoded = tokenizer.decode(np.asarray(batches[0][0]["input_ids"])[0], skip_special_tokens=True)
    assert decoded == "the film was good, not bad"  # the WordPiece decoder joins punctuation


def test_text_pairs_and_regression(tokenizer):
    rows = [
        {"text": "the film", "text_pair": "was good", "label": "4.5"},
        {"text": "bad", "text_pair": "dull", "label": 0.5},
    ]
    data = encode_classification(rows, tokenizer, regression=True)
    features, labels = next(iter(data.dataset(batch_size=2)))
    np.testing.assert_allclose(np.asarray(labels), [4.5, 0.5])
    assert np.asarray(features["token_type_ids"])[0].tolist().count(1) == 3  # "was good [SEP]"


def test_training_batches_bucket_by_length_and_cover_every_example(tokenizer):
    rows = [{"text": " ".join(["good"] * n), "label": str(n % 2)} for n in range(1, 41)]
    data = encode_classification(rows, tokenizer)
    dataset = data.dataset(batch_size=4, shuffle=True, seed=3)
    seen, widths = [], []
    for _ in range(2):
        epoch_ids = []
        for features, _ in dataset:
            ids = np.asarray(features["input_ids"])
            widths.append((ids == 0).sum(axis=1).min())  # padding of the longest row
            epoch_ids += [tuple(r[r != 0]) for r in ids]
        seen.append(epoch_ids)
    assert sorted(seen[0]) == sorted(seen[1]) and len(seen[0]) == 40
    assert seen[0] != seen[1]  # reshuffled every epoch
    assert max(widths) == 0  # every batch is as wide as its longest member
    assert int(dataset.cardinality()) == 10


def test_token_classification_aligns_to_the_first_piece(tokenizer):
    rows = [{"tokens": ["the", "zxq", "film"], "tags": ["O", "B-X", "O"]}]
    data = encode_token_classification(rows, tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(data.features["input_ids"][0])
    labels = data.labels[0]
    id2label = {i: n for n, i in data.label2id.items()}
    assert tokens[0] == "[CLS]" and labels[0] == -100 and labels[-1] == -100
    first_pieces = [
        i
        for i, w in enumerate(data.extra["word_ids"][0])
        if w is not None and (i == 0 or data.extra["word_ids"][0][i - 1] != w)
    ]
    assert [id2label[labels[i]] for i in first_pieces] == ["O", "B-X", "O"]
    assert len(tokens) > 5 and all(labels[i] == -100 for i in range(len(labels)) if i not in first_pieces)
    # Words past max_length, and words without a token, get no prediction: said, not silent (was: null tags, and a
    # gold B-X at word 50 of 60 left out of the scores).
    rows = [rows[0], {"tokens": ["the"] * 60, "tags": ["O"] * 49 + ["B-X"] + ["O"] * 10}, {"tokens": [" ", "a"]}]
    rows[2]["tags"] = ["O", "O"]
    with pytest.warns(UserWarning, match=r"2 row\(s\) have words without a prediction \(the first: item 1, 30 of 60"):
        encode_token_classification(rows, tokenizer, max_length=32)
    with pytest.warns(UserWarning), pytest.raises(DataError, match="no word of the data has a token to score"):
        blank = encode_token_classification([{"tokens": [" ", "\x00"], "tags": ["O", "B-X"]}], tokenizer)
        blank.task.metrics(blank, {"logits": np.zeros((1, len(blank.labels[0]), 2))})  # was: every score 0.0


SQUAD = {
    "data": [
        {
            "paragraphs": [
                {
                    "context": "the film was good , not bad . the music was fun and the ending was really clever .",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "how was the music ?",
                            "answers": [{"text": "fun", "answer_start": 44}],
                        },
                        {
                            "id": "q2",
                            "question": "how was the ending ?",
                            "answers": [{"text": "really clever", "answer_start": 67}],
                        },
                        {"id": "q3", "question": "who was in it ?", "answers": [], "is_impossible": True},
                    ],
                }
            ]
        }
    ]
}


def test_question_answering_positions_map_back_to_the_answer_text(tokenizer):
    data = encode_question_answering(SQUAD, tokenizer, max_length=24, doc_stride=8)
    examples = data.extra["examples"]
    assert len(data) > len(examples)  # the long context was split into several features
    found = {}
    for feature, (start, end) in enumerate(data.labels):
        example = examples[data.extra["feature_to_example"][feature]]
        if (start, end) != (0, 0):
            offsets = data.extra["offsets"][feature]
            found[example["id"]] = example["context"][offsets[start][0] : offsets[end][1]]
    assert found == {"q1": "fun", "q2": "really clever"}
    # n-best post-processing: one-hot logits on the gold positions give back the answers.
    starts, ends = [], []
    for start, end in data.labels:
        length = len(data.features["input_ids"][len(starts)])
        s, e = np.full(length, -10.0), np.full(length, -10.0)
        s[start], e[end] = 10.0, 10.0
        starts.append(s)
        ends.append(e)
    answers, _ = postprocess_predictions(data, starts, ends, version_2_with_negative=True)
    assert answers == {"q1": "fun", "q2": "really clever", "q3": ""}
    assert squad_metrics(examples, answers) == {"exact_match": 100.0, "f1": 100.0}
    assert squad_metrics(examples, {"q1": "fun", "q2": "clever", "q3": "x"})["exact_match"] == pytest.approx(100 / 3)


def test_multiple_choice(tokenizer):
    rows = [
        {"context": "the film was good", "choices": ["so it was fun", "so it was bad", "not"], "label": 0},
        {"question": "how was it ?", "choices": ["good", "bad", "dull"], "label": 2},
    ]
    data = encode_multiple_choice(rows, tokenizer)
    features, labels = next(iter(data.dataset(batch_size=2)))
    assert np.asarray(features["input_ids"]).shape[:2] == (2, 3)
    assert np.asarray(labels).tolist() == [0, 2]
    model = tf_electra.TFElectraForMultipleChoice(
        tf_electra.ElectraConfig(
            vocab_size=300,
            embedding_size=8,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=16,
        )
    )
    assert model(features).logits.shape == (2, 3)


def test_malformed_rows_name_the_file_and_line(tokenizer, tmp_path):
    csv = tmp_path / "train.csv"
    csv.write_text("text,label\nthe film,positive\nbad film\n")
    with pytest.raises(DataError, match=r"train.csv:3: 1 fields"):
        encode_classification(str(csv), tokenizer)
    jsonl = tmp_path / "train.jsonl"
    jsonl.write_text(json.dumps({"text": "a", "label": "x"}) + "\n" + json.dumps({"text": "b"}) + "\n")
    with pytest.raises(DataError, match=r"train.jsonl:2: missing column 'label'"):
        encode_classification(str(jsonl), tokenizer)
    jsonl.write_text(json.dumps({"text": "a", "label": "maybe"}) + "\n")
    with pytest.raises(DataError, match=r"train.jsonl:1: label 'maybe' is not in the label set"):
        encode_classification(str(jsonl), tokenizer, label2id={"yes": 0, "no": 1})
    bad_span = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": "short",
                        "qas": [{"id": "x", "question": "q", "answers": [{"text": "missing", "answer_start": 2}]}],
                    }
                ]
            }
        ]
    }
    with pytest.raises(DataError, match=r"id 'x'.*outside the context"):
        encode_question_answering(bad_span, tokenizer)
    long_question = {"data": [{"paragraphs": [{"context": "the film was good " * 20, "qas": [
        {"id": "q1", "question": "was it good", "answers": [{"text": "the film", "answer_start": 0}]},
        {"id": "q2", "question": "was the film good " * 10, "answers": [{"text": "the film", "answer_start": 0}]},
    ]}]}]}  # fmt: skip
    with pytest.raises(DataError, match=r"id 'q2'.*the question has 40 tokens, which leaves too little room"):
        encode_question_answering(long_question, tokenizer, max_length=32)
    fits = {"id": "q0", "question": "was the film good " * 6, "answers": []}  # longer, but its context is short
    long_question["data"][0]["paragraphs"].insert(0, {"context": "the film", "qas": [fits]})
    long_question["data"][0]["paragraphs"][1]["qas"][1]["question"] = "was the film good " * 5  # a Rust panic before
    with pytest.raises(DataError, match=r"id 'q2'.*the question has 20 tokens, which leaves too little room"):
        encode_question_answering(long_question, tokenizer, max_length=32)
    short = {"id": "s", "question": "good", "answers": [{"text": "the film", "answer_start": 0}]}
    one = {"data": [{"paragraphs": [{"context": "the film was good " * 5, "qas": [short]}]}]}
    with pytest.raises(ConfigError, match="max_length=32 leaves no room .* beyond doc_stride=40"):  # the stride's fault
        encode_question_answering(one, tokenizer, max_length=32, doc_stride=40)
    for length, stride in ((None, None), ("10", None), (10, "2"), (10, -1), (True, None)):  # was: a TypeError
        with pytest.raises(ConfigError, match="max_length must be a positive integer and doc_stride None or an"):
            encode_question_answering(one, tokenizer, max_length=length, doc_stride=stride)
    for max_length in (3, 4, 6):  # was: longer features than max_length (3), the Rust library's message (4)
        with pytest.raises(ConfigError, match=f"max_length={max_length} leaves no room .* needs max_length >= doc"):
            encode_question_answering(one, tokenizer, max_length=max_length)
    features = encode_question_answering(one, tokenizer, max_length=7).features["input_ids"]
    assert len(features) > 1 and max(map(len, features)) == 7
    with pytest.raises(DataError, match=r"item 0: 2 words but 1 tags"):
        encode_token_classification([{"tokens": ["a", "b"], "tags": ["O"]}], tokenizer)
    with pytest.raises(DataError, match=r"label 5 is outside the 2 choices"):
        encode_multiple_choice([{"context": "c", "choices": ["a", "b"], "label": 5}], tokenizer)
    choice = lambda label, choices=("a", "b"): {"context": "c", "choices": list(choices), "label": label}
    for label in (1.7, True, "1.5", "--1", "²"):  # was: 1.7 and true were taken as choice 1, "--1" crashed
        with pytest.raises(DataError, match=r"item 0: label .* is not a choice index"):
            encode_multiple_choice([choice(label)], tokenizer)
    assert encode_multiple_choice([choice("1"), choice(0)], tokenizer).labels == [1, 0]  # CSV text, JSON number
    with pytest.raises(DataError, match=r"item 0: every choice must be a text, got \['a', None\]"):
        encode_multiple_choice([choice(0, ["a", None])], tokenizer)  # was: the text "None"
    with pytest.raises(DataError, match=r"item 1: 3 choices, but item 0 has 2; every example needs the same"):
        encode_multiple_choice([choice(0), choice(0, "abc")], tokenizer)
    (tmp_path / "dir.csv").mkdir()  # was: "does not exist"
    with pytest.raises(DataError, match=r"dir.csv is a folder, not a data file"):
        encode_classification(str(tmp_path / "dir.csv"), tokenizer)
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataError, match=r"pipe.csv is a device, pipe or socket, not a data file"):
        encode_classification(str(tmp_path / "pipe.csv"), tokenizer)
    (tmp_path / "train.xml").write_text("<rows/>")
    with pytest.raises(DataError, match="unknown data format"):
        encode_classification(str(tmp_path / "train.xml"), tokenizer)


def test_files_as_editors_and_json_write_them_read_row_for_row(tokenizer, tmp_path):
    import csv

    one_column = tmp_path / "texts.csv"
    with open(one_column, "w", newline="") as f:  # csv writes an empty text as "": a row, not a blank line
        csv.writer(f).writerows([["text"], ["the film"], [""], ["bad"], ["not good"]])
    data = encode_classification(str(one_column), tokenizer, with_labels=False)
    assert [r["text"] for r in data.extra["rows"]] == ["the film", "", "bad", "not good"]  # was 3: later rows shifted
    bom = tmp_path / "excel.csv"  # Excel's "CSV UTF-8" starts with a byte-order mark
    bom.write_bytes("\ufefftext,label\nthe film,good\n".encode())
    assert encode_classification(str(bom), tokenizer).extra["rows"][0]["text"] == "the film"
    digits = tmp_path / "digits.csv"  # "²".isdigit(), yet int("²") fails: label names, sorted as text
    digits.write_text("text,label\na,1\nb,\u00b2\n", encoding="utf-8")
    assert encode_classification(str(digits), tokenizer).label2id == {"1": 0, "\u00b2": 1}
    digits.write_text("text,label\na,10\nb,--5\nc,9\n", encoding="utf-8")  # was: int("--5") crashed finetune
    assert encode_classification(str(digits), tokenizer).label2id == {"--5": 0, "10": 1, "9": 2}
    excel = tmp_path / "excel_columns.csv"  # trailing empty columns, as spreadsheets save them
    excel.write_text("text,label,,\nthe film,good,,\nbad,bad,,\n")
    assert encode_classification(str(excel), tokenizer).label2id == {"bad": 0, "good": 1}
    old_mac = tmp_path / "cr.jsonl"  # \r line ends; a form feed is no JSON but splitlines() took it as one
    old_mac.write_text('{"text": "a", "label": "x"}\r{"text": "b", "label": "y"}\x0c\n')
    assert [r["text"] for r in encode_classification(str(old_mac), tokenizer).extra["rows"]] == ["a", "b"]
    jsonl = tmp_path / "seps.jsonl"  # json.dumps(ensure_ascii=False) leaves U+2028 and U+0085 unescaped
    jsonl.write_text(
        "".join(json.dumps({"text": f"a{c}b", "label": "x"}, ensure_ascii=False) + "\n" for c in "\u2028\x85")
    )
    assert [r["text"] for r in encode_classification(str(jsonl), tokenizer).extra["rows"]] == ["a\u2028b", "a\x85b"]


def test_a_question_id_given_twice_is_refused_by_both_places(tokenizer):
    """Was: answers are matched by id, so every question of a repeated id got the last one's answer, silently."""
    from tf_electra.tasks.question_answering import read_squad

    qa = lambda q: {"id": "q1", "question": q, "answers": []}
    squad = {"data": [{"paragraphs": [{"context": "the film was good", "qas": [qa("what was good")]}]}]}
    squad["data"][0]["paragraphs"].append({"context": "a movie was bad", "qas": [qa("what was bad")]})
    with pytest.raises(
        DataError,
        match=r"data\[0\]\.paragraphs\[1\]\.qas\[0\] \(id 'q1'\): its id is also "
        r"data: data\[0\]\.paragraphs\[0\]\.qas\[0\] \(id 'q1'\)'s",
    ):
        encode_question_answering(squad, tokenizer)
    with pytest.raises(DataError, match=r"item 1: its id is also item 0's"):
        read_squad([dict(qa("a"), context="x y"), dict(qa("b"), context="x y")])
    squad["data"][0]["paragraphs"][1]["qas"][0]["id"] = "q2"
    assert [e["id"] for e in read_squad(squad)] == ["q1", "q2"]
    spaces = dict(qa("?"), answers=[{"text": " ", "answer_start": 1}])
    blank = {"data": [{"paragraphs": [{"context": "   ", "qas": [spaces]}]}]}
    with pytest.raises(DataError, match=r"\(id 'q1'\): its context has no tokens"):  # was: "1 is not in list"
        encode_question_answering(blank, tokenizer)


def test_a_header_of_many_columns_is_checked_in_linear_time(tokenizer, tmp_path):
    """Was: header.count(name) for every column: 20 s for 40,000 columns, about two minutes for 100,000. A
    complexity guard: the linear check takes well under a second, the bound is 30 s."""
    import threading

    path = tmp_path / "wide.csv"
    names = [f"c{i}" for i in range(100_000)]
    path.write_text(",".join(["text", "label", *names, "c7"]) + "\n" + "a,x" + ",1" * 100_001 + "\n")
    errors = []
    reader = threading.Thread(
        target=lambda: errors.append(pytest.raises(DataError, encode_classification, str(path), tokenizer)), daemon=True
    )
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "the header check took over 30 s"
    assert "wide.csv:1: the header names 'c7' more than once" in str(errors[0].value)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("twice.csv", "text,label,text\na,x,b\n", "twice.csv:1: the header names 'text' more than once"),
        ("null.jsonl", '{"text": null, "label": "x"}\n', "null.jsonl:1: column 'text' is empty \\(null\\)"),
        (  # was: invalid UTF-8 in predict's output, or "text 0" as the place
            "surrogate.jsonl",
            '{"text": "a", "label": "x"}\n{"text": "b", "label": "x", "note": ["\\udc80x"]}\n',
            r"surrogate.jsonl:2: column 'note' holds '\\udc80' at character 0, which is not valid Unicode",
        ),
        (
            "deep.jsonl",
            '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
            "deep.jsonl:1 is not valid JSON: maximum recursion",
        ),
        (  # was: named the file's last line, and not the quote
            "quote.csv",
            'text,label\na,x\n"open,y\n' + "b,z\n" * 500,
            r"quote.csv:3: 1 fields, but the header has 2 \(text, label\); the record runs to line 503: is a quote",
        ),
    ],
)
def test_ambiguous_rows_are_refused_by_name(tokenizer, tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        encode_classification(str(tmp_path / name), tokenizer)


@pytest.mark.slow
def test_a_tiny_model_learns_word_order_and_bfloat16_agrees(tokenizer):
    """Plain compile/fit on a task a bag of words cannot solve; then the same weights under mixed_bfloat16."""
    from tf_electra.training.optimization import create_optimizer

    keras.utils.set_random_seed(0)
    train = encode_classification(word_order_sentiment(3000, seed=1), tokenizer)
    held_out = encode_classification(word_order_sentiment(600, seed=2), tokenizer, label2id=train.label2id)
    config = tf_electra.ElectraConfig(
        vocab_size=300,
        embedding_size=64,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=256,
        max_position_embeddings=64,
    )
    model = tf_electra.TFElectraForSequenceClassification(config)
    model.compile(
        optimizer=create_optimizer(model, total_steps=94 * 6, learning_rate=1e-3, layer_decay=1.0), metrics=["accuracy"]
    )
    model.fit(train.dataset(32, shuffle=True), epochs=6, verbose=0)
    result = model.evaluate(held_out.dataset(64), return_dict=True, verbose=0)
    assert result["accuracy"] >= 0.97, result
    # Same weights, mixed_bfloat16: the same predictions on at least 99% of held-out examples.
    bf16 = tf_electra.TFElectraForSequenceClassification(config, dtype="mixed_bfloat16")
    bf16.set_weights(model.get_weights())
    agree = []
    for features, _ in held_out.dataset(64):
        agree += list(np.argmax(model(features).logits, -1) == np.argmax(bf16(features).logits, -1))
    assert np.mean(agree) >= 0.99
