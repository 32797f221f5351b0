"""The pieces ElectraTokenizer is built from: the vocab reader, the Rust backend, and the output type."""

import json
import os

import numpy as np
from tokenizers import AddedToken
from tokenizers import Tokenizer
from tokenizers import decoders
from tokenizers import normalizers
from tokenizers import pre_tokenizers
from tokenizers import processors
from tokenizers.models import WordPiece

from tf_electra.errors import TokenizerError


def load_vocab(vocab_file):
    """Reads vocab.txt into {token: id}; the id is the line number (from 0).

    Raises:
        TokenizerError: a missing or empty file, a line that is not UTF-8, or a token listed twice
            (which would shift every later id), naming the file and the lines.
    """
    if os.path.isdir(vocab_file):
        raise TokenizerError(f"{vocab_file} is a folder; pass its vocab.txt, or load it with from_pretrained")
    if not os.path.isfile(vocab_file):
        raise TokenizerError(f"{vocab_file} does not exist (expected a vocab.txt with one token per line)")
    with open(vocab_file, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    vocab = {}
    for index, raw in enumerate(lines):
        try:
            token = raw.decode("utf-8").removesuffix("\r")  # a Windows line end
        except UnicodeDecodeError as e:
            raise TokenizerError(f"{vocab_file}:{index + 1} is not UTF-8 text ({e.reason} at byte {e.start})") from None
        if index == 0 and token.startswith("\ufeff"):  # the id of every token is its line: no BOM may shift one
            raise TokenizerError(f"{vocab_file} starts with a UTF-8 byte-order mark; save it without one")
        if token in vocab:
            raise TokenizerError(
                f"{vocab_file}: the token {token!r} appears on line {vocab[token] + 1} and again on line {index + 1}; "
                "a vocabulary lists each token once"
            )
        vocab[token] = index
    if not vocab:
        raise TokenizerError(f"{vocab_file} is empty")
    return vocab


def match_normalizer(tokenizer, do_lower_case, strip_accents, tokenize_chinese_chars):
    """Sets a loaded tokenizer.json's BertNormalizer to the options the tokenizer was given (as transformers'
    fast tokenizers do), so `from_pretrained(folder, do_lower_case=False)` and tokenizer_config.json hold."""
    if tokenizer.normalizer is None:
        return
    state = json.loads(tokenizer.normalizer.__getstate__())
    if state.pop("type", None) != "BertNormalizer":
        return
    wanted = {
        "lowercase": do_lower_case,
        "strip_accents": strip_accents,
        "handle_chinese_chars": tokenize_chinese_chars,
    }
    if any(state.get(key, value) != value for key, value in wanted.items()):
        tokenizer.normalizer = normalizers.BertNormalizer(**dict(state, **wanted))


def build_backend(vocab, do_lower_case, strip_accents, tokenize_chinese_chars, special_tokens, vocab_file="vocab"):
    """A `tokenizers.Tokenizer` identical to transformers' ElectraTokenizerFast for this vocab."""
    for name, token in special_tokens.items():
        if token not in vocab:
            raise TokenizerError(f"{vocab_file}: the {name} {token!r} is not in the vocabulary")
    tokenizer = Tokenizer(WordPiece(vocab, unk_token=special_tokens["unk_token"], max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=tokenize_chinese_chars,
        strip_accents=strip_accents,
        lowercase=do_lower_case,
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = special_tokens["cls_token"], special_tokens["sep_token"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    # Special tokens typed in the text are matched before normalization, as transformers does.
    order = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
    tokenizer.add_special_tokens([AddedToken(special_tokens[n], special=True, normalized=False) for n in order])
    return tokenizer


def text_only(backend):
    """A copy of `backend` that matches no special token in the text: "[SEP]" in a line is "[", "sep", "]", as
    the original BERT/ELECTRA FullTokenizer splits it (pre-training data must not get special ids from text)."""
    state = json.loads(backend.to_str())
    state["added_tokens"] = []
    return Tokenizer.from_str(json.dumps(state))


def collect(encodings, keys, overflowing=False):
    """({key: [value per sequence]}, the flat list of encodings) from the backend's encodings.

    With `overflowing`, each encoding's overflow windows follow it and `overflow_to_sample_mapping`
    tells which input each sequence came from.
    """
    flat, mapping = [], []
    for index, encoding in enumerate(encodings):
        for part in [encoding] + (list(encoding.overflowing) if overflowing else []):
            flat.append(part)
            mapping.append(index)
    fields = {
        "input_ids": lambda e: e.ids,
        "token_type_ids": lambda e: e.type_ids,
        "attention_mask": lambda e: e.attention_mask,
        "special_tokens_mask": lambda e: e.special_tokens_mask,
        "offset_mapping": lambda e: e.offsets,
        "length": lambda e: len(e.ids),
    }
    data = {key: [fields[key](e) for e in flat] for key in keys}
    if overflowing:
        data["overflow_to_sample_mapping"] = mapping
    return data, flat


class BatchEncoding(dict):
    """Encoder output: a dict of lists or tensors, with the backend encodings for alignment.

    `enc["input_ids"]`, `enc.input_ids`, `enc.word_ids(i)`, `enc.sequence_ids(i)`.
    """

    def __init__(self, data, encodings=None):
        super().__init__(data)
        self.encodings = encodings or []

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def _encoding(self, batch_index):
        if not self.encodings:
            raise TokenizerError("this BatchEncoding holds no encodings to align with (made by pad or from arrays)")
        return self.encodings[batch_index]

    def tokens(self, batch_index=0):
        return self._encoding(batch_index).tokens

    def word_ids(self, batch_index=0):
        return self._encoding(batch_index).word_ids

    def sequence_ids(self, batch_index=0):
        return self._encoding(batch_index).sequence_ids

    # As in transformers, with one index the sequence is the first (batch index 0) and the index is the second.
    def char_to_token(self, batch_or_char_index, char_index=None, sequence_index=0):
        batch, char = (0, batch_or_char_index) if char_index is None else (batch_or_char_index, char_index)
        return self._encoding(batch).char_to_token(char, sequence_index)

    def char_to_word(self, batch_or_char_index, char_index=None, sequence_index=0):
        batch, char = (0, batch_or_char_index) if char_index is None else (batch_or_char_index, char_index)
        return self._encoding(batch).char_to_word(char, sequence_index)

    def token_to_chars(self, batch_or_token_index, token_index=None):
        batch, token = (0, batch_or_token_index) if token_index is None else (batch_or_token_index, token_index)
        return self._encoding(batch).token_to_chars(token)

    def token_to_word(self, batch_or_token_index, token_index=None):
        batch, token = (0, batch_or_token_index) if token_index is None else (batch_or_token_index, token_index)
        return self._encoding(batch).token_to_word(token)

    def word_to_tokens(self, batch_or_word_index, word_index=None, sequence_index=0):
        batch, word = (0, batch_or_word_index) if word_index is None else (batch_or_word_index, word_index)
        return self._encoding(batch).word_to_tokens(word, sequence_index)


def to_tensors(data, return_tensors):
    if return_tensors is None:
        return data
    if return_tensors not in ("np", "tf"):
        raise TokenizerError(f"return_tensors={return_tensors!r} is not supported; use None, 'np' or 'tf'")
    out = {}
    for key, value in data.items():
        lengths = {len(v) for v in value} if value and isinstance(value[0], (list, tuple)) else None
        if lengths is not None and len(lengths) > 1:
            raise TokenizerError(
                f"cannot make a tensor of {key}: the sequences have different lengths {sorted(lengths)}; "
                "pass padding=True (and truncation=True) to get equal lengths"
            )
        array = np.array(value)
        if return_tensors == "tf":
            import tensorflow as tf

            array = tf.constant(value)
        out[key] = array
    return out


def clean_up_tokenization(text):
    """Removes spaces before punctuation and contractions, as transformers' decode does."""
    for before, after in (
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ):
        text = text.replace(before, after)
    return text
