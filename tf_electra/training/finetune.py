"""Fine-tuning with the paper's recipe: the code behind `tf-electra finetune`.

`finetune(FinetuneConfig(...))` runs named steps: validate the options, prepare the output folder,
encode the data with the task, build the head and the optimizer, and fit with a `BestCheckpoint`
callback. The output folder is always consistent: `best/` (a save_pretrained folder) is replaced
atomically whenever the validation metric improves, `metrics.json` is rewritten atomically after
every epoch, and `logs/` holds TensorBoard events. An interrupted run leaves the last complete
state; a NaN loss stops the run with an error and never replaces `best/`. The folder is locked
while a run uses it.
"""

import dataclasses
import math
import os
import shutil
import sys

import numpy as np

from tf_electra._deprecated import moved
from tf_electra.errors import ConfigError
from tf_electra.errors import FinetuneError
from tf_electra.models.registry import model_folder
from tf_electra.models.reinit import reinitialize_top_layers
from tf_electra.presets import model_size_of
from tf_electra.tasks.base import finetuning_tasks
from tf_electra.tasks.base import get_task
from tf_electra.tasks.data import encode_train_and_validation
from tf_electra.tasks.data import evaluate  # noqa: F401 (public here since 0.1)
from tf_electra.tokenization.tokenizer import ElectraTokenizer
from tf_electra.training.callbacks import BestCheckpoint
from tf_electra.training.checks import check_max_length
from tf_electra.training.checks import check_option_types
from tf_electra.training.checks import check_reinit_layers
from tf_electra.training.checks import warn_if_slow
from tf_electra.training.distribute import is_chief
from tf_electra.training.distribute import make_strategy
from tf_electra.training.optimization import FINETUNE_PRESETS
from tf_electra.training.optimization import create_optimizer
from tf_electra.training.optimization import recipe
from tf_electra.training.task_file import TASK_FILE
from tf_electra.training.task_file import read_task_file  # noqa: F401 (public here since 0.1)
from tf_electra.utils import graph_rewrites
from tf_electra.utils.locks import folder_lock
from tf_electra.utils.locks import is_empty_folder
from tf_electra.utils.values import is_number
from tf_electra.utils.values import is_positive_int

ARTIFACTS = ("best", "logs", "metrics.json")


