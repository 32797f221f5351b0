"""The rest of transformers' tokenizer methods that ELECTRA users call: special tokens by hand, `pad` (what
`DataCollatorWithPadding` calls), and the older `encode_plus` / `batch_encode_plus` spellings."""

from tf_electra.tokenization.backend import BatchEncoding
from tf_electra.tokenization.backend import TokenizerError
from tf_electra.tokenization.backend import to_tensors
from tf_electra.tokenization.inputs import check_ids
from tf_electra.tokenization.settings import NO_LIMIT

PAD_VALUES = {"token_type_ids": "pad_token_type_id", "attention_mask": 0, "special_tokens_mask": 1}


class TokenizerConveniences:
    """Mixed into ElectraTokenizer (which provides the vocabulary, special tokens and `__call__`)."""

    def encode_plus(self, text, text_pair=None, **kwargs):
        """One text or pair (transformers' older name for calling the tokenizer)."""
        if not isinstance(text, str) and not (isinstance(text, (list, tuple)) and kwargs.get("is_split_into_words")):
            raise TokenizerError(f"encode_plus takes one text, got {type(text).__name__}; use batch_encode_plus")
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs, **kwargs):
        """A list of texts, or of (text, pair) tuples."""
        items = list(batch_text_or_text_pairs)
        pairs = items and all(isinstance(i, (tuple, list)) and len(i) == 2 for i in items)
        if pairs and (not kwargs.get("is_split_into_words") or isinstance(items[0][0], (tuple, list))):
            return self([a for a, _ in items], [b for _, b in items], **kwargs)
        return self(items, **kwargs)

    def length_limit(self):
        """model_max_length, or None where there is none (transformers' VERY_LARGE_INTEGER)."""
        return None if self.model_max_length >= NO_LIMIT else self.model_max_length

    def num_special_tokens_to_add(self, pair=False):
        return 3 if pair else 2

    def build_inputs_with_special_tokens(self, token_ids_0, token_ids_1=None):
        """[CLS] A [SEP] (B [SEP])."""
        ids = [self.cls_token_id, *self._ids(token_ids_0), self.sep_token_id]
        return ids if token_ids_1 is None else ids + [*self._ids(token_ids_1), self.sep_token_id]

    def create_token_type_ids_from_sequences(self, token_ids_0, token_ids_1=None):
        first = [0] * (len(self._ids(token_ids_0)) + 2)
        return first if token_ids_1 is None else first + [1] * (len(self._ids(token_ids_1)) + 1)

    def get_special_tokens_mask(self, token_ids_0, token_ids_1=None, already_has_special_tokens=False):
        """1 for each special token, of the ids as they are (`already_has_special_tokens`) or once wrapped."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise TokenizerError("with already_has_special_tokens=True give one sequence of ids, not a pair")
            special = set(self.all_special_ids)
            return [int(i in special) for i in self._ids(token_ids_0)]
        mask = [1] + [0] * len(self._ids(token_ids_0)) + [1]
        return mask if token_ids_1 is None else mask + [0] * len(self._ids(token_ids_1)) + [1]

    def convert_tokens_to_string(self, tokens):
        """Word pieces joined back into text ("##" pieces glued to the piece before)."""
        if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
            raise TokenizerError("convert_tokens_to_string takes a list of token strings")
        return self.backend_tokenizer.decoder.decode(list(tokens))

    def pad(
        self,
        encoded_inputs,
        padding=True,
        max_length=None,
        pad_to_multiple_of=None,
        padding_side=None,
        return_attention_mask=None,
        return_tensors=None,
        verbose=True,
    ):
        """Pads encoded examples (a dict of lists, or a list of dicts as a data collator has them) to one length:
        the longest (`padding=True`), or `max_length` (`"max_length"`), rounded up to `pad_to_multiple_of`."""
        if isinstance(encoded_inputs, (list, tuple)):
            if not encoded_inputs or not all(isinstance(e, dict) for e in encoded_inputs):
                raise TokenizerError("pad takes a dict of lists or a non-empty list of dicts")
            encoded_inputs = {k: [e[k] for e in encoded_inputs] for k in encoded_inputs[0]}
        if not isinstance(encoded_inputs, dict) or "input_ids" not in encoded_inputs:
            raise TokenizerError("pad needs the encoded inputs' input_ids")
        data = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in encoded_inputs.items()}
        single = bool(data["input_ids"]) and not isinstance(data["input_ids"][0], (list, tuple))
        if single:
            data = {k: [v] for k, v in data.items()}
        if return_attention_mask is not False and "attention_mask" not in data:
            data["attention_mask"] = [[1] * len(ids) for ids in data["input_ids"]]
        target = self._pad_length(data["input_ids"], padding, max_length, pad_to_multiple_of)
        side = padding_side or self.padding_side
        for key, rows in data.items():
            if key not in ("input_ids", *PAD_VALUES) or target is None:
                continue
            value = self.pad_token_id if key == "input_ids" else PAD_VALUES[key]
            value = getattr(self, value) if isinstance(value, str) else value
            data[key] = [
                row + [value] * (target - len(row)) if side == "right" else [value] * (target - len(row)) + row
                for row in rows
            ]
        if single:
            data = {k: v[0] for k, v in data.items()}
        return BatchEncoding(to_tensors(data, return_tensors))

    def _pad_length(self, rows, padding, max_length, multiple):
        if padding in (False, "do_not_pad"):
            return None
        if padding == "max_length":
            target = max_length or self.length_limit()
            if target is None:
                raise TokenizerError('padding="max_length" needs max_length (the tokenizer has no model_max_length)')
        elif padding in (True, "longest"):
            target = max(len(r) for r in rows)
        else:
            raise TokenizerError(f"padding={padding!r}; use True, 'longest', 'max_length' or False")
        if multiple:
            target = -(-target // multiple) * multiple
        return target

    def _ids(self, ids):
        return check_ids(ids, len(self))
