"""ElectraTokenizer: BERT WordPiece tokenization on the Rust `tokenizers` library.

The backend is built exactly as transformers builds `ElectraTokenizerFast`
from a vocab.txt (BertNormalizer, BertPreTokenizer, WordPiece with "##" and
100-character words, `[CLS] A [SEP] B [SEP]` template), and padding and
truncation are delegated to the backend the same way, so ids, type ids, masks
and offsets are identical. Batches are encoded in Rust, in parallel.
"""

import os

import numpy as np
from tokenizers import Tokenizer

from tf_electra.tokenization.backend import BatchEncoding
from tf_electra.tokenization.backend import TokenizerError
from tf_electra.tokenization.backend import build_backend
from tf_electra.tokenization.backend import clean_up_tokenization
from tf_electra.tokenization.backend import collect
from tf_electra.tokenization.backend import load_vocab
from tf_electra.tokenization.backend import match_normalizer
from tf_electra.tokenization.backend import to_tensors
from tf_electra.tokenization.conveniences import TokenizerConveniences
from tf_electra.tokenization.files import TOKENIZER_FILE
from tf_electra.tokenization.files import VOCAB_NAME
from tf_electra.tokenization.files import save_tokenizer
from tf_electra.tokenization.files import tokenizer_options
from tf_electra.tokenization.inputs import check_encodable
from tf_electra.tokenization.inputs import check_ids
from tf_electra.tokenization.inputs import prepare_texts
from tf_electra.tokenization.inputs import shorten_for_truncation
from tf_electra.tokenization.settings import NO_LIMIT
from tf_electra.tokenization.settings import ConfiguredBackends
from tf_electra.tokenization.settings import check_options
from tf_electra.tokenization.settings import check_room_for_specials
from tf_electra.tokenization.settings import resolve_settings
from tf_electra.utils.hub import resolve_model_dir
from tf_electra.utils.values import is_positive_int

SPECIAL_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


