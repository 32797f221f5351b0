"""Training a BERT-style uncased WordPiece vocabulary with the `tokenizers` library's trainer.

The vocabulary starts with BERT's special tokens in BERT's order ([PAD] = 0, [UNK], [CLS], [SEP],
[MASK]), uses the same normalizer and pre-tokenizer as ElectraTokenizer (so every training word is
split the way it will be tokenized), and marks word pieces with "##".
"""

import itertools
import re
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
    paths = check_text_files(files) if files or texts is None else []
    lines = itertools.chain((line for path in paths for line in read_lines(path)), (str(t) for t in texts or ()))
    lines = (piece for line in lines for piece in _pieces(line))
    tokenizer = Tokenizer(WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=strip_accents, lowercase=lowercase
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        limit_alphabet=limit_alphabet,
        continuing_subword_prefix="##",
        show_progress=show_progress,
    )
    tokenizer.train_from_iterator(lines, trainer=trainer)
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    if len(tokens) <= len(SPECIAL_TOKENS):
        raise DataError("the text holds no words to build a vocabulary from")
    if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:  # the trainer adds them first; never trust silently
        raise DataError(f"the trained vocabulary does not start with {SPECIAL_TOKENS}: {tokens[:5]}")
    if len(tokens) > vocab_size:  # the trainer keeps every character of the alphabet, whatever the size asked
        warnings.warn(
            f"the vocabulary has {len(tokens):,} tokens, more than vocab_size {vocab_size:,}: the text's alphabet "
            "(its characters and their ## forms) alone needs that many; ask for more, or lower limit_alphabet",
            UserWarning,
            stacklevel=2,
        )
    if output is not None:
        atomic_write_text(output, "".join(token + "\n" for token in tokens))
    return tokens


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
