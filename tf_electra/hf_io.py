"""Reading and writing Hugging Face model folders: config.json plus weights.

Readers return a state dict in Hugging Face's PyTorch naming and layout
({"electra.encoder.layer.0.attention.self.query.weight": array [out, in], ...});
`weights.match_state_dict` then pairs it with a model's variables.

Weights formats, in the order they are looked for:
  model.safetensors                      (read with safetensors; no torch needed)
  model.safetensors.index.json + shards  (sharded safetensors)
  tf_model.h5                            (Hugging Face's TF2 layout, read with h5py)
  pytorch_model.bin                      (only when torch is installed; weights_only=True)
"""

import json
import os
import re

import numpy as np

from tf_electra.errors import WeightsError

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
TF_H5 = "tf_model.h5"
PYTORCH_BIN = "pytorch_model.bin"


def find_weights_file(directory):
    """The weights file of a model folder, by Hugging Face's order of preference."""
    for name in (SAFETENSORS, SAFETENSORS_INDEX, TF_H5, PYTORCH_BIN):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise WeightsError(
        f"{directory} has no weights: expected one of {SAFETENSORS}, {SAFETENSORS_INDEX}, {TF_H5}, {PYTORCH_BIN}"
    )


def read_state_dict(path):
    """Reads any supported weights file into {Hugging Face PyTorch key: float32/other NumPy array}."""
    name = os.path.basename(path)
    if name.endswith(".index.json"):
        return _read_sharded(path)
    if name.endswith(".safetensors"):
        return _read_safetensors(path)
    if name.endswith(".h5"):
        return _read_tf_h5(path)
    if name.endswith(".bin"):
        return _read_pytorch_bin(path)
    raise WeightsError(f"{path}: unknown weights format (expected .safetensors, .index.json, .h5 or .bin)")


def _read_safetensors(path):
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return dict(load_file(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"{path} is corrupted or truncated and cannot be read as safetensors: {e}") from e


def _read_sharded(index_path):
    try:
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise WeightsError(f"{index_path} is not a valid safetensors index (needs a weight_map): {e}") from e
    folder = os.path.dirname(index_path)
    state = {}
    for shard in sorted(set(weight_map.values())):
        shard_path = os.path.join(folder, shard)
        if not os.path.isfile(shard_path):
            raise WeightsError(f"{index_path} names the shard {shard}, which does not exist")
        state.update(_read_safetensors(shard_path))
    missing = sorted(set(weight_map) - set(state))
    if missing:
        raise WeightsError(f"{index_path} lists weights that no shard holds: {missing[:5]}")
    return state


def tf_h5_key(name):
    """Hugging Face TF2 weight name -> (PyTorch key, transpose?).

    e.g. "tf_electra_for_pre_training/electra/encoder/layer_._0/attention/self/query/kernel:0"
    -> ("electra.encoder.layer.0.attention.self.query.weight", True).
    """
    name = name.split(":")[0]
    parts = name.split("/")[1:]  # drop the model's own name
    leaf = parts.pop()
    path = "/".join(parts)
    path = re.sub(r"layer_\._(\d+)", r"layer/\1", path)
    transpose = leaf == "kernel"
    leaf = {"kernel": "weight", "gamma": "weight", "beta": "bias", "embeddings": "weight"}.get(leaf, leaf)
    return ".".join(path.split("/") + [leaf]), transpose


def _read_tf_h5(path):
    import h5py

    state = {}
    try:
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs.get("layer_names", [])]
            if not names:
                raise WeightsError(f"{path} is not a Keras 2 weights file of Hugging Face's TF2 layout (no layer_names)")
            for layer in names:
                group = f[layer]
                for weight in group.attrs.get("weight_names", []):
                    weight = weight.decode() if isinstance(weight, bytes) else weight
                    key, transpose = tf_h5_key(weight)
                    value = np.asarray(group[weight])
                    state[key] = np.ascontiguousarray(value.T) if transpose else value
    except OSError as e:
        raise WeightsError(f"{path} is corrupted or truncated and cannot be read as HDF5: {e}") from e
    return state


def _read_pytorch_bin(path):
    try:
        import torch
    except ImportError as e:
        raise WeightsError(
            f"{path} is a PyTorch pickle, which needs torch to read; install torch or convert the folder to "
            "model.safetensors"
        ) from e
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsError(f"{path} is corrupted, truncated or not a plain state dict: {e}") from e
    return {k: v.float().numpy() if v.is_floating_point() else v.numpy() for k, v in state.items()}


def write_safetensors(state_dict, path):
    """Writes a state dict as safetensors with Hugging Face's PyTorch metadata."""
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in state_dict.items()}, path, metadata={"format": "pt"})