class ElectraTokenizer(TokenizerConveniences):
    """WordPiece tokenizer for ELECTRA, a drop-in for transformers' ElectraTokenizerFast.

    Args:
        vocab_file: Path of vocab.txt (one token per line; the id is the line number).
        tokenizer_file: Path of a tokenizer.json to use instead of building from vocab_file.
        do_lower_case: Lower-case the text.
        strip_accents: Strip accents; None means "as do_lower_case" (BERT's rule).
        tokenize_chinese_chars: Split CJK characters into their own words.
        unk_token, sep_token, pad_token, cls_token, mask_token: Special tokens (must be in the vocab).
        model_max_length: Length that `truncation=True` and `padding="max_length"` use
            when max_length is not given (512 for the released models).
        padding_side, truncation_side: "right" or "left".
        clean_up_tokenization_spaces: Default of `decode`'s clean-up.

    Raises:
        TokenizerError: the vocab file is missing or empty, or lacks a special token.

    Example:
        >>> tok = ElectraTokenizer.from_pretrained("path/to/model")
        >>> batch = tok(["a text", "another"], padding=True, return_tensors="np")
    """

    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]

    def __init__(
        self,
        vocab_file=None,
        tokenizer_file=None,
        do_lower_case=True,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        tokenize_chinese_chars=True,
        strip_accents=None,
        model_max_length=512,
        padding_side="right",
        truncation_side="right",
        clean_up_tokenization_spaces=True,
        **kwargs,
    ):
        self.special_tokens = dict(
            unk_token=str(unk_token),
            sep_token=str(sep_token),
            pad_token=str(pad_token),
            cls_token=str(cls_token),
            mask_token=str(mask_token),
        )
        check_options(do_lower_case, strip_accents, tokenize_chinese_chars, padding_side, truncation_side)
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        # None (as some tokenizer_config.json files hold) means no limit, as in transformers.
        self.model_max_length = NO_LIMIT if model_max_length is None else model_max_length
        if not is_positive_int(self.model_max_length):
            raise TokenizerError(f"model_max_length must be a positive integer or None, got {model_max_length!r}")
        self._backends = ConfiguredBackends(self)
        self.padding_side = padding_side
        self.truncation_side = truncation_side
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.init_kwargs = kwargs
        if tokenizer_file is not None:
            try:
                self._tokenizer = Tokenizer.from_file(tokenizer_file)
            except Exception as e:
                raise TokenizerError(f"{tokenizer_file} is not a valid tokenizer.json: {e}") from e
            match_normalizer(self._tokenizer, do_lower_case, strip_accents, tokenize_chinese_chars)
        elif vocab_file is not None:
            self._tokenizer = build_backend(
                load_vocab(vocab_file),
                do_lower_case,
                strip_accents,
                tokenize_chinese_chars,
                self.special_tokens,
                vocab_file,
            )
        else:
            raise TokenizerError("ElectraTokenizer needs a vocab_file (vocab.txt) or a tokenizer_file")
        for name, token in self.special_tokens.items():
            if self._tokenizer.token_to_id(token) is None:
                raise TokenizerError(f"the {name} {token!r} is not in the tokenizer's vocabulary")

    @property
    def backend_tokenizer(self):
        return self._tokenizer

    @property
    def vocab_size(self):
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self):
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self):
        return self._tokenizer.get_vocab(with_added_tokens=True)

    def __getattr__(self, name):
        # unk_token / cls_token_id / ... from the special-token table.
        special = self.__dict__.get("special_tokens", {})
        if name in special:
            return special[name]
        if name.endswith("_id") and name[:-3] in special:
            return self._tokenizer.token_to_id(special[name[:-3]])
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def all_special_tokens(self):
        return list(dict.fromkeys(self.special_tokens.values()))

    @property
    def all_special_ids(self):
        return [self._tokenizer.token_to_id(t) for t in self.all_special_tokens]

    @property
    def pad_token_type_id(self):
        return 0

    def __call__(
        self,
        text,
        text_pair=None,
        add_special_tokens=True,
        padding=False,
        truncation=None,
        max_length=None,
        stride=0,
        is_split_into_words=False,
        pad_to_multiple_of=None,
        padding_side=None,
        return_tensors=None,
        return_token_type_ids=None,
        return_attention_mask=None,
        return_overflowing_tokens=False,
        return_special_tokens_mask=False,
        return_offsets_mapping=False,
        return_length=False,
        **kwargs,
    ):
        """Encodes one text, a pair, or a batch of texts or pairs.

        Returns:
            BatchEncoding with input_ids, token_type_ids, attention_mask (and
            offset_mapping, special_tokens_mask, length, overflow_to_sample_mapping
            when asked); lists, or arrays with return_tensors="np" / "tf".
        """
        batched, inputs, is_pair = prepare_texts(text, text_pair, is_split_into_words)
        padding, truncation, max_length = resolve_settings(padding, truncation, max_length, self.length_limit())
        if truncation is not None and add_special_tokens:
            check_room_for_specials(max_length, pair=is_pair)
        if not (is_split_into_words or return_overflowing_tokens):  # (overflow windows need the whole text)
            inputs = shorten_for_truncation(inputs, truncation, max_length, self._tokenizer)
        backend = self._backends.get(
            padding, truncation, max_length, stride, pad_to_multiple_of, padding_side or self.padding_side
        )
        try:
            encodings = backend.encode_batch(
                inputs, add_special_tokens=add_special_tokens, is_pretokenized=is_split_into_words
            )
        except BaseException as e:  # plain Exceptions, or a Rust panic (pyo3's PanicException is a BaseException)
            if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            raise TokenizerError(
                f"cannot encode with padding={padding!r}, truncation={truncation!r}, max_length={max_length}: {e}"
            ) from e
        wanted = {
            "input_ids": True,
            "token_type_ids": True if return_token_type_ids is None else return_token_type_ids,
            "attention_mask": True if return_attention_mask is None else return_attention_mask,
            "special_tokens_mask": return_special_tokens_mask,
            "offset_mapping": return_offsets_mapping,
            "length": return_length,
        }
        data, flat = collect(encodings, [k for k, on in wanted.items() if on], return_overflowing_tokens)
        if not batched and return_tensors is None and not return_overflowing_tokens:
            data = {key: value[0] for key, value in data.items()}
        return BatchEncoding(to_tensors(data, return_tensors), flat)

    def encode(self, text, text_pair=None, add_special_tokens=True, **kwargs):
        """Token ids of one text (or pair)."""
        return self(text, text_pair, add_special_tokens=add_special_tokens, **kwargs)["input_ids"]

    def tokenize(self, text, pair=None, add_special_tokens=False):
        """Word pieces of a text, as strings."""
        for name, value in (("text", text), ("pair", pair)):
            if not isinstance(value, str) and (name == "text" or value is not None):
                raise TokenizerError(f"tokenize takes a string {name}, got {type(value).__name__}")
            if value is not None:
                check_encodable(value, name)
        return self._tokenizer.encode(text, pair, add_special_tokens=add_special_tokens).tokens

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            found = self._tokenizer.token_to_id(tokens)
            return self.unk_token_id if found is None else found
        if isinstance(tokens, np.ndarray):
            tokens = tokens.tolist()
        if not isinstance(tokens, (list, tuple)):
            raise TokenizerError(f"tokens must be a string or a list of strings, got {type(tokens).__name__}")
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        if isinstance(ids, (int, np.integer)) or (isinstance(ids, np.ndarray) and ids.ndim == 0):
            return self._tokenizer.id_to_token(check_ids([ids], len(self))[0])
        special = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._tokenizer.id_to_token(i) for i in check_ids(ids, len(self)) if i not in special]

    def decode(self, token_ids, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        """Text of a sequence of ids (word pieces joined back)."""
        ids = check_ids(token_ids, len(self))
        text = self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        clean = (
            self.clean_up_tokenization_spaces if clean_up_tokenization_spaces is None else clean_up_tokenization_spaces
        )
        return clean_up_tokenization(text) if clean else text

    def batch_decode(self, sequences, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        return [self.decode(s, skip_special_tokens, clean_up_tokenization_spaces) for s in sequences]

    def save_pretrained(self, directory):
        """Writes vocab.txt, tokenizer.json, tokenizer_config.json and special_tokens_map.json."""
        return save_tokenizer(self, directory)

    @classmethod
    def from_pretrained(cls, path, **overrides):
        """Loads from a folder (tokenizer.json, else vocab.txt, plus tokenizer_config.json) or a vocab file.

        Raises:
            TokenizerError: no vocabulary, or an unreadable tokenizer_config.json (naming the file).
        """
        if path is None or not isinstance(path, (str, os.PathLike)):
            raise TokenizerError(f"from_pretrained needs a folder or vocab file path, got {type(path).__name__}")
        if os.path.isfile(path):
            return cls(vocab_file=path, **overrides)
        directory = resolve_model_dir(path)
        options = dict(tokenizer_options(directory), **overrides)
        tokenizer_file = os.path.join(directory, TOKENIZER_FILE)
        vocab_file = os.path.join(directory, VOCAB_NAME)
        if os.path.isfile(tokenizer_file):  # as transformers does: tokenizer.json wins
            return cls(tokenizer_file=tokenizer_file, **options)
        if os.path.isfile(vocab_file):
            return cls(vocab_file=vocab_file, **options)
        raise TokenizerError(f"{directory} has neither {VOCAB_NAME} nor {TOKENIZER_FILE}")


ElectraTokenizerFast = ElectraTokenizer
