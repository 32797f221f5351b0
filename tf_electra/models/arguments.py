"""transformers' call arguments that the models do not take: each refused with what it would have done."""

from tf_electra.errors import InputError

NOT_TAKEN = {
    "head_mask": "head_mask (masking whole attention heads) is not supported; prune a head by zeroing its rows of "
    "the attention output kernel instead",
    "past_key_values": "past_key_values: there is no key/value cache; call the model on the whole sequence",
    "encoder_hidden_states": "encoder_hidden_states: ELECTRA has no cross-attention here",
    "encoder_attention_mask": "encoder_attention_mask: ELECTRA has no cross-attention here",
}


def check_arguments(kwargs, known, is_decoder):
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
        raise InputError(f"unexpected argument(s) {sorted(unknown)}; expected some of {sorted(known)}")
    return kwargs
