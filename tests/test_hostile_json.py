"""Every JSON text the package reads, given JSON that Python's parser rejects in its own ways.

Besides bad syntax, `json` raises a plain ValueError for an integer of over 4,300 digits (Python's limit on
int conversion) and a RecursionError for nesting deeper than the stack: each entry point answers all three
with its own error class, one line naming the file (and line) or the setting, never a bare ValueError or
RecursionError.
"""

import json

import pytest

import tf_electra
from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.errors import TrainingError
from tf_electra.errors import WeightsError

from conftest import tiny_config

HUGE_NUMBER = '{"n": ' + "9" * 5000 + "}"
DEEP = "[" * 100_000 + "]" * 100_000
BROKEN = '{"n": '
TEXTS = {"huge number": HUGE_NUMBER, "deep nesting": DEEP, "broken": BROKEN}


def model_folder(tmp_path, text):
    tf_electra.TFElectraModel(tiny_config()).save_pretrained(str(tmp_path / "model"))
    (tmp_path / "model" / "config.json").write_text(text)
    return tmp_path / "model"


def config_from_folder(tmp_path, text):
    tf_electra.ElectraConfig.from_pretrained(str(model_folder(tmp_path, text)))


def model_from_folder(tmp_path, text):
    from tf_electra.models.registry import load_model_dir

    load_model_dir(str(model_folder(tmp_path, text)))


def pretraining_data_info(tmp_path, text):
    from tf_electra.tasks.pretraining import data_info

    (tmp_path / "pretrain_data.json").write_text(text)
    data_info(str(tmp_path))


def squad_file(tmp_path, text):
    from tf_electra.tasks.question_answering import read_squad

    (tmp_path / "train.json").write_text(text)
    read_squad(str(tmp_path / "train.json"))


def jsonl_file(tmp_path, text):
    from tf_electra.tasks.readers import read_rows

    (tmp_path / "train.jsonl").write_text('{"text": "a", "label": "b"}\n' + text + "\n")
    read_rows(str(tmp_path / "train.jsonl"))


def hparams_text(tmp_path, text):
    from tf_electra.utils.values import parse_json_object

    parse_json_object(text, "hparams")


def hparams_file(tmp_path, text):
    from tf_electra.utils.values import parse_json_object

    (tmp_path / "hparams.json").write_text(text)
    parse_json_object(str(tmp_path / "hparams.json"), "hparams")


def run_folder(tmp_path, text):
    from tf_electra.pretraining.run_folder import saved_config

    (tmp_path / "model.ckpt-1.index").write_bytes(b"")  # a run folder with a checkpoint
    (tmp_path / "pretrain_config.json").write_text(text)
    saved_config(str(tmp_path))


def pretraining_metrics(tmp_path, text):
    from tf_electra.pretraining.callbacks import load_history

    (tmp_path / "metrics.json").write_text(text)
    load_history(str(tmp_path / "metrics.json"))


def safetensors_index(tmp_path, text):
    from tf_electra.io.hf_formats import _read_sharded

    (tmp_path / "model.safetensors.index.json").write_text(text)
    _read_sharded(str(tmp_path / "model.safetensors.index.json"))


def tf_config(tmp_path, text, monkeypatch=None):
    from tf_electra.training.distribute import is_chief

    monkeypatch.setenv("TF_CONFIG", text)
    is_chief("multi-worker")


ENTRY_POINTS = {
    # name: (reader, error class, what the message names)
    "config.json via ElectraConfig": (config_from_folder, ConfigError, "config.json is not valid JSON"),
    "config.json via the model registry": (model_from_folder, ConfigError, "config.json is not valid JSON"),
    "pretrain_data.json": (pretraining_data_info, DataError, "pretrain_data.json is not valid JSON"),
    "SQuAD file": (squad_file, DataError, "train.json is not valid JSON"),
    "JSON lines": (jsonl_file, DataError, "train.jsonl:2 is not valid JSON"),
    "hparams text": (hparams_text, ConfigError, "hparams are not valid JSON"),
    "hparams file": (hparams_file, ConfigError, "hparams.json is not valid JSON"),
    "TF_CONFIG": (tf_config, TrainingError, "TF_CONFIG is not valid JSON"),
    "pretrain_config.json of a run": (run_folder, TrainingError, "pretrain_config.json is unreadable"),
    "metrics.json of a run": (pretraining_metrics, TrainingError, "metrics.json is damaged"),
    "safetensors index": (safetensors_index, WeightsError, "index.json is not a valid safetensors index"),
}
DETAIL = {"huge number": r"Exceeds the limit \(4300 digits\)", "deep nesting": "maximum recursion depth", "broken": ""}


@pytest.mark.parametrize("text", list(TEXTS))
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_json_python_rejects_is_one_named_error(tmp_path, monkeypatch, entry, text):
    reader, error, names = ENTRY_POINTS[entry]
    kwargs = {"monkeypatch": monkeypatch} if reader is tf_config else {}
    with pytest.raises(error, match=f"{names}.*{DETAIL[text]}") as caught:
        reader(tmp_path, TEXTS[text], **kwargs)
    assert len(str(caught.value)) < 600, str(caught.value)[:300]


@pytest.mark.parametrize(
    "reader,error,match",
    [
        (pretraining_data_info, DataError, "pretrain_data.json must hold a JSON object, got list"),
        (config_from_folder, ConfigError, "config.json must hold a JSON object, got list"),
        (model_from_folder, ConfigError, "config.json must hold a JSON object, got list"),
    ],
)
def test_json_that_is_not_an_object_is_named(tmp_path, reader, error, match):
    with pytest.raises(error, match=match):
        reader(tmp_path, json.dumps([1, 2]))
