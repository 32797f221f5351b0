"""ELECTRA's dynamic masking, scatter/gather at masked positions, and generator sampling, in keras.ops.

The formulas are google-research/electra's `pretrain/pretrain_helpers.py`:

* up to N = `max_predictions_per_seq` positions per sequence are drawn *with replacement*, uniformly
  over the tokens that are not [CLS], [SEP], [MASK] or padding; a sequence of T real tokens (special
  tokens included) gets `max(1, min(N, round_half_even(T * mask_prob)))` of them, the other slots
  point at position 0 with weight 0;
* ELECTRA replaces 85% of the drawn positions with [MASK] and leaves 15% unchanged (no random
  tokens); BERT's masked LM uses 80% [MASK], 10% a random token, 10% unchanged;
* `scatter_update` never writes position 0 and, where two slots hit one position, writes the floor of
  the mean of their values (as the original's integer path does).
"""

from keras import ops

MASK_FRACTION = 0.85  # ELECTRA: [MASK] for 85% of the chosen positions, the rest unchanged
BERT_MASK_FRACTION, BERT_RANDOM_FRACTION = 0.8, 0.1  # BERT: 80% [MASK], 10% random, 10% unchanged


def gather_positions(sequence, positions):
    """[B, L] or [B, L, D] values at positions [B, N] -> [B, N] or [B, N, D]."""
    positions = ops.cast(positions, "int32")
    if len(sequence.shape) == 3:
        return ops.take_along_axis(sequence, positions[:, :, None], axis=1)
    return ops.take_along_axis(sequence, positions, axis=1)


def scatter_update(sequence, updates, positions):
    """Writes int `updates` [B, N] into int `sequence` [B, L] at `positions` [B, N].

    Returns:
        (updated sequence [B, L], int32 mask [B, L] of the positions written). Position 0 is never
        written; several updates to one position give the floor of their mean.
    """
    length = ops.shape(sequence)[1]
    positions = ops.cast(positions, "int32")
    hits = ops.one_hot(positions, length, dtype="int32") * ops.cast(positions > 0, "int32")[:, :, None]  # [B,N,L]
    counts = ops.sum(hits, axis=1)
    sums = ops.sum(hits * ops.cast(updates, "int32")[:, :, None], axis=1)
    written = counts > 0
    updated = ops.where(written, ops.floor_divide(sums, ops.maximum(counts, 1)), ops.cast(sequence, "int32"))
    return updated, ops.cast(written, "int32")


def candidates_mask(input_ids, input_mask, excluded_ids):
    """Positions that may be masked: real tokens that are not one of `excluded_ids` ([CLS], [SEP], [MASK])."""
    allowed = ops.cast(input_mask, "bool")
    for token_id in excluded_ids:
        allowed = ops.logical_and(allowed, ops.not_equal(input_ids, token_id))
    return allowed


def choose_positions(input_ids, input_mask, excluded_ids, mask_prob, max_predictions, seed):
    """Draws the positions to predict, as the original `mask()` does.

    Returns:
        (positions int32 [B, N], weights float32 [B, N], original ids at them int32 [B, N]).
    """
    from keras import random

    candidates = candidates_mask(input_ids, input_mask, excluded_ids)
    num_tokens = ops.sum(ops.cast(input_mask, "float32"), axis=-1)
    count = ops.cast(ops.round(num_tokens * mask_prob), "int32")
    count = ops.maximum(1, ops.minimum(max_predictions, count))
    has_candidates = ops.any(candidates, axis=-1)
    count = ops.where(has_candidates, count, 0)  # (the original would sample NaN logits here)
    weights = ops.cast(ops.arange(max_predictions)[None, :] < count[:, None], "float32")
    # Uniform over the candidates; a row without any samples position 0, which is then weighted 0.
    logits = ops.where(candidates, 0.0, -1e9)
    logits = ops.where(has_candidates[:, None], logits, ops.where(ops.arange(ops.shape(logits)[1]) == 0, 0.0, -1e9))
    positions = random.categorical(logits, max_predictions, dtype="int32", seed=seed)
    positions = positions * ops.cast(weights, "int32")
    ids = gather_positions(ops.cast(input_ids, "int32"), positions) * ops.cast(weights, "int32")
    return positions, weights, ids


def corrupt(input_ids, positions, mask_token_id, uniform, bert_style=False, random_ids=None):
    """The generator's input: [MASK] (and, BERT-style, random tokens) written at the chosen positions.

    Args:
        uniform: float [B, N] in [0, 1), one draw per slot, deciding each slot's replacement.
        random_ids: int [B, N] replacement tokens for BERT's 10% (needed when bert_style).
    """
    mask = ops.full(ops.shape(positions), mask_token_id, "int32")
    if not bert_style:
        keep = ops.cast(uniform < MASK_FRACTION, "int32")
        return scatter_update(input_ids, mask, positions * keep)[0]
    keep = ops.cast(uniform < BERT_MASK_FRACTION + BERT_RANDOM_FRACTION, "int32")
    values = ops.where(uniform < BERT_MASK_FRACTION, mask, ops.cast(random_ids, "int32"))
    return scatter_update(input_ids, values, positions * keep)[0]


def gumbel_noise(uniform):
    """Gumbel noise from uniform draws, with the original's epsilons: -log(-log(u + 1e-9) + 1e-9)."""
    return -ops.log(-ops.log(uniform + 1e-9) + 1e-9)


def sample_tokens(logits, temperature=1.0, disallow_ids=None, uniform=None, seed=None):
    """Samples one token per slot from softmax(logits / temperature), without gradient.

    Args:
        logits: float [B, N, V].
        disallow_ids: int [B, N] ids whose logit is lowered by 1000 (`disallow_correct`), after the
            temperature, as in the original.
        uniform: float [B, N, V] draws for Gumbel-max sampling (the original's exact procedure, used
            by tests); without them, `keras.random.categorical` samples the same distribution.

    Returns:
        int32 [B, N].
    """
    from keras import random

    logits = ops.stop_gradient(ops.cast(logits, "float32")) / temperature
    if disallow_ids is not None:
        logits = logits - 1000.0 * ops.one_hot(ops.cast(disallow_ids, "int32"), ops.shape(logits)[-1])
    if uniform is not None:
        return ops.cast(ops.argmax(logits + gumbel_noise(uniform), axis=-1), "int32")
    batch, slots, vocab = ops.shape(logits)
    flat = random.categorical(ops.reshape(logits, (-1, vocab)), 1, dtype="int32", seed=seed)
    return ops.reshape(flat, (batch, slots))
