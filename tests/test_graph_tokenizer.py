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


OPTIONS = [{}, {"do_lower_case": False}, {"strip_accents": False}, {"tokenize_chinese_chars": False}]


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
