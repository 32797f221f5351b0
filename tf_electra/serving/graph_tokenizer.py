"""BERT/ELECTRA tokenization as TensorFlow graph ops, for SavedModel signatures on raw text.

Built from core TensorFlow string ops plus tensorflow-text ops that TF
Serving's model server links in (RegexSplitWithOffsets, NormalizeUTF8,
FastWordpieceTokenize). It reproduces transformers' ElectraTokenizerFast
(BertNormalizer + BertPreTokenizer + WordPiece) rather than
`tensorflow_text.BertTokenizer`, whose defaults differ from BERT's:

* case folding there applies NFKC (full-width letters and ligatures change);
  here text is lower-cased only, after accents are stripped (NFD, drop Mn);
* control characters there split words; here they are deleted (clean_text);
* its word-length limit counts bytes; here words over 100 characters become [UNK];
* special tokens typed in the text ([CLS], [MASK], ...) are matched first, as
  transformers' added tokens are.

tensorflow-text is an optional dependency (`pip install tf-electra[serving]`).
"""

import tensorflow as tf

from tf_electra.errors import ExportError

# BertPreTokenizer's punctuation: ASCII punctuation or a Unicode P* category.
PUNCTUATION = r"[\p{P}!-/:-@\[-`{-~]"
# The ranges the Rust tokenizer pads as Chinese characters (its table starts the last extension range at
# U+2B920, where Google's Python BERT code has U+2B820).
CJK = (
    r"([\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}\x{20000}-\x{2A6DF}\x{2A700}-\x{2B81F}"
    r"\x{2B920}-\x{2CEAF}\x{F900}-\x{FAFF}\x{2F800}-\x{2FA1F}])"
)
MAX_WORD_CHARS = 100


def require_text_ops():
    """The tensorflow_text module, or an ExportError naming the extra to install."""
    try:
        import tensorflow_text
    except ImportError as e:
        raise ExportError(
            'text signatures (--with-tokenizer) need tensorflow-text: pip install "tf-electra[serving]" '
            f"(it was not importable: {e})"
        ) from e
    return tensorflow_text


_text_ops = require_text_ops


