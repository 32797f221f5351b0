"""ElectraTokenizer against transformers' ElectraTokenizerFast on the same vocab file."""

import json
import unicodedata

import numpy as np
import pytest

from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.tokenization.tokenizer import ElectraTokenizerFast
from tf_electra.tokenization.tokenizer import TokenizerError

from conftest import torch_or_skip

TEXTS = [
    "Hello, world! ELECTRA pre-trains text encoders as discriminators.",
    "Crème brûlée à la façon de Zoë; naïve café résumé.",  # accents
    "中文分词测试，日本語のテキスト、한국어 문장.",  # CJK
    "emoji 😀👍🏽 and flags 🇩🇪 in text",  # emoji
    "control\tchars\x0b\x0cand\x1b escapes\r\nnew line",  # control characters
    "nul\x00byte and replacement \ufffd char",  # NUL and U+FFFD
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",  # full-width letters
    "ligatures: ﬁne ﬂow œuvre Æsop straße",  # ligatures, ß
    "long " + "x" * 101 + " word and " + "abc" * 40,  # words longer than 100 characters
    "special [CLS] tokens [SEP] typed [MASK] in [PAD] the [UNK] text [mask]",  # special tokens in text
    "",  # empty
    "   \t\n  ",  # whitespace only
    "Ünïcödé ÀÉÎÕÜ ñ ç ø å",
    "don't stop; it's 3.14 o'clock — “quotes” and ‘single’",
]
PAIRS = [(TEXTS[i], TEXTS[(i + 3) % len(TEXTS)]) for i in range(len(TEXTS))]


