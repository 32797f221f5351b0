"""A tokenizer's files: vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json."""

import json
import os

from tokenizers import Tokenizer

from tf_electra.errors import TokenizerError
from tf_electra.tokenization.settings import check_option
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.values import read_json_object

VOCAB_NAME = "vocab.txt"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
SPECIAL_TOKENS_MAP = "special_tokens_map.json"
# Keys of transformers' tokenizer_config.json that are not constructor options here.
IGNORED_OPTIONS = ("tokenizer_class", "name_or_path", "added_tokens_decoder", "auto_map")


def save_tokenizer(tokenizer, directory):
    """Writes a tokenizer's four files into `directory`, each atomically; returns the folder."""
    os.makedirs(directory, exist_ok=True)
    backend = tokenizer.backend_tokenizer
    vocab = backend.get_vocab(with_added_tokens=False)
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in ordered] != list(range(len(ordered))):
        raise TokenizerError("the vocabulary ids are not contiguous; cannot write vocab.txt")
    atomic_write_text(os.path.join(directory, VOCAB_NAME), "".join(t + "\n" for t, _ in ordered))
    plain = Tokenizer.from_str(backend.to_str())
    plain.no_padding()
    plain.no_truncation()
    atomic_write_text(os.path.join(directory, TOKENIZER_FILE), plain.to_str())
    config = dict(
        tokenizer.init_kwargs,
        tokenizer_class="ElectraTokenizer",
        do_lower_case=tokenizer.do_lower_case,
        strip_accents=tokenizer.strip_accents,
        tokenize_chinese_chars=tokenizer.tokenize_chinese_chars,
        model_max_length=tokenizer.model_max_length,
        padding_side=tokenizer.padding_side,
        truncation_side=tokenizer.truncation_side,
        clean_up_tokenization_spaces=tokenizer.clean_up_tokenization_spaces,
        **tokenizer.special_tokens,
    )
    atomic_write_text(os.path.join(directory, TOKENIZER_CONFIG), json.dumps(config, indent=2) + "\n")
    atomic_write_text(
        os.path.join(directory, SPECIAL_TOKENS_MAP), json.dumps(tokenizer.special_tokens, indent=2) + "\n"
    )
    return directory


def tokenizer_options(directory):
    """The constructor options a folder's tokenizer_config.json holds ({} when it has none)."""
    config_file = os.path.join(directory, TOKENIZER_CONFIG)
    if not os.path.isfile(config_file):
        return {}
    options = read_json_object(config_file, TokenizerError, "a JSON object of options")
    for key in IGNORED_OPTIONS:
        options.pop(key, None)
    for key, value in list(options.items()):
        if isinstance(value, dict) and "content" in value:  # an AddedToken serialized by transformers
            options[key] = value["content"]
        try:
            check_option(key, options[key])
        except TokenizerError as e:
            raise TokenizerError(f"{config_file}: {e}") from None
    return options