class GraphTokenizer(tf.Module):
    """Tokenizes batches of UTF-8 strings in the graph, identically to an ElectraTokenizer.

    Args:
        tokenizer: The ElectraTokenizer whose vocabulary and options to copy.
        max_length: Truncation length (special tokens included).
    """

    def __init__(self, tokenizer, max_length=512, name=None):
        super().__init__(name=name)
        text = _text_ops()
        vocab = tokenizer.get_vocab()
        tokens = [None] * len(vocab)
        for token, index in vocab.items():
            tokens[index] = token
        if any(t is None for t in tokens):
            raise ExportError("the tokenizer's vocabulary ids are not contiguous")
        # A token holding a control character can never be produced (clean_text deletes them), and
        # the word-piece builder rejects NUL: give such ids a placeholder no word can equal.
        tokens = [f"[unreachable {i}]" if _has_control(t) else t for i, t in enumerate(tokens)]
        self.max_length = int(max_length)
        self.keep_end = tokenizer.truncation_side == "left"  # truncation drops a text's start instead of its end
        self.pad_start = tokenizer.padding_side == "left"
        self.lowercase = bool(tokenizer.do_lower_case)
        self.strip_accents = self.lowercase if tokenizer.strip_accents is None else bool(tokenizer.strip_accents)
        self.chinese = bool(tokenizer.tokenize_chinese_chars)
        specials = tokenizer.all_special_tokens
        self._special_pattern = "|".join(_re_escape(t) for t in specials)
        self._special_tokens = tf.constant(specials)
        self._special_ids = tf.constant([vocab[t] for t in specials], tf.int64)
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
        self.unk_token = tokenizer.unk_token
        self._wordpiece = text.FastWordpieceTokenizer(
            vocab=tokens,
            suffix_indicator="##",
            max_bytes_per_word=4 * MAX_WORD_CHARS,  # the character limit is applied before
            token_out_type=tf.int64,
            unknown_token=tokenizer.unk_token,
            no_pretokenization=True,
            support_detokenization=False,
        )

    def normalize(self, strings):
        """BertNormalizer: clean text, pad CJK characters, strip accents, lower-case."""
        text = _text_ops()
        strings = tf.strings.regex_replace(strings, r"[\t\n\r]", " ")
        # Deleted as Rust's clean_text deletes them: control, format and private-use characters and U+FFFD
        # (unassigned code points are kept, as there).
        strings = tf.strings.regex_replace(strings, r"[\p{Cc}\p{Cf}\p{Co}\x{FFFD}]", "")
        strings = tf.strings.regex_replace(strings, r"\p{Zs}", " ")
        if self.chinese:
            strings = tf.strings.regex_replace(strings, CJK, r" \1 ")
        if self.strip_accents:
            strings = tf.strings.regex_replace(text.normalize_utf8(strings, "NFD"), r"\p{Mn}", "")
        if self.lowercase:
            # The Rust tokenizer lower-cases character by character, so a capital sigma is always "σ"; TensorFlow's
            # (ICU's) lower-casing would write "ς" at the end of a word. Lower-case it first, one character alone.
            strings = tf.strings.regex_replace(strings, "\u03a3", "\u03c3")
            strings = tf.strings.lower(strings, encoding="utf-8")
        return strings

    def _pieces_to_ids(self, strings):
        """[n] strings without special tokens -> ragged [n, (tokens)] word-piece ids."""
        text = _text_ops()
        words = text.regex_split(self.normalize(strings), rf"[\s\p{{Z}}]+|{PUNCTUATION}", PUNCTUATION)
        too_long = tf.strings.length(words.flat_values, unit="UTF8_CHAR") > MAX_WORD_CHARS
        words = words.with_flat_values(tf.where(too_long, self.unk_token, words.flat_values))
        return self._wordpiece.tokenize(words).merge_dims(1, 2)

    def tokenize(self, strings):
        """[batch] strings -> ragged [batch, (tokens)] ids, without [CLS]/[SEP]."""
        text = _text_ops()
        # regex_split stops at NUL; U+FFFD is deleted by clean_text just as NUL is.
        strings = tf.strings.regex_replace(strings, "\x00", "\ufffd")
        pieces = text.regex_split(strings, self._special_pattern, self._special_pattern)
        flat = pieces.flat_values
        matches = tf.equal(flat[:, None], self._special_tokens[None, :])
        is_special = tf.reduce_any(matches, axis=1)
        special_id = tf.gather(self._special_ids, tf.argmax(tf.cast(matches, tf.int32), axis=1))
        normal = self._pieces_to_ids(tf.where(is_special, "", flat))
        special = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(special_id, is_special), tf.cast(is_special, tf.int64)
        )
        per_piece = tf.concat([special, normal], axis=1)
        return tf.RaggedTensor.from_row_splits(per_piece, pieces.row_splits).merge_dims(1, 2)

    def _keep_first(self, ids, limit):
        """The first `limit` ids of each row, or the last ones where the tokenizer truncates on the left."""
        positions = tf.ragged.range(ids.row_lengths())
        if self.keep_end:
            return tf.ragged.boolean_mask(ids, positions >= (ids.row_lengths() - limit)[:, None])
        return tf.ragged.boolean_mask(ids, positions < limit[:, None])

    def __call__(self, text, text_pair=None):
        """Encodes like `tokenizer(text, text_pair, padding=True, truncation=True, max_length=max_length)`.

        Returns:
            dict of int64 input_ids, attention_mask, token_type_ids, [batch, longest].
        """
        first = self.tokenize(_batch_of_strings(text))
        n1 = first.row_lengths()
        batch = tf.shape(n1, out_type=tf.int64)[0]
        cls = tf.fill([batch, 1], tf.constant(self.cls_id, tf.int64))
        sep = tf.fill([batch, 1], tf.constant(self.sep_id, tf.int64))
        if text_pair is None:
            first = self._keep_first(first, tf.fill([batch], tf.constant(self.max_length - 2, tf.int64)))
            ids = tf.concat([cls, first, sep], axis=1)
            types = tf.zeros_like(ids)
        else:
            second = self.tokenize(_batch_of_strings(text_pair))
            l1, l2 = self._longest_first(n1, second.row_lengths(), self.max_length - 3)
            first, second = self._keep_first(first, l1), self._keep_first(second, l2)
            ids = tf.concat([cls, first, sep, second, sep], axis=1)
            types = tf.concat(
                [tf.zeros_like(tf.concat([cls, first, sep], axis=1)), tf.ones_like(tf.concat([second, sep], axis=1))],
                axis=1,
            )
        return {
            "input_ids": self._pad(ids, self.pad_id),
            "attention_mask": self._pad(tf.ones_like(ids), 0),
            "token_type_ids": self._pad(types, 0),
        }

    def _pad(self, ragged, value):
        # at least [CLS] [SEP] wide, so an empty batch is [0, 2] (a model needs a sequence length)
        shape = tf.stack([ragged.nrows(), tf.maximum(ragged.bounding_shape(axis=1), 2)])
        if self.pad_start:
            return tf.reverse(tf.reverse(ragged, axis=[1]).to_tensor(value, shape=shape), axis=[1])
        return ragged.to_tensor(value, shape=shape)

    @staticmethod
    def _longest_first(n1, n2, budget):
        """The tokenizers library's "longest_first" pair truncation, in closed form."""
        swap = n1 > n2
        short, long_ = tf.minimum(n1, n2), tf.maximum(n1, n2)
        fits = short + long_ <= budget
        new_long = tf.where(short > budget, short, tf.maximum(short, budget - short))
        new_short = short
        both = new_short + new_long > budget
        half = tf.fill(tf.shape(short), tf.constant(budget // 2, tf.int64))
        new_short = tf.where(both, half, new_short)
        new_long = tf.where(both, half + budget % 2, new_long)
        new_short = tf.where(fits, short, new_short)
        new_long = tf.where(fits, long_, new_long)
        return tf.where(swap, new_long, new_short), tf.where(swap, new_short, new_long)


def _batch_of_strings(text):
    """[batch] strings; one string (TF Serving's columnar {"inputs": {"text": "..."}}) is a batch of one, and any
    other rank is refused (a [2, 2] batch was flattened into 4 rows)."""
    text = tf.convert_to_tensor(text)
    first = tf.concat([tf.shape(text), [1]], axis=0)[0]  # at run time (a signature's rank is static): 1 for a scalar
    message = "text must be a batch of strings, shape [batch]"
    with tf.control_dependencies([tf.debugging.assert_equal(first, tf.size(text), message=message)]):
        return tf.reshape(text, [-1])


def _has_control(token):
    """Whether clean_text would delete a character of the token (then no text can produce it)."""
    import unicodedata

    return any(unicodedata.category(c) in ("Cc", "Cf", "Co") or c == "\ufffd" for c in token)


def _re_escape(token):
    return "".join("\\" + c if not c.isalnum() and c != "_" else c for c in token)
