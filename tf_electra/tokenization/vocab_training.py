"""Training a BERT-style uncased WordPiece vocabulary with the `tokenizers` library's trainer.

The vocabulary starts with BERT's special tokens in BERT's order ([PAD] = 0, [UNK], [CLS], [SEP],
[MASK]), uses the same normalizer and pre-tokenizer as ElectraTokenizer (so every training word is
split the way it will be tokenized), and marks word pieces with "##".
"""

import collections
import itertools
import re
import threading
import warnings

from tokenizers import Tokenizer
from tokenizers import normalizers
from tokenizers import pre_tokenizers
from tokenizers import trainers
from tokenizers.models import WordPiece

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.text_files import check_text_files
from tf_electra.utils.text_files import file_stamp
from tf_electra.utils.text_files import read_lines
from tf_electra.utils.values import is_positive_int

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# A run of 1,000+ letters and digits (not Chinese, which BERT splits per character) is one word of over 100
# characters, which WordPiece maps to [UNK]; the trainer's time grows with its square (400,000: 84 s).
LONG_WORD = re.compile(r"[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]{1000,}")
PIECE_CHARS = 100_000  # a longer line goes to the trainer in pieces cut at whitespace (less memory, same words)
_SPACE = re.compile(r"\s")

MAX_VOCAB_SIZE = 1 << 24  # 16,777,216 ids; far beyond any WordPiece vocabulary


def train_vocab(
    files=(),
    vocab_size=30522,
    output=None,
    texts=None,
    lowercase=True,
    strip_accents=None,
    min_frequency=2,
    limit_alphabet=1000,
    show_progress=False,
):
    """Trains a WordPiece vocabulary on text files (or strings).

    Args:
        files: Text file paths (.txt, .gz, .bz2; UTF-8), one sentence or paragraph per line.
        vocab_size: The largest vocabulary to build (a small corpus may give fewer tokens).
        output: Where to write vocab.txt (atomically); None writes nothing.
        texts: Strings to train on instead of (or besides) files.
        lowercase: Lower-case the text (an uncased vocabulary, as ELECTRA's released ones).
        strip_accents: Strip accents; None means "as lowercase" (BERT's rule).
        min_frequency: Pieces seen fewer times are not added.
        limit_alphabet: The most single characters to keep.
        show_progress: The tokenizers library's progress bar.

    Returns:
        The tokens in id order.

    Raises:
        ConfigError: a vocab_size too small for the special tokens.
        DataError: a missing, empty or non-UTF-8 file (naming it), or no text at all.
    """
    if not is_positive_int(vocab_size) or vocab_size <= len(SPECIAL_TOKENS):
        raise ConfigError(f"vocab_size must be an integer above {len(SPECIAL_TOKENS)}, got {vocab_size!r}")
    if vocab_size > MAX_VOCAB_SIZE:  # the trainer allocates for the size asked: 1e9 aborts the process
        raise ConfigError(f"vocab_size must be at most {MAX_VOCAB_SIZE:,} (BERT's is 30,522), got {vocab_size:,}")
    if not is_positive_int(min_frequency) or min_frequency >= 2**63:  # the trainer's u64: beyond it, an OverflowError
        raise ConfigError(f"min_frequency must be a whole number from 1 to 2**63 - 1, got {min_frequency!r}")
    if limit_alphabet is not None and not is_positive_int(limit_alphabet):
        raise ConfigError(f"limit_alphabet must be a positive integer or None, got {limit_alphabet!r}")
    if isinstance(texts, (str, bytes)):  # (else trained on its letters, one by one)
        raise ConfigError(f"texts must be a list of strings, got one {type(texts).__name__}: pass [text]")
    paths = check_text_files(files) if files or texts is None else []
    texts = texts if texts is None or isinstance(texts, (list, tuple)) else list(texts)  # read more than once
    stamps = [file_stamp(path) for path in paths]

    def lines():
        lines = itertools.chain((line for path in paths for line in read_lines(path)), _strings(texts))
        return (piece for line in lines for piece in _pieces(line))

    # The trainer numbers the characters that continue a word ("##e") in hash order, which differs from process
    # to process, and breaks ties between equally frequent pairs by those numbers: the same text gave another
    # vocabulary in every run. A first pass without merges finds the alphabet; the real one is given it in order.
    first = _train(lines(), len(SPECIAL_TOKENS) + 1, lowercase, strip_accents, show_progress=show_progress)
    alphabet, continuing = _alphabet(first)
    if limit_alphabet is not None and len(alphabet) > limit_alphabet:  # the most frequent ones; ties by code point
        counts = _character_counts(lines(), lowercase, strip_accents)
        alphabet = sorted(sorted(alphabet, key=lambda c: -counts[c])[:limit_alphabet])
    kept = SPECIAL_TOKENS + tuple(alphabet) + tuple("##" + c for c in alphabet if c in continuing)
    tokenizer = _train(
        lines(), vocab_size, lowercase, strip_accents, min_frequency, kept, alphabet, show_progress=show_progress
    )
    for path, stamp in zip(paths, stamps):  # read two or three times: one version in all
        if file_stamp(path) != stamp:
            raise DataError(f"{path} changed while the vocabulary was trained; train again once it is complete")
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    if len(tokens) <= len(SPECIAL_TOKENS):
        raise DataError("the text holds no words to build a vocabulary from")
    if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:  # the trainer adds them first; never trust silently
        raise DataError(f"the trained vocabulary does not start with {SPECIAL_TOKENS}: {tokens[:5]}")
    if len(tokens) > vocab_size:  # the trainer keeps every character of the alphabet, whatever the size asked
        warnings.warn(
            f"the vocabulary has {len(tokens):,} tokens, more than vocab_size {vocab_size:,}: the text's alphabet "
            "(its characters and their ## forms) alone needs that many; ask for more, or lower limit_alphabet "
            "(--limit-alphabet)",
            UserWarning,
            stacklevel=2,
        )
    if output is not None:
        atomic_write_text(output, "".join(token + "\n" for token in tokens))
    return tokens