def make_vocab(path, texts=TEXTS, lower=True):
    """A vocab covering the test texts: whole words, single characters and ##-pieces."""
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words, chars = set(), set()
    for text in texts:
        norm = text.lower() if lower else text
        norm = "".join(c for c in unicodedata.normalize("NFD", norm) if unicodedata.category(c) != "Mn")
        for word in norm.split():
            words.add(word.strip(".,;!?:"))
            chars.update(word)
    tokens += sorted(w for w in words if w and len(w) < 8)[::2]  # half the words whole
    tokens += sorted(chars) + ["##" + c for c in sorted(chars)]
    tokens += ["##ing", "##ed", "##s", "pre", "##train"]
    path.write_text("".join(t + "\n" for t in dict.fromkeys(tokens)), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def vocab_file(tmp_path_factory):
    return make_vocab(tmp_path_factory.mktemp("vocab") / "vocab.txt")


def both(vocab_file, **kwargs):
    _, transformers = torch_or_skip()
    theirs = transformers.ElectraTokenizerFast(vocab_file=vocab_file, model_max_length=512, **kwargs)
    return ElectraTokenizer(vocab_file, **kwargs), theirs


def assert_same(ours, theirs):
    assert set(ours) == set(theirs), (set(ours), set(theirs))
    for key in theirs:
        a, b = ours[key], theirs[key]
        if hasattr(b, "numpy") or isinstance(b, np.ndarray):
            a, b = np.asarray(a), np.asarray(b)
            assert a.dtype == b.dtype, (key, a.dtype, b.dtype)
            np.testing.assert_array_equal(a, b, err_msg=key)
        else:
            assert json.loads(json.dumps(a)) == json.loads(json.dumps(b)), key


EXTRAS = dict(return_offsets_mapping=True, return_special_tokens_mask=True)


@pytest.mark.parametrize(
    "options", [{}, {"do_lower_case": False}, {"strip_accents": False}, {"tokenize_chinese_chars": False}]
)
def test_single_texts_identical(vocab_file, options):
    ours, theirs = both(vocab_file, **options)
    for text in TEXTS:
        assert_same(ours(text, **EXTRAS), theirs(text, **EXTRAS))
        assert ours.tokenize(text) == theirs.tokenize(text)


def test_pairs_identical(vocab_file):
    ours, theirs = both(vocab_file)
    for a, b in PAIRS:
        assert_same(ours(a, b, **EXTRAS), theirs(a, b, **EXTRAS))


@pytest.mark.parametrize("padding", [False, True, "longest", "max_length"])
@pytest.mark.parametrize("truncation", [False, True, "longest_first", "only_first", "only_second"])
def test_batches_with_every_padding_and_truncation_mode(vocab_file, padding, truncation):
    ours, theirs = both(vocab_file)
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    kwargs = dict(padding=padding, truncation=truncation, max_length=24, **EXTRAS)
    for pairs in (None, seconds):
        try:
            expected = theirs(firsts, pairs, **kwargs)
        except Exception:  # e.g. a sequence too short to truncate: both must refuse
            with pytest.raises(TokenizerError, match="truncat"):
                ours(firsts, pairs, **kwargs)
            continue
        assert_same(ours(firsts, pairs, **kwargs), expected)


def test_tensors_identical(vocab_file):
    ours, theirs = both(vocab_file)
    kwargs = dict(padding=True, truncation=True, max_length=16)
    expected = theirs(TEXTS, return_tensors="np", **kwargs)
    assert_same(ours(TEXTS, return_tensors="np", **kwargs), expected)
    # transformers' "tf" tensors are tf.constant of the same lists (int32); its TF side is not
    # importable next to Keras 3, so compare against its NumPy output.
    as_tf = ours(TEXTS, return_tensors="tf", **kwargs)
    for key, value in expected.items():
        assert as_tf[key].dtype.name == "int32"
        np.testing.assert_array_equal(as_tf[key].numpy(), value)


def test_overflow_with_stride_and_pad_to_multiple(vocab_file):
    ours, theirs = both(vocab_file)
    kwargs = dict(
        truncation="only_second",
        max_length=20,
        stride=4,
        return_overflowing_tokens=True,
        padding="max_length",
        **EXTRAS,
    )
    questions = ["what is it?", "who?"]
    contexts = [TEXTS[0] + " " + TEXTS[1], TEXTS[2]]
    assert_same(ours(questions, contexts, **kwargs), theirs(questions, contexts, **kwargs))
    kwargs = dict(padding=True, pad_to_multiple_of=8)
    assert_same(ours(TEXTS[:4], **kwargs), theirs(TEXTS[:4], **kwargs))


def test_decode_and_conversions(vocab_file):
    ours, theirs = both(vocab_file)
    for text in TEXTS:
        ids = theirs(text)["input_ids"]
        assert ours.decode(ids) == theirs.decode(ids)
        assert ours.decode(ids, skip_special_tokens=True) == theirs.decode(ids, skip_special_tokens=True)
        tokens = theirs.convert_ids_to_tokens(ids)
        assert ours.convert_ids_to_tokens(ids) == tokens
        assert ours.convert_tokens_to_ids(tokens) == theirs.convert_tokens_to_ids(tokens)
    batch = theirs(TEXTS[:3], padding=True)["input_ids"]
    assert ours.batch_decode(batch, skip_special_tokens=True) == theirs.batch_decode(batch, skip_special_tokens=True)
    assert ours.convert_tokens_to_ids("not-in-vocab") == theirs.unk_token_id
    for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id", "mask_token_id", "vocab_size"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert len(ours) == len(theirs)
    assert sorted(ours.all_special_ids) == sorted(theirs.all_special_ids)


def test_save_and_load_round_trip_and_transformers_reads_it(vocab_file, tmp_path):
    _, transformers = torch_or_skip()
    ours = ElectraTokenizerFast(vocab_file, do_lower_case=True)
    ours.save_pretrained(tmp_path)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        assert (tmp_path / name).is_file(), name
    again = ElectraTokenizer.from_pretrained(str(tmp_path))
    theirs = transformers.ElectraTokenizerFast.from_pretrained(str(tmp_path))
    for text in TEXTS:
        assert_same(again(text, **EXTRAS), theirs(text, **EXTRAS))
        assert again(text)["input_ids"] == ours(text)["input_ids"]
    theirs.save_pretrained(tmp_path / "hf")
    from_hf = ElectraTokenizer.from_pretrained(str(tmp_path / "hf"))
    assert from_hf(TEXTS[1])["input_ids"] == ours(TEXTS[1])["input_ids"]


def test_bad_inputs(vocab_file, tmp_path):
    with pytest.raises(TokenizerError, match="does not exist"):
        ElectraTokenizer(str(tmp_path / "missing.txt"))
    with pytest.raises(TokenizerError, match="is a folder; pass its vocab.txt, or load it with from_pretrained"):
        ElectraTokenizer(str(tmp_path))
    (tmp_path / "v.txt").write_text("a\nb\n")
    with pytest.raises(TokenizerError, match=r"v.txt.*\[UNK\]"):
        ElectraTokenizer(str(tmp_path / "v.txt"))
    (tmp_path / "bom.txt").write_text("\ufeff[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", encoding="utf-8")
    with pytest.raises(TokenizerError, match="bom.txt starts with a UTF-8 byte-order mark"):
        ElectraTokenizer(str(tmp_path / "bom.txt"))
    tok = ElectraTokenizer(vocab_file)
    with pytest.raises(TokenizerError, match="different lengths"):
        tok(["a", "a b c"], return_tensors="np")
    with pytest.raises(TokenizerError, match="padding"):
        tok("a", padding="sideways")
    with pytest.raises(TokenizerError, match="outside the vocabulary"):
        tok.decode([1, 10**6])
    with pytest.raises(TokenizerError, match="int"):
        tok(5)
    # padding to a huge length would make the Rust padder abort the whole process
    with pytest.raises(TokenizerError, match="pad to at most 1,048,576"):
        tok("a", padding="max_length", max_length=2**36)
    with pytest.raises(TokenizerError, match="pad to at most"):
        ElectraTokenizer(vocab_file, model_max_length=2**33)("a", padding="max_length")
    assert len(tok("a", truncation=True, max_length=2**36)["input_ids"]) == 3  # truncating to it allocates nothing


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda v: ElectraTokenizer(v, do_lower_case="yes"), "do_lower_case must be true or false, got 'yes'"),
        (lambda v: ElectraTokenizer(v, strip_accents="no"), "strip_accents must be true or false"),
        (lambda v: ElectraTokenizer(v, tokenize_chinese_chars=1), "tokenize_chinese_chars must be true or false"),
        (lambda v: ElectraTokenizer(v, padding_side="middle"), "padding_side must be 'left' or 'right'"),
        (lambda v: ElectraTokenizer(v, truncation_side=None), "truncation_side must be 'left' or 'right'"),
        (lambda v: ElectraTokenizer(v)("a b", stride=-1, truncation=True, max_length=3), "stride must be"),
        (lambda v: ElectraTokenizer(v)("a", padding=True, pad_to_multiple_of=-8), "pad_to_multiple_of must be"),
        (lambda v: ElectraTokenizer(v)("a", padding=True, padding_side="up"), "padding_side must be"),
    ],
)
def test_options_of_the_wrong_kind_are_refused_by_name(vocab_file, make, message):
    with pytest.raises(TokenizerError, match=message):
        make(vocab_file)


