"""One name-mapping mechanism between our Keras variables and the other formats.

Our layer names follow the original scopes, so a variable's path inside the
model (e.g. `electra/encoder/layer_0/attention/self/query/kernel`) maps by rule
onto Hugging Face's PyTorch names (`electra.encoder.layer.0.attention.self.query.weight`,
transposed) and onto Google's checkpoint names (see `google_checkpoint.py`).
"""

import re

import numpy as np

from tf_electra.errors import WeightsError

# Hugging Face keys that are tied to another weight or are buffers: never stored separately.
TIED_OR_BUFFER = re.compile(r"(^|\.)generator_lm_head\.weight$|(^|\.)position_ids$|(^|\.)token_type_ids$")


def relative_path(model, variable):
    """The variable's path inside the model, without the model's own name."""
    prefix = (getattr(model, "_path", None) or model.name) + "/"
    path = variable.path
    return path[len(prefix):] if path.startswith(prefix) else path.split("/", 1)[1]


def hf_key(path):
    """(Hugging Face key, transpose?) for one of our variable paths."""
    parts = path.split("/")
    leaf = parts.pop()
    out = []
    for part in parts:
        match = re.fullmatch(r"layer_(\d+)", part)
        out.extend(["layer", match.group(1)] if match else [part])
    transpose = leaf == "kernel"
    out.append({"kernel": "weight", "gamma": "weight", "beta": "bias", "embeddings": "weight"}.get(leaf, leaf))
    return ".".join(out), transpose


def hf_variable_map(model):
    """{Hugging Face key: (variable, transpose)} for every weight of the model."""
    table = {}
    for variable in model.weights:
        key, transpose = hf_key(relative_path(model, variable))
        table[key] = (variable, transpose)
    return table


def hf_state_dict(model):
    """The model's weights as {Hugging Face key: float32 NumPy array in PyTorch layout}."""
    out = {}
    for key, (variable, transpose) in hf_variable_map(model).items():
        value = np.asarray(variable.numpy(), dtype=np.float32)
        out[key] = np.ascontiguousarray(value.T) if transpose else value
    return out


def match_state_dict(model, state_dict, source="state dict"):
    """Pairs checkpoint tensors with model variables; nothing is assigned.

    A base checkpoint (keys without "electra.") and a head checkpoint
    ("electra." prefix) both fit. Returns (assignments, missing, unexpected),
    where assignments is a list of (variable, array in Keras layout).

    Raises:
        WeightsError: a tensor's shape differs from its variable's (naming both shapes).
    """
    table = hf_variable_map(model)
    keys = list(state_dict)
    has_prefix = any(k.startswith("electra.") for k in keys)
    assignments, used = [], set()
    for key, (variable, transpose) in table.items():
        source_key = key if has_prefix else (key[len("electra."):] if key.startswith("electra.") else None)
        if source_key is None or source_key not in state_dict:
            continue
        value = np.asarray(state_dict[source_key])
        if transpose:
            value = value.T
        if tuple(value.shape) != tuple(variable.shape):
            raise WeightsError(
                f"{source}: weight {source_key!r} has shape {tuple(np.asarray(state_dict[source_key]).shape)} "
                f"but the model expects {tuple(variable.shape) if not transpose else tuple(variable.shape)[::-1]}"
                " (the config's sizes disagree with the weights)"
            )
        assignments.append((variable, value))
        used.add(source_key)
    assigned = {id(v) for v, _ in assignments}
    missing = [k for k, (v, _) in table.items() if id(v) not in assigned]
    unexpected = [k for k in keys if k not in used and not TIED_OR_BUFFER.search(k)]
    return assignments, missing, unexpected


def assign(assignments):
    """Assigns all matched weights (called only after every shape was checked)."""
    for variable, value in assignments:
        variable.assign(value.astype(variable.dtype) if hasattr(value, "astype") else value)