def _strings(texts):
    for i, text in enumerate(texts if texts is not None else ()):
        if not isinstance(text, str):  # (str() trained on "None", "b'...'" and brackets)
            raise DataError(f"texts[{i}] is {type(text).__name__}, not a string")
        yield text


def _train(
    lines,
    vocab_size,
    lowercase,
    strip_accents,
    min_frequency=2,
    special=SPECIAL_TOKENS,
    alphabet=None,
    show_progress=False,
):
    """A WordPiece tokenizer trained on `lines`; `alphabet` (when given) is the whole alphabet kept."""
    tokenizer = Tokenizer(WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = _normalizer(lowercase, strip_accents)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special),
        continuing_subword_prefix="##",
        show_progress=show_progress,
        **({} if alphabet is None else {"limit_alphabet": len(alphabet), "initial_alphabet": list(alphabet)}),
    )
    _train_interruptibly(tokenizer, lines, trainer)
    return tokenizer


def _train_interruptibly(tokenizer, lines, trainer):
    """Trains in a daemon thread while this one waits in short steps, so that Ctrl-C interrupts at once (the
    trainer's Rust code returns to Python only when it is done; a signal waits for the main thread: ~9 s). After
    Ctrl-C the trainer's next read of the text fails, so it ends before Python shuts down (else it read from a
    finalized interpreter: a Rust panic and its backtrace after "interrupted")."""
    if threading.current_thread() is not threading.main_thread():
        return tokenizer.train_from_iterator(lines, trainer=trainer)
    stop, result = threading.Event(), []

    def read():
        for line in lines:
            if stop.is_set():
                raise KeyboardInterrupt("the vocabulary's training was interrupted")
            yield line

    def target():
        try:
            result.append((True, tokenizer.train_from_iterator(read(), trainer=trainer)))
        except BaseException as e:  # raised again in the caller's thread
            result.append((False, e))
        finally:
            done.set()

    # An Event, not Thread.join: Python 3.11's join, interrupted, marks a running thread as ended (bpo-45274).
    done = threading.Event()
    threading.Thread(target=target, name="tf-electra-vocab-trainer", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        stop.set()
        done.wait(2.0)  # reading: it stops at its next line; merging, it calls no Python code until it is done
        raise
    ok, value = result[0]
    if not ok:
        raise value
    return value


def _normalizer(lowercase, strip_accents):
    return normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=strip_accents, lowercase=lowercase
    )


def _alphabet(tokenizer):
    """(the characters of a tokenizer trained without merges, in code point order; those that continue words)."""
    tokens = [t for t in tokenizer.get_vocab(with_added_tokens=False) if t not in SPECIAL_TOKENS]
    return sorted(t for t in tokens if len(t) == 1), {t[2:] for t in tokens if len(t) == 3 and t.startswith("##")}


def _character_counts(lines, lowercase, strip_accents):
    """How often each character occurs in the normalized text (what the trainer ranks its alphabet by)."""
    normalizer, counts = _normalizer(lowercase, strip_accents), collections.Counter()
    for line in lines:
        counts.update(normalizer.normalize_str(line))
    return counts


def _pieces(line):
    """A line as the trainer takes it: without words of 1,000+ characters, and in pieces of about PIECE_CHARS
    cut at whitespace (one 50 MB line took 3.8 GB, the same text in lines 1.3 GB)."""
    if len(line) >= 1000:
        line = LONG_WORD.sub(" ", line)
    start = 0
    while len(line) - start > PIECE_CHARS:
        space = _SPACE.search(line, start + PIECE_CHARS)
        if space is None:
            break
        yield line[start : space.start()]
        start = space.end()
    yield line[start:]
