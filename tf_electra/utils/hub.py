"""Resolving a model name to a local folder. This package never downloads."""

import os

from tf_electra.errors import WeightsError


def hf_cache_dir():
    """The Hugging Face hub cache: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return os.path.join(home, "hub")


def resolve_model_dir(name_or_path, revision="main"):
    """Returns a local folder for a folder path or a hub id such as "google/electra-small-discriminator".

    A hub id is looked up in the local Hugging Face cache only.

    Raises:
        WeightsError: the path does not exist and the id is not in the cache.
    """
    path = os.fspath(name_or_path)
    if os.path.isdir(path):
        return path
    parts = path.split("/")
    if len(parts) == 2 and all(parts) and not os.path.isabs(path) and not path.startswith("."):
        repo = os.path.join(hf_cache_dir(), "models--" + path.replace("/", "--"))
        snapshot = None
        ref = os.path.join(repo, "refs", revision)
        if os.path.isfile(ref):
            with open(ref, encoding="utf-8") as f:
                snapshot = os.path.join(repo, "snapshots", f.read().strip())
        elif os.path.isdir(os.path.join(repo, "snapshots", revision)):
            snapshot = os.path.join(repo, "snapshots", revision)
        if snapshot and os.path.isdir(snapshot):
            return snapshot
        raise WeightsError(
            f"{path!r} is not a local folder and is not in the Hugging Face cache ({repo}). "
            "tf_electra never downloads: fetch the model elsewhere (for example "
            f"`hf download {path}`, from the huggingface_hub package) and pass its local folder, or set "
            "HF_HOME/HF_HUB_CACHE to the cache that holds it."
        )
    if os.path.isfile(path):
        raise WeightsError(
            f"{path} is a file; pass the model folder that holds it ({os.path.dirname(path) or '.'}), with "
            "config.json beside the weights"
        )
    raise WeightsError(f"{path} does not exist (expected a model folder with config.json and weights)")
