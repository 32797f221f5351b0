"""Padding and truncation settings, and a thread-safe cache of backends configured for them."""

import threading

from tokenizers import Tokenizer

from tf_electra.errors import TokenizerError
from tf_electra.utils.values import is_positive_int

TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second")
PADDING_STRATEGIES = ("longest", "max_length")

NO_LIMIT = int(1e30)  # transformers' VERY_LARGE_INTEGER: model_max_length None
MAX_PADDED_LENGTH = 1 << 20  # tokens per padded text; ELECTRA's longest is 512


def resolve_settings(padding, truncation, max_length, model_max_length):
    """Hugging Face's rules for the padding/truncation arguments -> (padding, truncation, max_length).

    Raises:
        TokenizerError: an unknown strategy, or a max_length that is not a positive integer.
    """
    if max_length is not None and padding is False and truncation is None:
        truncation = "longest_first"
    if padding is True:
        padding = "longest"
    elif padding in (False, None, "do_not_pad"):
        padding = None
    elif padding not in PADDING_STRATEGIES:
        raise TokenizerError(f"padding={padding!r}; use True/'longest', 'max_length' or False")
    if truncation is True:
        truncation = "longest_first"
    elif truncation in (False, None, "do_not_truncate"):
        truncation = None
    elif truncation not in TRUNCATION_STRATEGIES:
        raise TokenizerError(f"truncation={truncation!r}; use True or one of {TRUNCATION_STRATEGIES}")
    if max_length is None and (padding == "max_length" or truncation is not None):
        if model_max_length is None:  # a tokenizer without a length limit
            if padding == "max_length":
                raise TokenizerError("padding='max_length' needs max_length (this tokenizer has no model_max_length)")
            return padding, None, None
        max_length = model_max_length
    if max_length is not None and not is_positive_int(max_length):
        raise TokenizerError(f"max_length must be a positive integer, got {max_length!r}")
    if padding == "max_length" and max_length > MAX_PADDED_LENGTH:  # the Rust padder would abort the process
        raise TokenizerError(
            f"padding='max_length' to {max_length:,} tokens per text; pad to at most {MAX_PADDED_LENGTH:,} "
            "(pass a smaller max_length)"
        )
    return padding, truncation, max_length


def check_room_for_specials(max_length, pair):
    """Refuses a truncation length shorter than [CLS] A [SEP] (B [SEP]) needs (transformers would ignore it)."""
    specials = 3 if pair else 2
    if max_length < specials:
        raise TokenizerError(
            f"max_length={max_length} leaves no room for the {specials} special tokens of "
            f"{'a pair' if pair else 'a text'} ([CLS] ... [SEP]); use at least {specials}"
        )


# The options of a kind to check, and the values each kind allows (strip_accents: None means "as lower-casing").
OPTION_VALUES = {
    "do_lower_case": (True, False),
    "tokenize_chinese_chars": (True, False),
    "strip_accents": (True, False, None),
    "padding_side": ("left", "right"),
    "truncation_side": ("left", "right"),
}


def check_option(name, value):
    """Refuses a tokenizer option of the wrong kind (a string "false" would be truthy), naming the option."""
    allowed = OPTION_VALUES.get(name)
    if allowed is None:
        return
    if not any(value is a or (isinstance(a, str) and value == a) for a in allowed):
        if allowed[0] == "left":
            raise TokenizerError(f"{name} must be 'left' or 'right', got {value!r}")
        raise TokenizerError(f"{name} must be true or false, got {value!r}")


def check_options(do_lower_case, strip_accents, tokenize_chinese_chars, padding_side, truncation_side):
    """check_option for each of the tokenizer's options."""
    check_option("do_lower_case", do_lower_case)
    check_option("strip_accents", strip_accents)
    check_option("tokenize_chinese_chars", tokenize_chinese_chars)
    check_option("padding_side", padding_side)
    check_option("truncation_side", truncation_side)


class ConfiguredBackends:
    """Backends configured for each padding/truncation setting, made once and never reconfigured.

    The Rust tokenizer refuses to be reconfigured while another thread encodes with it ("Already
    borrowed"), so one shared, reconfigured backend fails under threads. Each distinct setting gets
    its own configured copy, made under a lock; encoding with a copy only reads it.

    Args:
        tokenizer: The ElectraTokenizer (its backend, pad token and sides).
    """

    MAX_ENTRIES = 64

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.cache = {}
        self.lock = threading.Lock()

    def get(self, padding, truncation, max_length, stride, pad_to_multiple_of, padding_side):
        if not isinstance(stride, int) or isinstance(stride, bool) or stride < 0:
            raise TokenizerError(f"stride must be a non-negative integer, got {stride!r}")
        if pad_to_multiple_of is not None and not is_positive_int(pad_to_multiple_of):
            raise TokenizerError(f"pad_to_multiple_of must be a positive integer or None, got {pad_to_multiple_of!r}")
        check_option("padding_side", padding_side)
        check_option("truncation_side", self.tokenizer.truncation_side)  # an attribute, set after construction
        key = (
            padding,
            truncation,
            max_length,
            stride,
            pad_to_multiple_of,
            padding_side,
            self.tokenizer.truncation_side,
        )
        backend = self.cache.get(key)
        if backend is None:
            with self.lock:
                try:
                    backend = self.cache.get(key) or self._make(key)
                except (ValueError, TypeError, OverflowError) as e:  # e.g. a stride the max_length leaves no room for
                    raise TokenizerError(f"cannot truncate to max_length={max_length} with stride={stride}: {e}") from e
        return backend

    def __getstate__(self):  # a lock cannot be pickled: copies (multiprocessing, deepcopy) get their own
        return {"tokenizer": self.tokenizer}

    def __setstate__(self, state):
        self.__init__(state["tokenizer"])

    def _make(self, key):
        padding, truncation, max_length, stride, pad_to_multiple_of, padding_side, truncation_side = key
        tok = self.tokenizer
        backend = Tokenizer.from_str(tok.backend_tokenizer.to_str())
        if truncation is not None:
            backend.enable_truncation(
                max_length=max_length, stride=stride, strategy=truncation, direction=truncation_side
            )
        if padding is not None:
            backend.enable_padding(
                length=max_length if padding == "max_length" else None,
                direction=padding_side,
                pad_id=tok.pad_token_id,
                pad_token=tok.pad_token,
                pad_type_id=tok.pad_token_type_id,
                pad_to_multiple_of=pad_to_multiple_of,
            )
        if len(self.cache) >= self.MAX_ENTRIES:  # settings rarely vary much; stay bounded anyway
            self.cache = {}
        self.cache[key] = backend
        return backend
