"""ElectraTokenizer: BERT WordPiece tokenization on the Rust `tokenizers` library.

The backend is built exactly as transformers builds `ElectraTokenizerFast`
from a vocab.txt (BertNormalizer, BertPreTokenizer, WordPiece with "##" and
100-character words, `[CLS] A [SEP] B [SEP]` template), and padding and
truncation are delegated to the backend the same way, so ids, type ids, masks
and offsets are identical. Batches are encoded in Rust, in parallel.
"""

import json
import os

import numpy as np
from tokenizers import Tokenizer

from tf_electra.tokenization.backend import BatchEncoding
from tf_electra.tokenization.backend import TokenizerError
from tf_electra.tokenization.backend import build_backend
from tf_electra.tokenization.backend import clean_up_tokenization
from tf_electra.tokenization.backend import load_vocab
from tf_electra.tokenization.backend import to_tensors
from tf_electra.utils.files import atomic_write_text

VOCAB_NAME = "vocab.txt"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
SPECIAL_TOKENS_MAP = "special_tokens_map.json"
SPECIAL_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second")
PADDING_STRATEGIES = ("longest", "max_length")


class ElectraTokenizer:
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
            unk_token=str(unk_token), sep_token=str(sep_token), pad_token=str(pad_token),
            cls_token=str(cls_token), mask_token=str(mask_token),
        )
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.model_max_length = int(model_max_length)
        self.padding_side = padding_side
        self.truncation_side = truncation_side
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.init_kwargs = kwargs
        if tokenizer_file is not None:
            try:
                self._tokenizer = Tokenizer.from_file(tokenizer_file)
            except Exception as e:
                raise TokenizerError(f"{tokenizer_file} is not a valid tokenizer.json: {e}") from e
        elif vocab_file is not None:
            self._tokenizer = build_backend(
                load_vocab(vocab_file), do_lower_case, strip_accents, tokenize_chinese_chars,
                self.special_tokens, vocab_file,
            )
        else:
            raise TokenizerError("ElectraTokenizer needs a vocab_file (vocab.txt) or a tokenizer_file")
        for name, token in self.special_tokens.items():
            if self._tokenizer.token_to_id(token) is None:
                raise TokenizerError(f"the {name} {token!r} is not in the tokenizer's vocabulary")

    # ------------------------------------------------------------------ properties

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

    # ------------------------------------------------------------------ encoding

    def _strategies(self, padding, truncation, max_length):
        """Hugging Face's rules for padding/truncation arguments -> (padding, truncation, max_length)."""
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
            max_length = self.model_max_length
        return padding, truncation, max_length

    def _configure(self, padding, truncation, max_length, stride, pad_to_multiple_of, padding_side):
        backend = self._tokenizer
        if truncation is None:
            if backend.truncation is not None:
                backend.no_truncation()
        else:
            backend.enable_truncation(
                max_length=max_length, stride=stride, strategy=truncation, direction=self.truncation_side
            )
        if padding is None:
            if backend.padding is not None:
                backend.no_padding()
        else:
            backend.enable_padding(
                length=max_length if padding == "max_length" else None,
                direction=padding_side or self.padding_side,
                pad_id=self.pad_token_id,
                pad_token=self.pad_token,
                pad_type_id=self.pad_token_type_id,
                pad_to_multiple_of=pad_to_multiple_of,
            )

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
        if is_split_into_words:
            batched = isinstance(text, (list, tuple)) and text and isinstance(text[0], (list, tuple))
        else:
            batched = isinstance(text, (list, tuple))
        if not batched and not isinstance(text, (str, list, tuple)):
            raise TokenizerError(f"text must be a string or a list of strings, got {type(text).__name__}")
        texts = list(text) if batched else [text]
        if not batched and not text_pair:
            text_pair = None  # transformers encodes a single text with an empty pair as a single text
        if text_pair is not None:
            pairs = list(text_pair) if batched else [text_pair]
            if len(pairs) != len(texts):
                raise TokenizerError(f"got {len(texts)} texts but {len(pairs)} text pairs")
            inputs = list(zip(texts, pairs))
        else:
            inputs = texts
        for i, item in enumerate(inputs):
            for part in item if isinstance(item, tuple) else (item,):
                if not isinstance(part, (str, list, tuple)):
                    raise TokenizerError(f"text {i} is a {type(part).__name__}, not a string")
        padding, truncation, max_length = self._strategies(padding, truncation, max_length)
        self._configure(padding, truncation, max_length, stride, pad_to_multiple_of, padding_side)
        try:
            encodings = self._tokenizer.encode_batch(
                inputs, add_special_tokens=add_special_tokens, is_pretokenized=is_split_into_words
            )
        except Exception as e:  # the Rust library raises plain Exceptions
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
        data = {key: [] for key, on in wanted.items() if on}
        flat, mapping = [], []
        for index, encoding in enumerate(encodings):
            parts = [encoding] + (list(encoding.overflowing) if return_overflowing_tokens else [])
            for e in parts:
                flat.append(e)
                mapping.append(index)
        for e in flat:
            values = {
                "input_ids": e.ids,
                "token_type_ids": e.type_ids,
                "attention_mask": e.attention_mask,
                "special_tokens_mask": e.special_tokens_mask,
                "offset_mapping": e.offsets,
                "length": len(e.ids),
            }
            for key in data:
                data[key].append(values[key])
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = mapping
        if not batched and return_tensors is None and not return_overflowing_tokens:
            data = {key: value[0] for key, value in data.items()}
        return BatchEncoding(to_tensors(data, return_tensors), flat)

    def encode(self, text, text_pair=None, add_special_tokens=True, **kwargs):
        """Token ids of one text (or pair)."""
        return self(text, text_pair, add_special_tokens=add_special_tokens, **kwargs)["input_ids"]

    def tokenize(self, text, pair=None, add_special_tokens=False):
        """Word pieces of a text, as strings."""
        return self._tokenizer.encode(text, pair, add_special_tokens=add_special_tokens).tokens

    def convert_tokens_to_ids(self, tokens):
        unk = self.unk_token_id
        if isinstance(tokens, str):
            found = self._tokenizer.token_to_id(tokens)
            return unk if found is None else found
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        if isinstance(ids, (int, np.integer)):
            return self._tokenizer.id_to_token(int(ids))
        special = set(self.all_special_ids)
        out = []
        for i in ids:
            i = int(i)
            if skip_special_tokens and i in special:
                continue
            out.append(self._tokenizer.id_to_token(i))
        return out

    def decode(self, token_ids, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        """Text of a sequence of ids (word pieces joined back)."""
        ids = np.asarray(token_ids).reshape(-1).tolist()
        for i in ids:
            if not 0 <= i < len(self):
                raise TokenizerError(f"token id {i} is outside the vocabulary [0, {len(self)})")
        text = self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        clean = self.clean_up_tokenization_spaces if clean_up_tokenization_spaces is None else clean_up_tokenization_spaces
        return clean_up_tokenization(text) if clean else text

    def batch_decode(self, sequences, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        return [self.decode(s, skip_special_tokens, clean_up_tokenization_spaces) for s in sequences]

    # ------------------------------------------------------------------ files

    def save_pretrained(self, directory):
        """Writes vocab.txt, tokenizer.json, tokenizer_config.json and special_tokens_map.json."""
        os.makedirs(directory, exist_ok=True)
        vocab = self._tokenizer.get_vocab(with_added_tokens=False)
        ordered = sorted(vocab.items(), key=lambda kv: kv[1])
        if [i for _, i in ordered] != list(range(len(ordered))):
            raise TokenizerError("the vocabulary ids are not contiguous; cannot write vocab.txt")
        atomic_write_text(os.path.join(directory, VOCAB_NAME), "".join(t + "\n" for t, _ in ordered))
        backend = Tokenizer.from_str(self._tokenizer.to_str())
        backend.no_padding()
        backend.no_truncation()
        atomic_write_text(os.path.join(directory, TOKENIZER_FILE), backend.to_str())
        config = dict(
            self.init_kwargs,
            tokenizer_class="ElectraTokenizer",
            do_lower_case=self.do_lower_case,
            strip_accents=self.strip_accents,
            tokenize_chinese_chars=self.tokenize_chinese_chars,
            model_max_length=self.model_max_length,
            padding_side=self.padding_side,
            truncation_side=self.truncation_side,
            clean_up_tokenization_spaces=self.clean_up_tokenization_spaces,
            **self.special_tokens,
        )
        atomic_write_text(os.path.join(directory, TOKENIZER_CONFIG), json.dumps(config, indent=2) + "\n")
        atomic_write_text(
            os.path.join(directory, SPECIAL_TOKENS_MAP), json.dumps(self.special_tokens, indent=2) + "\n"
        )
        return directory

    @classmethod
    def from_pretrained(cls, path, **overrides):
        """Loads from a folder (tokenizer.json, else vocab.txt, plus tokenizer_config.json) or a vocab file."""
        from tf_electra.utils.hub import resolve_model_dir

        if os.path.isfile(path):
            return cls(vocab_file=path, **overrides)
        directory = resolve_model_dir(path)
        options = {}
        config_file = os.path.join(directory, TOKENIZER_CONFIG)
        if os.path.isfile(config_file):
            try:
                with open(config_file, encoding="utf-8") as f:
                    options = json.load(f)
            except json.JSONDecodeError as e:
                raise TokenizerError(f"{config_file} is not valid JSON: {e}") from e
        for key in ("tokenizer_class", "name_or_path", "added_tokens_decoder", "auto_map"):
            options.pop(key, None)
        for key, value in list(options.items()):
            if isinstance(value, dict) and "content" in value:  # AddedToken serialized by transformers
                options[key] = value["content"]
        options.update(overrides)
        tokenizer_file = os.path.join(directory, TOKENIZER_FILE)
        vocab_file = os.path.join(directory, VOCAB_NAME)
        if os.path.isfile(tokenizer_file):  # as transformers does: tokenizer.json wins
            return cls(tokenizer_file=tokenizer_file, **options)
        if os.path.isfile(vocab_file):
            return cls(vocab_file=vocab_file, **options)
        raise TokenizerError(f"{directory} has neither {VOCAB_NAME} nor {TOKENIZER_FILE}")


ElectraTokenizerFast = ElectraTokenizer
