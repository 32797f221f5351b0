"""The encoder's arguments from a config; the forms inputs come in (nested lists, transformers' list form, dicts);
and transformers' call arguments that the models do not take (each refused with what it would have done)."""

from collections.abc import Mapping

import numpy as np

from tf_electra.errors import InputError

NOT_TAKEN = {
    "head_mask": "head_mask (masking whole attention heads) is not supported; prune a head by zeroing its rows of "
    "the attention output kernel instead",
    "past_key_values": "past_key_values: there is no key/value cache; call the model on the whole sequence",
    "encoder_hidden_states": "encoder_hidden_states: ELECTRA has no cross-attention here",
    "encoder_attention_mask": "encoder_attention_mask: ELECTRA has no cross-attention here",
}


def check_arguments(kwargs, known, is_decoder, what="argument(s)"):
    """`kwargs` without the arguments that change nothing (any set to None; `use_cache` where no cache would be
    made); InputError for a misspelt name or one the models do not take (head_mask, use_cache=True in a decoder)."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    use_cache = kwargs.pop("use_cache", False)
    if use_cache and is_decoder:  # transformers returns past_key_values then; elsewhere it ignores use_cache
        raise InputError("use_cache=True: there is no key/value cache; call the model on the whole sequence")
    for name, message in NOT_TAKEN.items():
        if name in kwargs:
            raise InputError(message)
    unknown = set(kwargs) - set(known)  # a misspelt attention_masks=
    if unknown:
        raise InputError(f"unexpected {what} {sorted(unknown)}; expected some of {sorted(known)}")
    return kwargs


def main_layer_arguments(config, attn_implementation):
    """ElectraMainLayer's arguments from an ElectraConfig."""
    return dict(
        vocab_size=config.vocab_size,
        embedding_size=config.embedding_size,
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size,
        hidden_act=config.hidden_act,
        hidden_dropout=config.hidden_dropout_prob,
        attention_dropout=config.attention_probs_dropout_prob,
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size,
        initializer_range=config.initializer_range,
        layer_norm_eps=config.layer_norm_eps,
        position_embedding_type=config.position_embedding_type,
        is_decoder=config.is_decoder,
        attn_implementation=attn_implementation,
    )


def classifier_dropout(config):
    """The task heads' dropout rate: classifier_dropout, else hidden_dropout_prob (as in Hugging Face)."""
    return config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob


def inputs_in_order(value):
    """transformers' list form, [input_ids, attention_mask, token_type_ids, position_ids] (a prefix), as a dict;
    anything else as it is. Only arrays or tensors of rank 2 or more count: a list of 1-D rows is a batch of ids."""
    if not isinstance(value, (list, tuple)) or not value or not all(len(getattr(v, "shape", ())) >= 2 for v in value):
        return value
    if len(value) > 4:
        raise InputError(
            f"{len(value)} inputs in a list: the list form holds input_ids, attention_mask, token_type_ids and "
            "position_ids, in this order; pass a dict for the others"
        )
    return dict(zip(("input_ids", "attention_mask", "token_type_ids", "position_ids"), value))


def as_arrays(value):
    """Inputs as Keras takes them: a nested list or tuple of numbers as a NumPy array (InputError when it is not
    rectangular), transformers' list form as a dict, a dict's values each so."""
    value = inputs_in_order(value)
    if isinstance(value, Mapping):
        return {k: leaf_array(v) for k, v in value.items()}
    return leaf_array(value)


def leaf_array(value):
    """A nested list or tuple of numbers as a NumPy array; a RaggedTensor refused; anything else as it is."""
    if hasattr(value, "row_lengths") and hasattr(value, "to_tensor"):  # a tf.RaggedTensor
        raise InputError(
            "inputs are a RaggedTensor: pad them to a [batch, seq] tensor with an attention_mask first (the "
            "tokenizer's padding=True, or .to_tensor() and a mask of the row lengths)"
        )
    if not isinstance(value, (list, tuple)):
        return value
    try:
        return np.asarray(value)
    except ValueError as e:
        raise InputError(f"token ids must form a rectangular [batch, seq] array: {e}") from None