@pytest.mark.parametrize(
    "options,message",
    [
        ({"do_lower_case": "false"}, "do_lower_case must be true or false, got 'false'"),
        ({"strip_accents": 0}, "strip_accents must be true or false, got 0"),
        ({"padding_side": "LEFT"}, "padding_side must be 'left' or 'right'"),
    ],
)
def test_a_bad_option_in_tokenizer_config_json_names_the_file(vocab_file, tmp_path, options, message):
    ElectraTokenizer(vocab_file).save_pretrained(str(tmp_path))
    config_file = tmp_path / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config.update(options)
    config_file.write_text(json.dumps(config))
    with pytest.raises(TokenizerError, match=f"tokenizer_config.json: {message}") as info:
        ElectraTokenizer.from_pretrained(str(tmp_path))
    assert str(config_file) in str(info.value)


@pytest.mark.parametrize(
    "saved,given",
    [({}, {"do_lower_case": False}), ({"do_lower_case": False}, {"do_lower_case": True, "strip_accents": True})],
)
def test_options_given_to_from_pretrained_override_the_saved_tokenizer_json(tmp_path, saved, given):
    # transformers rewrites a loaded tokenizer.json's normalizer to the options it is given (or that
    # tokenizer_config.json holds); so must we, or "Hello" is lower-cased by a tokenizer that says it is cased
    _, transformers = torch_or_skip()
    vocab = make_vocab(tmp_path / "vocab.txt", texts=TEXTS + ["Hello Café World"], lower=False)
    ElectraTokenizer(vocab, **saved).save_pretrained(tmp_path / "saved")
    ours = ElectraTokenizer.from_pretrained(str(tmp_path / "saved"), **given)
    theirs = transformers.ElectraTokenizerFast.from_pretrained(str(tmp_path / "saved"), **given)
    for text in ["Hello Café World", *TEXTS]:
        assert_same(ours(text, **EXTRAS), theirs(text, **EXTRAS))
    ours.save_pretrained(tmp_path / "again")  # its tokenizer_config.json and tokenizer.json now agree
    again = ElectraTokenizer.from_pretrained(str(tmp_path / "again"))
    assert again("Hello Café")["input_ids"] == ours("Hello Café")["input_ids"]
    assert again.backend_tokenizer.normalizer.__getstate__() == ours.backend_tokenizer.normalizer.__getstate__()


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda t: t(["a b", "c d"], "ab"), "text_pair must be a list of as many, got a str"),  # was split into letters
        (lambda t: t("ab", ["c", "d"]), "the pair of text 0 is a list, not a string"),
        (lambda t: t([["a", "b"]], truncation=True, max_length=2), "no room for the 3 special tokens of a pair"),
        (lambda t: t([["a", "b", "c"]]), "text 0 is a list of 3; a pair is"),
        (lambda t: t("a\ud800b"), "text 0 holds '\\\\ud800' at character 1"),
        (lambda t: t("a b c d", truncation=True, max_length=4, stride=10, return_overflowing_tokens=True), "stride=10"),
        (lambda t: t.decode([1.5]), "token ids must be integers, got float64"),
        (lambda t: t.decode(None), "token ids must be integers, got NoneType"),
        (lambda t: t.decode("abc"), "token ids must be integers, got str"),
        (lambda t: t.decode([[2, 10], [11, 3]]), "one sequence of ids, got shape \\(2, 2\\); use batch_decode"),
        (lambda t: t.convert_ids_to_tokens(-1), "token id -1 is outside the vocabulary"),
        (lambda t: t.convert_ids_to_tokens([10**6]), "token id 1000000 is outside the vocabulary"),  # was [None]
        (lambda t: t.tokenize(None), "tokenize takes a string text, got NoneType"),
        (lambda t: t([["a", "b\ud800"]], is_split_into_words=True), "word 1 of text 0 holds '\\\\ud800'"),
        (lambda t: t([["a", 5]], is_split_into_words=True), "word 1 of text 0 is a int, not a string"),
        (lambda t: t.convert_tokens_to_ids(None), "tokens must be a string or a list of strings"),
        (lambda t: (setattr(t, "truncation_side", "middle"), t("a", truncation=True, max_length=3)), "'middle'"),
    ],
)
def test_wrong_texts_and_ids_are_one_tokenizer_error(vocab_file, call, message):
    with pytest.raises(TokenizerError, match=message):
        call(ElectraTokenizer(vocab_file))


