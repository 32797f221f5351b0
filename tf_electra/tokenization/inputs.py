"""What ElectraTokenizer accepts: texts, pairs and token ids, checked before they reach the Rust library."""

import re

import numpy as np

from tf_electra.errors import TokenizerError


def prepare_texts(text, text_pair, is_split_into_words):
    """The tokenizer call's inputs -> (batched, inputs for `encode_batch`, whether they are pairs).

    Raises:
        TokenizerError: a text that is not a string (or a list of words), a pair list of another
            length, or one string given as the pairs of a batch of texts.
    """
    if is_split_into_words:
        batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
    else:
        batched = isinstance(text, (list, tuple))
    if not batched and not isinstance(text, (str, list, tuple)):
        raise TokenizerError(f"text must be a string or a list of strings, got {type(text).__name__}")
    texts = list(text) if batched else [text]
    if not batched and not text_pair:
        text_pair = None  # transformers encodes a single text with an empty pair as a single text
    if text_pair is not None:
        if batched and not isinstance(text_pair, (list, tuple)):
            raise TokenizerError(
                f"text is a list of {len(texts)} texts, so text_pair must be a list of as many, "
                f"got a {type(text_pair).__name__}"
            )
        pairs = list(text_pair) if batched else [text_pair]
        if len(pairs) != len(texts):
            raise TokenizerError(f"got {len(texts)} texts but {len(pairs)} text pairs")
        inputs = list(zip(texts, pairs))
    else:
        inputs = texts
    pairs_given = text_pair is not None
    for i, item in enumerate(inputs):
        parts = item if isinstance(item, tuple) else (item,)
        if batched and not is_split_into_words and isinstance(item, list):  # [text, text_pair], as in transformers
            if len(item) != 2:
                raise TokenizerError(f"text {i} is a list of {len(item)}; a pair is [text, text_pair]")
            parts = item
        pairs_given = pairs_given or len(parts) == 2
        for j, part in enumerate(parts):
            name = f"text {i}" if j == 0 else f"the pair of text {i}"
            if isinstance(part, str):
                check_encodable(part, name)
            elif is_split_into_words and isinstance(part, (list, tuple)):
                for k, word in enumerate(part):
                    if not isinstance(word, str):
                        raise TokenizerError(f"word {k} of {name} is a {type(word).__name__}, not a string")
                    check_encodable(word, f"word {k} of {name}")
            else:
                raise TokenizerError(f"{name} is a {type(part).__name__}, not a string")
    return batched, inputs, pairs_given


# Characters (at least 16 per token of max_length): a longer text that truncation cuts is tokenized only as far
# as it can use. The Rust library makes every overflow window of a truncated text, asked for or not, and of a pair
# every combination of both texts' windows: two texts of 100,000 characters ran out of 24 GB at max_length 64.
SHORTEN_FROM = 4096
# BERT's whitespace, which its normalizer keeps and its pre-tokenizer splits at: a cut there splits no word.
_SPACE = re.compile("[ \t\n\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def shorten_for_truncation(inputs, truncation, max_length, backend):
    """`inputs` with each long text that `truncation` cuts replaced by a prefix ending at whitespace that still
    holds more than `max_length` tokens: the tokens, offsets and truncation are the same, but a text of megabytes
    (a book in one row: 30 MB took 5.8 GB and 55 s to give 128 tokens) is not tokenized whole.

    Args:
        inputs: `prepare_texts`' inputs (strings, or (text, pair) tuples / [text, pair] lists).
        backend: The `tokenizers.Tokenizer` without truncation or padding.
    """
    sides = {"longest_first": (0, 1), "only_first": (0,), "only_second": (1,)}.get(truncation, ())
    if not sides or max_length is None:
        return inputs
    start = max(SHORTEN_FROM, 16 * max_length)

    def count(text):
        return len(backend.encode(text, add_special_tokens=False).ids)

    def shorten(text, more=0):  # a prefix of more than max_length + more tokens
        end = start
        while len(text) > end:
            space = _SPACE.search(text, end)
            if space is None:
                break
            if count(text[: space.start()]) > max_length + more:
                return text[: space.start()]
            end = 2 * space.end()
        return text

    out = []
    for item in inputs:
        if isinstance(item, str):
            out.append(shorten(item) if 0 in sides else item)
            continue
        parts = list(item)
        long = [j in sides and isinstance(p, str) and len(p) > start for j, p in enumerate(parts)]
        if truncation == "longest_first" and all(long):
            pass  # which one is longer decides the split: only whole texts tell (kept whole)
        elif truncation == "longest_first" and any(long):  # the other's length too, so the longer stays longer
            j = long.index(True)
            parts[j] = shorten(parts[j], more=count(parts[1 - j]) if isinstance(parts[1 - j], str) else 0)
        else:
            parts = [shorten(p) if is_long else p for p, is_long in zip(parts, long)]
        out.append(type(item)(parts))
    return out


def check_encodable(text, name):
    """Refuses a string the Rust library cannot take (a lone surrogate), naming it and the position."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise TokenizerError(
            f"{name} holds {text[e.start]!r} at character {e.start}, which is not valid Unicode"
        ) from None


def check_ids(token_ids, size, one_sequence=True):
    """Token ids as a list of ints, each in [0, size).

    Raises:
        TokenizerError: ids that are not integers, a nested list where one sequence is wanted, or an id
            outside the vocabulary (named).
    """
    if token_ids is None or isinstance(token_ids, (str, bytes)):
        raise TokenizerError(f"token ids must be integers, got {type(token_ids).__name__}")
    ids = np.asarray(token_ids)
    if ids.dtype == bool:
        ids = ids.astype(np.int64)
    if ids.dtype == object or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
        raise TokenizerError(f"token ids must be integers, got {ids.dtype} values")
    if one_sequence and ids.ndim > 1:
        raise TokenizerError(f"decode takes one sequence of ids, got shape {ids.shape}; use batch_decode for several")
    ids = ids.reshape(-1).tolist()
    for i in ids:
        if not 0 <= i < size:
            raise TokenizerError(f"token id {i} is outside the vocabulary [0, {size})")
    return ids
