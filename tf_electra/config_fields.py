"""The fields of ElectraConfig: Hugging Face's defaults, the values each may take, and its checks."""

import difflib

from tf_electra.errors import ConfigError
from tf_electra.utils.values import is_number
from tf_electra.utils.values import is_positive_int

# Activations the models can build, by Hugging Face's names.
ACTIVATIONS = tuple(  # transformers' names, its parameter-free ones (prelu and xielu learn weights)
    "gelu gelu_new gelu_pytorch_tanh gelu_python gelu_python_tanh gelu_fast gelu_accurate gelu_10 quick_gelu laplace "
    "relu relu2 relu6 leaky_relu silu swish mish sigmoid tanh linear".split()
)
POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")
SUMMARY_TYPES = ("first", "last", "mean", "cls_index")
PROBLEM_TYPES = (None, "regression", "single_label_classification", "multi_label_classification")
ATTN_IMPLEMENTATIONS = ("eager", "sdpa")
DEFAULT_ATTN_IMPLEMENTATION = "eager"

# Fields of the config itself, with Hugging Face's defaults (ElectraConfig and
# the PretrainedConfig fields that ELECTRA's models read).
DEFAULTS = {
    "vocab_size": 30522,  # rows of the word embedding table
    "embedding_size": 128,  # width E of the embeddings
    "hidden_size": 256,  # width H of the transformer
    "num_hidden_layers": 12,  # transformer layers L
    "num_attention_heads": 4,  # heads per layer; H must be divisible by it
    "intermediate_size": 1024,  # width of the feed-forward layer
    "hidden_act": "gelu",  # feed-forward and discriminator-head activation (erf GELU)
    "hidden_dropout_prob": 0.1,  # dropout on embeddings and sublayer outputs
    "attention_probs_dropout_prob": 0.1,  # dropout on attention probabilities
    "max_position_embeddings": 512,  # longest sequence
    "type_vocab_size": 2,  # number of token types (segments)
    "initializer_range": 0.02,  # stddev of the normal initializer
    "layer_norm_eps": 1e-12,  # LayerNorm epsilon
    "summary_type": "first",  # multiple-choice summary: which token
    "summary_use_proj": True,  # multiple-choice summary: dense projection
    "summary_activation": "gelu",  # multiple-choice summary: activation
    "summary_last_dropout": 0.1,  # multiple-choice summary: dropout after
    "pad_token_id": 0,  # id of [PAD]
    "position_embedding_type": "absolute",  # or relative_key / relative_key_query
    "use_cache": True,  # kept for compatibility; no key/value cache here
    "classifier_dropout": None,  # head dropout; None means hidden_dropout_prob
    "is_decoder": False,  # causal self-attention
    "problem_type": None,  # sequence-classification loss choice
    "attn_implementation": None,  # "eager" or "sdpa"; None means the default
}


# Keys transformers' PretrainedConfig writes or reads; kept as they are, never taken for typos.
FOREIGN_KEYS = frozenset(
    """
    architectures auto_map bad_words_ids begin_suppress_tokens bos_token_id chunk_size_feed_forward
    cross_attention_hidden_size decoder_start_token_id diversity_penalty do_sample early_stopping
    embedding_size_ratio encoder_no_repeat_ngram_size eos_token_id exponential_decay_length_penalty
    finetuning_task forced_bos_token_id forced_eos_token_id is_encoder_decoder length_penalty max_length
    min_length name_or_path no_repeat_ngram_size num_beam_groups num_beams num_return_sequences
    output_attentions output_hidden_states output_scores prefix pruned_heads remove_invalid_values
    repetition_penalty return_dict return_dict_in_generate sep_token_id suppress_tokens task_specific_params
    temperature tf_legacy_loss tie_encoder_decoder tie_word_embeddings tokenizer_class top_k top_p torch_dtype
    torchscript transformers_version typical_p use_bfloat16 add_cross_attention dtype summary_proj_to_labels
    summary_first_dropout _name_or_path _commit_hash
""".split()
)


def suggestion(key, known):
    """The known field a key is probably a misspelling of, or None."""
    if key in FOREIGN_KEYS or key.startswith("_"):
        return None
    matches = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
    return matches[0] if matches else None


def validate(config):
    """Checks every field of a config; raises ConfigError naming the first bad one."""
    for field in (
        "vocab_size",
        "embedding_size",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "max_position_embeddings",
        "type_vocab_size",
    ):
        value = getattr(config, field)
        if not is_positive_int(value):
            raise ConfigError(f"{field} must be a positive integer, got {value!r}")
    if config.hidden_size % config.num_attention_heads:
        raise ConfigError(
            f"hidden_size ({config.hidden_size}) must be divisible by num_attention_heads "
            f"({config.num_attention_heads})"
        )
    for field in ("hidden_act", "summary_activation"):
        value = getattr(config, field)
        if value is None and field == "summary_activation":
            continue
        if value not in ACTIVATIONS:
            raise ConfigError(f"{field}={value!r} is not a known activation; use one of {ACTIVATIONS}")
    for field in ("hidden_dropout_prob", "attention_probs_dropout_prob", "summary_last_dropout", "classifier_dropout"):
        value = getattr(config, field)
        if value is None and field in ("classifier_dropout", "summary_last_dropout"):
            continue
        if not is_number(value) or not 0.0 <= value < 1.0:
            raise ConfigError(f"{field} must be a number in [0, 1), got {value!r}")
    for field in ("layer_norm_eps", "initializer_range"):
        value = getattr(config, field)
        if not is_number(value) or not value > 0:
            raise ConfigError(f"{field} must be a positive number, got {value!r}")
    checks = (
        ("position_embedding_type", POSITION_EMBEDDING_TYPES),
        ("summary_type", SUMMARY_TYPES),
        ("problem_type", PROBLEM_TYPES),
        ("attn_implementation", (None,) + ATTN_IMPLEMENTATIONS),
    )
    for field, allowed in checks:
        if getattr(config, field) not in allowed:
            raise ConfigError(f"{field}={getattr(config, field)!r} is not one of {allowed}")
    for field in ("summary_use_proj", "use_cache", "is_decoder"):
        if not isinstance(getattr(config, field), bool):  # "false" from a hand-edited file would be truthy
            raise ConfigError(f"{field} must be true or false, got {getattr(config, field)!r}")
    if config.num_labels < 1:
        raise ConfigError(f"num_labels must be at least 1, got {config.num_labels}")
    names = list(config.id2label.values())
    if len(set(names)) != len(names):
        raise ConfigError(f"id2label names must differ, got {names}")
    if config.label2id != {name: i for i, name in config.id2label.items()}:
        raise ConfigError(f"label2id {config.label2id} contradicts id2label {config.id2label}")
    if config.pad_token_id is not None and (
        not isinstance(config.pad_token_id, int) or not 0 <= config.pad_token_id < config.vocab_size
    ):
        raise ConfigError(f"pad_token_id={config.pad_token_id} is outside [0, vocab_size={config.vocab_size})")


def label_map(id2label):
    """{int id: str name} from a mapping whose keys are ints or integer strings (as JSON writes them)."""
    if not isinstance(id2label, dict):
        raise ConfigError(f"id2label must be a mapping of label ids to names, got {id2label!r}")
    out = {}
    for key, value in id2label.items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            raise ConfigError(f"id2label keys must be integer label ids, got {key!r}") from None
        out[index] = str(value)
    if sorted(out) != list(range(len(out))):
        raise ConfigError(f"id2label ids must be 0 .. {len(out) - 1}, got {sorted(out)}")
    return out
