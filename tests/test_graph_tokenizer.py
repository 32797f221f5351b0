"""In-graph tokenization (for TF Serving text signatures) against ElectraTokenizer, which matches transformers."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow_text", reason="text signatures need tensorflow-text (pip install -e .[test])")

import tensorflow as tf
from test_tokenizer import PAIRS
from test_tokenizer import TEXTS
from test_tokenizer import make_vocab

import tf_electra
from tf_electra.serving.export import export_saved_model
from tf_electra.serving.graph_tokenizer import GraphTokenizer
from tf_electra.tokenization.tokenizer import ElectraTokenizer

from conftest import result_of
from conftest import run_client
from conftest import tiny_config


@pytest.fixture(scope="module")
def vocab_file(tmp_path_factory):
    return make_vocab(tmp_path_factory.mktemp("vocab") / "vocab.txt")


OPTIONS = [
    {},
    {"do_lower_case": False},
    {"strip_accents": False},
    {"tokenize_chinese_chars": False},
    {"truncation_side": "left"},  # keeps a long text's end, in the graph too
    {"padding_side": "left"},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("max_length", [512, 12])
def test_single_texts_identical(vocab_file, options, max_length):
    tokenizer = ElectraTokenizer(vocab_file, **options)
    graph = GraphTokenizer(tokenizer, max_length=max_length)
    out = graph(tf.constant(TEXTS))
    expected = tokenizer(TEXTS, padding=True, truncation=True, max_length=max_length, return_tensors="np")
    for key in expected:
        np.testing.assert_array_equal(out[key].numpy(), expected[key], err_msg=f"{key} {options}")


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("max_length", [512, 20, 9])
def test_pairs_identical(vocab_file, options, max_length):
    tokenizer = ElectraTokenizer(vocab_file, **options)
    graph = GraphTokenizer(tokenizer, max_length=max_length)
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    out = graph(tf.constant(firsts), tf.constant(seconds))
    expected = tokenizer(firsts, seconds, padding=True, truncation=True, max_length=max_length, return_tensors="np")
    for key in expected:
        np.testing.assert_array_equal(out[key].numpy(), expected[key], err_msg=f"{key} {options}")


def test_longest_first_matches_the_tokenizers_library_on_all_small_lengths(vocab_file):
    tokenizer = ElectraTokenizer(vocab_file)
    graph = GraphTokenizer(tokenizer, max_length=11)
    firsts = [" ".join(["a"] * i) for i in range(12) for _ in range(12)]
    seconds = [" ".join(["b"] * j) for _ in range(12) for j in range(12)]
    out = graph(tf.constant(firsts), tf.constant(seconds))
    expected = tokenizer(firsts, seconds, padding=True, truncation=True, max_length=11, return_tensors="np")
    np.testing.assert_array_equal(out["input_ids"].numpy(), expected["input_ids"])


@pytest.mark.slow
def test_exported_text_signatures_serve_like_the_python_pipeline(vocab_file, tmp_path):
    tokenizer = ElectraTokenizer(vocab_file)
    config = tiny_config(vocab_size=len(tokenizer))
    model = tf_electra.TFElectraForSequenceClassification(config)
    path = export_saved_model(model, tmp_path / "serving", tokenizer=tokenizer, text_signatures=True, max_length=16)
    firsts, seconds = [a for a, _ in PAIRS[:5]], [b for _, b in PAIRS[:5]]
    result = result_of(run_client("text_signature_client", path, json.dumps([firsts, seconds])))
    for name, args in (("single", (firsts,)), ("pair", (firsts, seconds))):
        encoded = tokenizer(*args, padding=True, truncation=True, max_length=16, return_tensors="np")
        assert result[name]["input_ids"] == encoded["input_ids"].tolist()
        np.testing.assert_allclose(result[name]["logits"], model(dict(encoded)).logits, atol=1e-5)
    assert (tmp_path / "serving" / "1" / "assets" / "vocab.txt").is_file()
    signatures = tf.saved_model.load(path).signatures
    assert signatures["serve_text"](text=tf.constant([], tf.string))["logits"].shape == (0, 2)  # an empty batch
    assert signatures["serve_text_pair"](text=tf.constant([], tf.string), text_pair=tf.constant([], tf.string))[
        "logits"
    ].shape == (0, 2)
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="[Ss]hape"):
        signatures["serve_text"](text=tf.constant([["a", "b"], ["c", "d"]]))  # was flattened into 4 rows
    one = signatures["serve_text"](text=tf.constant(firsts[0]))  # TF Serving's columnar form sends a scalar
    np.testing.assert_allclose(one["logits"], result["single"]["logits"][:1], atol=1e-5)


# Blocks whose characters Unicode assigned long ago (Rust's and RE2's tables agree on them): Latin,
# Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, combining marks, punctuation, letterlike symbols,
# kana, CJK, Hangul, full-width forms, emoji, private use, controls. Characters assigned in Unicode 14-16
# can classify differently (README: known limitations).
UNICODE_BLOCKS = [
    (0x20, 0x7E),
    (0x80, 0x24F),
    (0x300, 0x36F),
    (0x370, 0x3FF),
    (0x400, 0x4FF),
    (0x5D0, 0x5EA),
    (0x620, 0x64A),
    (0x900, 0x97F),
    (0xE01, 0xE5B),
    (0x1E00, 0x1EFF),
    (0x2000, 0x205E),
    (0x20A0, 0x20BF),
    (0x2100, 0x214F),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xE000, 0xE0FF),
    (0xFF01, 0xFFEE),
    (0x1F300, 0x1F64F),
]


def random_texts(count, seed):
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(count):
        chars = []
        for _ in range(int(rng.integers(1, 30))):
            low, high = UNICODE_BLOCKS[int(rng.integers(len(UNICODE_BLOCKS)))]
            chars.append(chr(int(rng.integers(low, high + 1))))
            if rng.random() < 0.25:
                chars.append(" ")
        texts.append("".join(chars))
    return texts


@pytest.mark.parametrize("options", [{}, {"do_lower_case": False}])
def test_graph_ids_equal_tokenizer_ids_over_a_broad_unicode_sample(tmp_path, options):
    from tf_electra.tokenization.vocab_training import train_vocab

    train_vocab(
        texts=random_texts(1500, seed=1),
        vocab_size=3000,
        output=str(tmp_path / "v.txt"),
        min_frequency=1,
        lowercase=options.get("do_lower_case", True),
    )
    tokenizer = ElectraTokenizer(str(tmp_path / "v.txt"), **options)
    graph = GraphTokenizer(tokenizer, max_length=64)
    texts = random_texts(2000, seed=2) + ["ΟΔΥΣΣΕΥΣ", "Οδυσσεύς ΑΣ. ΣΑ ϯΣ", "İstanbul ß ẞ ﬁ"]
    out = graph(tf.constant(texts))["input_ids"].numpy()
    expected = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="np")["input_ids"]
    width = max(out.shape[1], expected.shape[1])
    out = np.pad(out, ((0, 0), (0, width - out.shape[1])))
    expected = np.pad(expected, ((0, 0), (0, width - expected.shape[1])))
    wrong = [texts[i] for i in np.nonzero((out != expected).any(axis=1))[0]]
    assert not wrong, f"{len(wrong)} of {len(texts)} texts differ, e.g. {wrong[:3]}"


def test_capital_sigma_is_lower_cased_as_the_tokenizer_does(vocab_file):
    tokenizer = ElectraTokenizer(vocab_file)
    graph = GraphTokenizer(tokenizer, max_length=32)
    texts = ["ΟΔΥΣΣΕΥΣ", "ΑΣ.", "ϯΣ ς σ"]
    np.testing.assert_array_equal(
        graph(tf.constant(texts))["input_ids"].numpy(), tokenizer(texts, padding=True, return_tensors="np")["input_ids"]
    )
    assert "ς" not in tokenizer.backend_tokenizer.normalizer.normalize_str("ΟΔΥΣΣΕΥΣ")  # the Rust rule: always σ
