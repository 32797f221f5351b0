"""The Task class and the task registry.

A task owns everything that differs between tasks: its model class, how rows become features and
labels, how labels are batched, its metrics and main metric, how model outputs become prediction
records, and which tensors a SavedModel signature returns. Fine-tuning, prediction, export and the
command line ask the task instead of comparing task names. Adding a task is one module with one
`@register` class (and its test).

The design follows google-research/electra's `finetune/task.py` (an abstract Task with
`featurize`, `get_scorer`, `get_prediction_module`) made Keras-native.
"""

import numpy as np

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.utils.values import shorten

_REGISTRY = {}


def register(cls):
    """Class decorator: makes a Task subclass available by its `name`."""
    _REGISTRY[cls.name] = cls()
    return cls


def _load_builtin_tasks():
    # Importing the task modules runs their @register decorators.
    # (In the order the command line lists them.)
    from tf_electra.tasks import classification  # noqa: F401, I001
    from tf_electra.tasks import regression  # noqa: F401
    from tf_electra.tasks import token_classification  # noqa: F401
    from tf_electra.tasks import question_answering  # noqa: F401
    from tf_electra.tasks import multiple_choice  # noqa: F401
    from tf_electra.tasks import inference  # noqa: F401
    from tf_electra.tasks import pretraining  # noqa: F401


def get_task(name):
    """The registered Task called `name` (e.g. "classification").

    Raises:
        ConfigError: no task has that name (the message lists the names).
    """
    _load_builtin_tasks()
    if isinstance(name, Task):
        return name
    if name not in _REGISTRY:
        raise ConfigError(f"unknown task {shorten(repr(name), 100)}; choose one of {', '.join(finetuning_tasks())}")
    return _REGISTRY[name]


def finetuning_tasks():
    """Names of the tasks a model can be fine-tuned on, in registration order."""
    _load_builtin_tasks()
    return tuple(name for name, task in _REGISTRY.items() if task.finetunable)


def task_for_model(model):
    """The task whose head `model` is (classification and regression are told apart by the config)."""
    _load_builtin_tasks()
    for task in _REGISTRY.values():
        if task.serves(model):
            return task
    raise ConfigError(f"{type(model).__name__} belongs to no task")


class Task:
    """One task. Subclasses set the class attributes and implement the methods they need.

    Attributes:
        name: The task's name on the command line and in `get_task`.
        model_class: The Keras model class of its head.
        main_metric: The validation metric that picks the best epoch (higher is better).
        finetunable: Whether `finetune` can train it from rows of data.
        input_rank: 2 for [batch, seq] inputs, 3 for [batch, choices, seq].
        default_max_length: Sequence length when none is given.
        paper_dataset: The benchmark whose epoch count the paper's recipe uses by default.
        columns: The column-name options its encoder takes (e.g. "text_column").
        names_labels: Whether its serving outputs include `label`, the id2label name of the best class (with
            more than one label); an export then lists the names in assets/labels.txt.
    """

    name = None
    model_class = None
    main_metric = None
    finetunable = False
    input_rank = 2
    default_max_length = 128
    paper_dataset = None
    columns = ()
    names_labels = False

    # --- models ---------------------------------------------------------------------------------

    def serves(self, model):
        """Whether `model` is this task's head."""
        return type(model) is self.model_class

    def head_config(self, data):
        """Config fields the head needs for this data (labels, problem type)."""
        return {}

    # --- data -----------------------------------------------------------------------------------

    def check_columns(self, columns):
        """Refuses column options this task's encoder does not take, naming them."""
        unknown = sorted(set(columns) - set(self.columns))
        if unknown:
            allowed = ", ".join(self.columns) or "none"
            raise ConfigError(f"unknown column option(s) {unknown} for the {self.name} task; it takes: {allowed}")
        return columns

    def encode(self, source, tokenizer, max_length=None, label2id=None, with_labels=True, **columns):
        """Rows (a file or a list) -> TaskData of unpadded features and labels."""
        raise ConfigError(f"the {self.name} task has no row format; it cannot be fine-tuned or predicted from rows")

    def label_spec(self):
        """The tf.TensorSpec (structure) of a batch of labels."""
        import tensorflow as tf

        return tf.TensorSpec([None], tf.int32)

    def batch_labels(self, labels):
        """A list of per-example labels -> the batch the label spec describes."""
        return np.asarray(labels, np.int32)

    # --- outputs --------------------------------------------------------------------------------

    def metrics(self, data, outputs):
        """Metrics dict of model outputs ({name: per-example arrays}) against `data`'s labels."""
        raise ConfigError(f"the {self.name} task has no metrics")

    def predictions(self, data, outputs, config):
        """One JSON-ready record per example (label names, probabilities, answers, ...)."""
        raise ConfigError(f"the {self.name} task makes no prediction records")

    def serving_outputs(self, config, outputs):
        """The named tensors a SavedModel signature returns, from the model's output dict."""
        return {"logits": outputs["logits"]}


def check_not_empty(data, source):
    """Refuses data without examples, naming the source."""
    if len(data) == 0:
        where = source if isinstance(source, str) else "the data"
        raise DataError(f"{where} holds no examples (only a header, or empty)")
    return data


def softmax(x, axis=-1):
    """NumPy softmax (prediction records)."""
    x = np.asarray(x, np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def label_outputs(config, logits):
    """logits, probabilities and the best label's name, for classifiers with label names."""
    import tensorflow as tf

    result = {"logits": logits}
    if config.num_labels > 1:
        if config.problem_type == "multi_label_classification":
            result["probabilities"] = tf.sigmoid(logits)
        else:
            result["probabilities"] = tf.nn.softmax(logits, axis=-1)
        names = tf.constant([config.id2label[i] for i in range(config.num_labels)])
        result["label"] = tf.gather(names, tf.argmax(logits, axis=-1))
    return result
