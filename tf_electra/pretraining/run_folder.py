"""A pre-training run's folder: what it recorded, and the checks before a run writes into it."""

import dataclasses
import json
import os

from tf_electra.errors import TrainingError
from tf_electra.io.google_writer import latest_checkpoint
from tf_electra.pretraining_config import PretrainingConfig
from tf_electra.utils.files import file_sha256
from tf_electra.utils.locks import is_empty_folder

CONFIG_FILE = "pretrain_config.json"
# Options that may change when a run is continued; every other one must be the run's own.
MAY_CHANGE = ("num_train_steps", "save_checkpoints_steps", "keep_checkpoint_max", "iterations_per_loop")


def saved_config(output):
    """The PretrainingConfig a run folder recorded (None when there is none)."""
    path = os.path.join(output, CONFIG_FILE)
    if not os.path.isfile(path) or not latest_checkpoint(output):  # an attempt that saved no checkpoint
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return PretrainingConfig.from_hparams(json.load(f))
    except (OSError, ValueError, RecursionError) as e:
        raise TrainingError(f"{path} is unreadable ({e}); choose another output folder") from e


def check_same_vocabulary(output, vocab):
    """A continued run keeps the vocabulary its checkpoints were trained with."""
    own = os.path.join(output, "vocab.txt")
    if latest_checkpoint(output) and os.path.isfile(own) and file_sha256(own) != file_sha256(vocab):
        raise TrainingError(
            f"{output} was trained with its own vocab.txt, and {vocab} differs from it; continue with the run's "
            "data and vocabulary, or choose another output folder"
        )


WRITES = {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json", "metrics.json", "logs"}
WRITES |= {"discriminator", "generator", "config.json", "pretrain_data.json"}  # and what a model or data folder holds


def check_not_foreign(output):
    if os.path.exists(output) and not os.path.isdir(output):
        raise TrainingError(f"{output} exists and is not a folder; choose another output")
    if is_empty_folder(output) or latest_checkpoint(output) or os.path.isfile(os.path.join(output, CONFIG_FILE)):
        return
    clash = sorted(n for n in os.listdir(output) if n in WRITES or ".tfrecord" in n or n.endswith(".safetensors"))
    if clash:  # a model or data folder: a run would overwrite or mix with them (a log file of the user's is fine)
        raise TrainingError(f"{output} holds {', '.join(clash[:4])} but no pre-training run; choose a new folder")


def check_same_run(output, config):
    path = os.path.join(output, CONFIG_FILE)
    if not latest_checkpoint(output):
        return  # nothing to continue: settings left by an attempt refused before its first checkpoint do not bind
    if not os.path.isfile(path):
        raise TrainingError(
            f"{output} holds checkpoints of another tool's run (no {CONFIG_FILE}); choose "
            "another output folder, or import them with tf-electra import-google"
        )
    try:
        with open(path, encoding="utf-8") as f:
            earlier = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise TrainingError(f"{path} is unreadable ({e}); choose another output folder") from e
    ours = config.to_dict()
    # A run written before a field existed has that field's default.
    fields = dataclasses.fields(PretrainingConfig)
    earlier = {**{f.name: f.default for f in fields if f.default is not dataclasses.MISSING}, **earlier}
    differ = sorted(k for k in ours if k not in MAY_CHANGE and earlier.get(k) != ours[k])
    if differ:
        detail = ", ".join(f"{k}: {earlier.get(k)!r} there, {ours[k]!r} now" for k in differ[:4])
        raise TrainingError(
            f"{output} holds a different run ({detail}); continue it with its own settings or "
            "choose another output folder"
        )