@dataclasses.dataclass
class FinetuneConfig:
    """Everything a fine-tuning run needs. Hyperparameters left None come from the paper's preset.

    Attributes:
        model_dir: A save_pretrained / import-google folder (config, weights, tokenizer), or a
            finetune output folder (its best/ is fine-tuned further).
        task: A task name (`tf_electra.tasks.base.finetuning_tasks()`).
        train / validation: Data files (.csv, .tsv, .jsonl; SQuAD .json) or lists of rows.
        output: Folder to create: best/ (model + tokenizer), metrics.json, logs/.
        preset: "small", "base" or "large" hyperparameters (default: the size whose width is nearest the model's).
        dataset: A GLUE/SQuAD name ("rte", "sts", "squad", ...) whose epoch count the paper sets.
        learning_rate, epochs, batch_size, layer_decay, warmup_ratio, weight_decay: override the preset.
        max_length: Truncation length (default: the task's, 128 or 384 for question answering).
        mixed_precision: None, "bfloat16" or "float16".
        jit_compile: Compile the train step with XLA.
        strategy: "default", "mirrored" or "multi-worker".
        columns: Column names for the task's encoder (e.g. {"text_column": "sentence"}).
        seed: Seed of weights initialisation, shuffling and dropout.
        overwrite: Replace the artifacts of an earlier run in `output`.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        reinit_layers: Encoder blocks, counted from the top, whose weights are drawn afresh before training
            (Zhang et al., 2021; it can help a briefly pre-trained encoder, README); 0 keeps them all.
    """

    model_dir: str
    task: str
    train: object
    output: str
    validation: object = None
    preset: str = None
    dataset: str = None
    learning_rate: float = None
    epochs: int = None
    batch_size: int = None
    layer_decay: float = None
    warmup_ratio: float = None
    weight_decay: float = None
    max_length: int = None
    mixed_precision: str = None
    jit_compile: bool = False
    strategy: str = "default"
    columns: dict = dataclasses.field(default_factory=dict)
    seed: int = 0
    overwrite: bool = False
    verbose: int = 1
    reinit_layers: int = 0

    def validate(self):
        """Checks every option up front; raises FinetuneError naming the first bad one."""
        if self.task not in finetuning_tasks():
            raise FinetuneError(f"unknown task {self.task!r}; choose one of {', '.join(finetuning_tasks())}")
        for name in ("epochs", "batch_size", "max_length"):
            value = getattr(self, name)
            if value is not None and not is_positive_int(value):
                raise FinetuneError(f"{name} must be a positive integer, got {value!r}")
        for name, low, high in (
            ("learning_rate", 0.0, math.inf),
            ("layer_decay", 0.0, 1.0),
            ("warmup_ratio", 0.0, 1.0),
            ("weight_decay", 0.0, math.inf),
        ):
            value = getattr(self, name)
            if value is None:
                continue
            if not is_number(value):
                raise FinetuneError(f"{name} must be a finite number, got {value!r}")
            strictly = name in ("learning_rate", "layer_decay")
            if value > high or value < low or (strictly and value == low):
                raise FinetuneError(f"{name} must be in {'(' if strictly else '['}{low}, {high}], got {value!r}")
        if self.preset is not None and self.preset not in FINETUNE_PRESETS:
            raise FinetuneError(f"preset must be one of {sorted(FINETUNE_PRESETS)}, got {self.preset!r}")
        if self.mixed_precision not in (None, "bfloat16", "float16"):
            raise FinetuneError(f"mixed_precision must be None, 'bfloat16' or 'float16', got {self.mixed_precision!r}")
        if self.strategy not in ("default", "mirrored", "multi-worker", None):
            raise FinetuneError(f"strategy must be default, mirrored or multi-worker, got {self.strategy!r}")
        if not isinstance(self.columns, dict):
            raise FinetuneError(f"columns must be a dict of column names, got {type(self.columns).__name__}")
        check_option_types(self)
        try:
            get_task(self.task).check_columns(self.columns)
        except ConfigError as e:
            raise FinetuneError(str(e)) from None
        return self


def finetune(model_dir=None, task=None, train=None, output=None, *, config=None, **options):
    """Fine-tunes a model folder on a task with the paper's recipe; returns the metrics dict.

    Call it with a FinetuneConfig (`finetune(config=FinetuneConfig(...))`) or with the same fields
    as arguments (`finetune("electra-small/", "classification", "train.csv", "run/", epochs=3)`).

    Returns:
        The run's history (what metrics.json holds): hyperparameters, per-epoch metrics, the best.

    Raises:
        FinetuneError: a bad option, an output folder in use or not empty, or a NaN loss.
        DataError: malformed data (naming the file and line).
    """
    if config is None:
        config = FinetuneConfig(model_dir, task, train, output, **options)
    elif options or any(v is not None for v in (model_dir, task, train, output)):
        given = sorted(options) + [
            n
            for n, v in zip(("model_dir", "task", "train", "output"), (model_dir, task, train, output))
            if v is not None
        ]
        raise FinetuneError(
            f"pass either config= or the options, not both ({', '.join(given)} would be ignored); "
            "use dataclasses.replace(config, ...) to change a config"
        )
    config.validate()
    graph_rewrites.check_settings()  # bad switches, frozen oneDNN weights: refused before any write
    chief = is_chief(config.strategy)
    output = os.path.abspath(config.output)
    if chief:
        with folder_lock(output, "fine-tuning run"):
            return _run(config, output, chief)
    return _run(config, output, chief)


