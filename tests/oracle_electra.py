"""An independent NumPy transcription of google-research/electra's pre-training formulas (the oracle).

Written from the original's `pretrain/pretrain_helpers.py` and `run_pretraining.py` (their TF1 code
cannot run here): flat scatter/gather with a per-row shift, `scatter_update`'s position-0 rule and
integer floor-division of duplicate updates, the 85% [MASK] rule, Gumbel-max sampling with the
original's epsilons and -1000 for `disallow_correct`, and both losses with their 1e-6 denominators.
The networks themselves are transformers' PyTorch ELECTRA (the test copies our weights into them).
"""

import numpy as np


def gather_positions(sequence, positions):
    """The original's flat gather: [B, L(, D)] at [B, N] -> [B, N(, D)]."""
    batch, length = sequence.shape[:2]
    flat = sequence.reshape((batch * length,) + sequence.shape[2:])
    shift = (length * np.arange(batch))[:, None]
    return flat[(positions + shift).reshape(-1)].reshape(positions.shape + sequence.shape[2:])


def scatter_update(sequence, updates, positions):
    """The original's integer scatter_update: sums at each position, floordiv by the count, column 0 never."""
    batch, length = sequence.shape
    shift = (length * np.arange(batch))[:, None]
    flat_positions = (positions + shift).reshape(-1)
    summed = np.zeros(batch * length, np.int64)
    counts = np.zeros(batch * length, np.int64)
    np.add.at(summed, flat_positions, updates.reshape(-1).astype(np.int64))
    np.add.at(counts, flat_positions, 1)
    summed, counts = summed.reshape(batch, length), counts.reshape(batch, length)
    counts[:, 0] = 0  # not_first_token
    mask = np.minimum(counts, 1)
    values = summed // np.maximum(1, counts)
    return (1 - mask) * sequence + mask * values, mask


def masked_inputs(input_ids, positions, weights, replace_uniform, mask_id):
    """masked_lm_ids and the generator's input, as pretrain_helpers.mask() makes them (85% [MASK])."""
    ids = gather_positions(input_ids, positions) * weights.astype(np.int64)
    replace = positions * (replace_uniform < 0.85).astype(np.int64)
    masked, _ = scatter_update(input_ids, np.full(positions.shape, mask_id), replace)
    return ids, masked


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def mlm_loss(logits, masked_ids, weights):
    """sum(w * nll) / (sum(w) + 1e-6) over the masked slots of the batch."""
    nll = -np.take_along_axis(log_softmax(logits.astype(np.float64)), masked_ids[..., None], -1)[..., 0]
    return float((weights * nll).sum() / (weights.sum() + 1e-6))


def sample(logits, uniform, temperature=1.0, disallow_ids=None):
    """sample_from_softmax(logits / temperature, disallow): Gumbel-max with the original's epsilons."""
    logits = logits.astype(np.float64) / temperature
    if disallow_ids is not None:
        logits = logits - 1000.0 * np.eye(logits.shape[-1])[disallow_ids]
    gumbel = -np.log(-np.log(uniform + 1e-9) + 1e-9)
    return (logits + gumbel).argmax(-1)


def fake_data(input_ids, positions, sampled):
    """_get_fake_data: the samples written into the original sequence, and the replaced-token labels."""
    updated, written = scatter_update(input_ids, sampled, positions)
    return updated, written * (updated != input_ids).astype(np.int64)


def disc_loss(logits, labels, input_mask):
    """sum(mask * BCE) / (1e-6 + sum(mask)) over the batch."""
    logits = logits.astype(np.float64)
    bce = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    return float((bce * input_mask).sum() / (1e-6 + input_mask.sum()))
