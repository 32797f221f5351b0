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


BASE_PREFIXES = ("embeddings.", "embeddings_project.", "encoder.")


def canonical_key(key):
    """A checkpoint key in our prefixed form: a bare ElectraModel's "encoder.x" is "electra.encoder.x"."""
    return "electra." + key if key.startswith(BASE_PREFIXES) else key


def hf_state_dict(model):
    """The model's weights as {Hugging Face key: float32 NumPy array in PyTorch layout}.

    Keys are those transformers' class of the same name saves: a bare
    TFElectraModel has no "electra." prefix, a model with a head has one.
    """
    strip = getattr(model, "hf_base_model", False)
    out = {}
    for key, (variable, transpose) in hf_variable_map(model).items():
        value = np.asarray(variable.numpy(), dtype=np.float32)
        if strip and key.startswith("electra."):
            key = key[len("electra."):]
        out[key] = np.ascontiguousarray(value.T) if transpose else value
    return out


def match_state_dict(model, state_dict, source="state dict"):
    """Pairs checkpoint tensors with model variables; nothing is assigned.

    A base checkpoint (keys without "electra.") and a head checkpoint
    ("electra." prefix) both fit any model. Returns (assignments, missing,
    unexpected), where assignments is a list of (variable, array in Keras layout).

    Raises:
        WeightsError: a tensor's shape differs from its variable's (naming both shapes).
    """
    table = hf_variable_map(model)
    by_key = {canonical_key(k): k for k in state_dict}
    assignments, used = [], set()
    for key, (variable, transpose) in table.items():
        source_key = by_key.get(key)
        if source_key is None:
            continue
        stored = np.asarray(state_dict[source_key])
        expected = tuple(variable.shape)[::-1] if transpose else tuple(variable.shape)
        if tuple(stored.shape) != expected:
            raise WeightsError(
                f"{source}: weight {source_key!r} has shape {tuple(stored.shape)} but the model expects "
                f"{expected}; the config's sizes disagree with the weights"
            )
        assignments.append((variable, stored.T if transpose else stored))
        used.add(source_key)
    assigned = {id(v) for v, _ in assignments}
    missing = [k for k, (v, _) in table.items() if id(v) not in assigned]
    unexpected = [k for k in state_dict if k not in used and not TIED_OR_BUFFER.search(k)]
    return assignments, missing, unexpected


def assign(assignments):
    """Assigns all matched weights (called only after every shape was checked)."""
    for variable, value in assignments:
        variable.assign(np.asarray(value).astype(variable.dtype))
