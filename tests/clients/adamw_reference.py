"""google-research/electra's AdamWeightDecayOptimizer update in NumPy (plus the optional bias correction).

An independent transcription for the tests: for each step t (from 1), per variable w with gradient g,
layer-rate multiplier k and decay flag d:
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    update = m / (sqrt(v) + eps) [x sqrt(1 - b2^t) / (1 - b1^t) if corrected] + (wd w if d)
    w = w - k lr(t - 1) update
"""

import numpy as np


def adamw_reference(
    weights, grads_per_step, lrs, multipliers, decays, wd=0.01, b1=0.9, b2=0.999, eps=1e-6, corrected=True
):
    w = [np.array(x, np.float64) for x in weights]
    m = [np.zeros_like(x) for x in w]
    v = [np.zeros_like(x) for x in w]
    for t, (grads, lr) in enumerate(zip(grads_per_step, lrs), start=1):
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            step = m[i] / (np.sqrt(v[i]) + eps)
            if corrected:
                step = step * np.sqrt(1 - b2**t) / (1 - b1**t)
            step = step + (wd * w[i] if decays[i] else 0.0)
            w[i] = w[i] - multipliers[i] * lr * step
    return w
