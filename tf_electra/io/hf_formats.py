"""Reading and writing Hugging Face model folders: config.json plus weights.

`read_weights` returns the stored tensors and the naming format they use (see `names.py`):
Hugging Face's PyTorch keys ({"electra.encoder.layer.0.attention.self.query.weight": array [out, in]})
for safetensors and pytorch_model.bin, Hugging Face's TF2 names for tf_model.h5. `weights.match`
then pairs them with a model's variables.

Weights formats, in the order they are looked for:
  model.safetensors                      (read with safetensors; no torch needed)
  model.safetensors.index.json + shards  (sharded safetensors)
  tf_model.h5                            (Hugging Face's TF2 layout, read with h5py)
  pytorch_model.bin                      (only when torch is installed; weights_only=True)
"""

import json
import os

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


class StoredTensor:
    """A tensor of a safetensors file, read only when it is converted to an array.

    `shape` and `dtype` come from the file's header, so a loader can check every name and shape
    first and then read one tensor at a time. The file is mapped only while one tensor is read:
    a mapping kept open would hold every page read so far in the process's memory.
    """

    def __init__(self, view, key, path, identity):
        stored = view.get_dtype()
        self.shape = tuple(view.get_shape())
        self.dtype = np.dtype(SAFETENSORS_DTYPES[stored]) if stored in SAFETENSORS_DTYPES else stored
        self._key, self._path, self._identity = key, path, identity

    def __array__(self, dtype=None, copy=None):
        array = self._read(lambda handle: handle.get_tensor(self._key))
        return array if dtype is None else array.astype(dtype)

    def rows(self, start, stop):
        """Rows start:stop of the tensor (along its first axis), reading only their bytes."""
        return self._read(lambda handle: handle.get_slice(self._key)[start:stop])

    def _read(self, take):
        """`take(handle)` on the mapped file, as an array that outlives the mapping."""
        from safetensors import SafetensorError
        from safetensors import safe_open

        self._check_unchanged()
        try:
            with safe_open(self._path, framework="numpy") as handle:
                array = _owned(take(handle))
        except (SafetensorError, OSError, ValueError, TypeError) as e:
            self._check_unchanged()
            raise WeightsError(f"{self._path}: cannot read tensor {self._key!r}: {e}") from e
        self._check_unchanged()  # the path reopens per read: the bytes must come from the file whose header was read
        return array

    def _check_unchanged(self):
        try:
            same = file_identity(self._path) == self._identity
        except OSError:
            same = False
        if not same:
            raise WeightsError(
                f"{self._path} was replaced or changed while it was being loaded (at tensor {self._key!r}; another "
                "process saving over it?); load it again"
            )


def _owned(array):
    """`array`, copied only where it shares memory with the mapped file: safetensors' numpy reader already copies
    each tensor into a bytearray of its own. (TensorFlow copies an array once more when it converts it. Without our
    second copy a Base folder's cold start peaked at 1047 instead of 1065 MB; its time did not change beyond noise.)"""
    base = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return array if isinstance(base, (bytearray, bytes)) else np.array(array)


def file_identity(path):
    """(size, modification and change times) of a file: equal while no one replaces or rewrites it (a rename
    into place changes the change time; inode numbers are left out: CIFS and some FUSE mounts renumber them)."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


SAFETENSORS_DTYPES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}


def read_weights(path):
    """Reads a supported weights file: returns (naming format, {name: array}).

    Safetensors values are `StoredTensor`s (read on conversion to an array); the others are arrays.
    """
    name = os.path.basename(path)
    if name.endswith(".index.json"):
        return "hf", _read_sharded(path)
    if name.endswith(".safetensors"):
        return "hf", _read_safetensors(path)
    if name.endswith(".h5"):
        return "hf_tf", _read_tf_h5(path)
    if name.endswith(".bin"):
        return "hf", _read_pytorch_bin(path)
    raise WeightsError(f"{path}: unknown weights format (expected .safetensors, .index.json, .h5 or .bin)")


def _read_safetensors(path):
    from safetensors import SafetensorError
    from safetensors import safe_open

    try:
        identity = file_identity(path)
        with safe_open(path, framework="numpy") as handle:
            tensors = {key: StoredTensor(handle.get_slice(key), key, path, identity) for key in handle.keys()}  # noqa: SIM118 (not iterable)
        if file_identity(path) != identity:
            raise OSError(f"{path} was replaced or changed while its header was read")
        return tensors
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        raise WeightsError(f"{path} is corrupted or truncated and cannot be read as safetensors: {e}") from e


def _read_sharded(index_path):
    try:
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
        shards = sorted(set(weight_map.values()))
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError) as e:  # (JSONDecodeError: a ValueError)
        raise WeightsError(f"{index_path} is not a valid safetensors index (needs a weight_map): {e}") from e
    folder = os.path.realpath(os.path.dirname(index_path))
    state = {}
    for shard in shards:
        if not isinstance(shard, str):
            raise WeightsError(f"{index_path} names a shard that is not a file name: {shard!r}")
        shard_path = os.path.realpath(os.path.join(folder, shard))
        if os.path.dirname(shard_path) != folder:
            raise WeightsError(
                f"{index_path} names the shard {shard!r}, which lies outside the model folder; shards must be "
                "files in the same folder as the index"
            )
        if not os.path.isfile(shard_path):
            raise WeightsError(f"{index_path} names the shard {shard}, which does not exist")
        for key, tensor in _read_safetensors(shard_path).items():
            if weight_map.get(key, shard) != shard:
                continue  # the index assigns it to another shard, whose copy is the one to load
            if key in state:
                raise WeightsError(f"{index_path}: the weight {key!r} is in more than one shard and not in the index")
            state[key] = tensor
    missing = sorted(set(weight_map) - set(state))
    if missing:
        raise WeightsError(f"{index_path} lists weights that the shards it names for them do not hold: {missing[:5]}")
    return state


def _read_tf_h5(path):
    import h5py

    state = {}
    try:
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs.get("layer_names", [])]
            if not names:
                raise WeightsError(
                    f"{path} is not a Keras 2 weights file of Hugging Face's TF2 layout (no layer_names)"
                )
            for layer in names:
                group = f[layer]
                for weight in group.attrs.get("weight_names", []):
                    weight = weight.decode() if isinstance(weight, bytes) else weight
                    # "tf_electra_for_pre_training/electra/.../kernel:0" -> "electra/.../kernel"
                    state[weight.split(":")[0].split("/", 1)[-1]] = np.asarray(group[weight])
    except WeightsError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as e:
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
    if not isinstance(state, dict):
        raise WeightsError(f"{path} does not hold a state dict (got {type(state).__name__})")
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} holds values that are not tensors; expected a plain state dict")
    return {k: v.float().numpy() if v.is_floating_point() else v.numpy() for k, v in state.items()}


def write_safetensors(state_dict, path):
    """Writes a state dict as safetensors with Hugging Face's PyTorch metadata."""
    from safetensors import SafetensorError
    from safetensors.numpy import save_file

    try:
        save_file({k: np.ascontiguousarray(v) for k, v in state_dict.items()}, path, metadata={"format": "pt"})
    except SafetensorError as e:  # an I/O error (a full disk, say) inside the Rust writer
        raise WeightsError(f"cannot write {path}: {e}") from e