def _run(config, output, chief):
    import keras

    task = get_task(config.task)
    if chief:
        prepare_output(output, config.overwrite)
    keras.utils.set_random_seed(config.seed)
    source = model_folder(config.model_dir)  # a finetune output folder continues from its best/
    tokenizer = ElectraTokenizer.from_pretrained(source)
    max_length = config.max_length or task.default_max_length
    train_data, val_data = encode_train_and_validation(
        task, config.train, config.validation, config.columns, tokenizer, max_length, read_config(source).id2label
    )
    strategy = make_strategy(config.strategy)
    with strategy.scope():
        model = load_head(task, source, config.mixed_precision, task.head_config(train_data))
        check_max_length(model, max_length, config.max_length is not None)
        check_reinit_layers(model, config.reinit_layers)
        reinitialize_top_layers(model, config.reinit_layers, seed=config.seed)
        hp, benchmark = hyperparameters(config, task, model)
        steps = int(np.ceil(len(train_data) / hp["batch_size"])) * hp["epochs"]
        optimizer = create_optimizer(
            model,
            steps,
            model_size=hp["model_size"],
            learning_rate=hp["learning_rate"],
            layer_decay=hp["layer_decay"],
            warmup_ratio=hp["warmup_ratio"],
            weight_decay=hp["weight_decay"],
        )
        warn_if_slow(config)
        model.compile(optimizer=optimizer, jit_compile=config.jit_compile)
    model.config.finetuning_task = task.name

    workdir = output if chief else os.path.join(output, f".worker-{os.getpid()}")
    os.makedirs(workdir, exist_ok=True)
    history = {
        "task": task.name,
        "dataset": benchmark,
        "hyperparameters": hp,
        "train_examples": len(train_data),
        "epochs": [],
    }
    columns = dict(train_data.extra.get("columns", {}), **{k: v for k, v in config.columns.items() if v is not None})
    task_info = {"task": task.name, "columns": columns, "max_length": max_length}
    best = BestCheckpoint(
        task,
        val_data,
        workdir,
        history,
        tokenizer,
        hp["batch_size"],
        save=chief,
        task_info=task_info,
        task_file=TASK_FILE,
        verbose=config.verbose,
    )
    callbacks = [best]
    if chief:
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(workdir, "logs")))
    train_ds = train_data.dataset(hp["batch_size"], shuffle=True, seed=config.seed, pad_token_id=tokenizer.pad_token_id)
    if config.verbose:
        print(
            f"building the training graph for {task.name} ({len(train_data)} examples, {hp['epochs']} epochs)...",
            file=sys.stderr,
            flush=True,
        )
    model.fit(train_ds, epochs=hp["epochs"], callbacks=callbacks, verbose=config.verbose)
    if not chief:
        shutil.rmtree(workdir, ignore_errors=True)
    best.raise_if_failed()
    return history


def prepare_output(output, overwrite):
    """Refuses a non-empty output folder, or (overwrite) removes the earlier run's artifacts."""
    if os.path.exists(output) and not os.path.isdir(output):
        raise FinetuneError(f"{output} exists and is not a folder; choose another --output")
    if is_empty_folder(output):
        return
    if not overwrite:
        raise FinetuneError(f"{output} exists and is not empty; choose another --output or pass --overwrite")
    for name in ARTIFACTS:  # so logs and metrics of two runs never mix
        path = os.path.join(output, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)


def read_config(folder):
    from tf_electra.configuration import ElectraConfig

    return ElectraConfig.from_pretrained(folder)


def load_head(task, source, mixed_precision, head_config):
    """The task's head on the pre-trained weights (the head itself is new: no warning about it)."""
    dtype = {None: None, "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}[mixed_precision]
    return task.model_class.from_pretrained(source, dtype=dtype, warn_unmatched=False, **head_config)


def hyperparameters(config, task, model):
    """(the recipe's values with the config's overrides, the benchmark whose epochs apply)."""
    size = config.preset or model_size_of(model.config)
    benchmark = config.dataset or task.paper_dataset
    hp = recipe(
        size,
        benchmark,
        learning_rate=config.learning_rate,
        epochs=config.epochs,
        batch_size=config.batch_size,
        layer_decay=config.layer_decay,
        warmup_ratio=config.warmup_ratio,
        weight_decay=config.weight_decay,
    )
    hp["model_size"] = size
    hp["reinit_layers"] = config.reinit_layers
    return hp, benchmark


__getattr__ = moved("tf_electra.training.finetune", {"predict_file": "tf_electra.training.predict"})