def test_arrays_and_bools_convert_as_in_transformers(vocab_file):
    tok = ElectraTokenizer(vocab_file)
    assert tok.convert_tokens_to_ids(np.array(["[CLS]", "[SEP]"])) == [2, 3]
    assert tok.convert_ids_to_tokens(np.array(2)) == "[CLS]"  # a 0-d array is one id
    assert tok.decode([True, False]) == tok.decode([1, 0])


def test_a_tokenizer_pickles_and_copies_for_worker_processes(vocab_file):
    import copy
    import pickle

    tok = ElectraTokenizer(vocab_file, truncation_side="left")
    tok(TEXTS, padding=True)  # a configured backend (and its lock) in the cache
    for other in (pickle.loads(pickle.dumps(tok)), copy.deepcopy(tok)):
        assert other.truncation_side == "left"
        assert other(TEXTS, padding=True, truncation=True, max_length=6) == tok(
            TEXTS, padding=True, truncation=True, max_length=6
        )


class Recording:
    """A backend proxy noting the length of every text it encodes."""

    def __init__(self, backend, lengths):
        self.backend, self.lengths = backend, lengths

    def encode_batch(self, inputs, **kwargs):
        self.lengths += [len(p) for item in inputs for p in ([item] if isinstance(item, str) else item)]
        return self.backend.encode_batch(inputs, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(truncation=True, max_length=64),
        dict(truncation="only_first", max_length=64),
        dict(truncation="only_second", max_length=300),
        dict(truncation=True, max_length=512, padding="max_length"),
    ],
)
def test_a_text_of_megabytes_is_truncated_as_if_whole_but_never_tokenized_whole(vocab_file, monkeypatch, kwargs):
    """Was: `predict` on a 30 MB text (a book in one row) took 5.8 GB and 55 s to keep its first 128 tokens, and a
    pair of two 100,000-character texts ran out of memory (the Rust library makes every pair of overflow windows)."""
    from tf_electra.tokenization import inputs

    tokenizer = ElectraTokenizer(vocab_file)
    book = " ".join(TEXTS) * 30  # ~20,000 characters, every kind (whole, a pair of them still fits in memory)
    rows = [(book, TEXTS[0]), (TEXTS[1], TEXTS[2]), (TEXTS[3], "\u3000" + book)]
    rows = {"only_first": rows[:2], "only_second": rows[1:]}.get(kwargs["truncation"], rows)  # (the other: whole)
    keys = dict(return_offsets_mapping=True, return_special_tokens_mask=True)
    lengths = []
    get = tokenizer._backends.get
    monkeypatch.setattr(tokenizer._backends, "get", lambda *a: Recording(get(*a), lengths))
    batches = [tokenizer([a for a, _ in rows], [b for _, b in rows], **kwargs, **keys)]
    batches.append(tokenizer(book, **dict(kwargs, truncation=kwargs["truncation"] is True or "only_first"), **keys))
    assert max(lengths) < len(book) / 2
    # longest_first: which is longer decides the split, so two long texts stay whole
    both = ("x " + book, book) if kwargs["truncation"] is True else rows[-1]
    batches.append(tokenizer(*both, **kwargs, **keys))
    monkeypatch.setattr(inputs, "SHORTEN_FROM", 10**9)  # the whole texts
    whole = [tokenizer([a for a, _ in rows], [b for _, b in rows], **kwargs, **keys)]
    whole.append(tokenizer(book, **dict(kwargs, truncation=kwargs["truncation"] is True or "only_first"), **keys))
    whole.append(tokenizer(*both, **kwargs, **keys))
    for got, expected in zip(batches, whole):
        assert dict(got) == dict(expected)
