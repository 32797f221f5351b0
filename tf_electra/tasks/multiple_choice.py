"""Multiple choice (SWAG-style): a context (and/or question) paired with each of N choices."""

import re

import numpy as np

from tf_electra.errors import DataError
from tf_electra.models.multiple_choice import TFElectraForMultipleChoice
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import check_not_empty
from tf_electra.tasks.base import register
from tf_electra.tasks.base import softmax
from tf_electra.tasks.data import FEATURES
from tf_electra.tasks.data import TaskData
from tf_electra.tasks.readers import read_rows


def encode_multiple_choice(
    source,
    tokenizer,
    context_column="context",
    question_column="question",
    choices_column="choices",
    label_column="label",
    max_length=128,
    with_labels=True,
):
    """Multiple-choice data: each example pairs its context with every choice -> [choices, seq].

    Rows hold a context (and/or a question), a list of choices (or a "|"-separated string), and the
    index of the right choice. The first text is the context (or the question when there is none);
    the second is "question choice" (or the choice).

    Raises:
        DataError: fewer than 2 choices, different numbers of choices, a label that is not a choice
            index, or no rows.
    """
    from tf_electra.tasks.base import get_task

    rows = read_rows(source)
    firsts, seconds, counts, labels = [], [], [], []
    for r in rows:
        choices = r.need(choices_column)
        if isinstance(choices, str):
            choices = choices.split("|")
        if not isinstance(choices, (list, tuple)) or len(choices) < 2:
            raise DataError(f"{r.where}: column {choices_column!r} needs a list of at least 2 choices, got {choices!r}")
        if not all(isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in choices):
            raise DataError(f"{r.where}: every choice must be a text, got {choices!r}")  # not None -> "None"
        context, question = r.get(context_column), r.get(question_column)
        if context is None and question is None:
            raise DataError(f"{r.where}: missing column {context_column!r} (or {question_column!r})")
        first = context if context is not None else question
        prefix = f"{question} " if context is not None and question is not None else ""
        firsts += [str(first)] * len(choices)
        seconds += [prefix + str(c) for c in choices]
        counts.append(len(choices))
        if with_labels:
            given = r.need(label_column)  # an index: 1 or "1" (CSV), never 1.7 or true
            exact = isinstance(given, int) and not isinstance(given, bool)
            if not (exact or (isinstance(given, str) and re.fullmatch(r"\s*-?[0-9]+\s*", given))):
                raise DataError(f"{r.where}: label {given!r} is not a choice index (0, 1, ...)")
            label = int(given)
            if not 0 <= label < len(choices):
                raise DataError(f"{r.where}: label {label} is outside the {len(choices)} choices")
            labels.append(label)
    if len(set(counts)) > 1:
        k = next(i for i, n in enumerate(counts) if n != counts[0])
        raise DataError(
            f"{rows[k].where}: {counts[k]} choices, but {rows[0].where} has {counts[0]}; every example needs the same "
            "number of choices"
        )
    task = get_task("multiple-choice")
    if not rows:
        return check_not_empty(TaskData(task, {k: [] for k in FEATURES}), source)
    encoded = tokenizer(firsts, seconds, truncation=True, max_length=max_length)
    n = counts[0]
    features = {k: [encoded[k][i : i + n] for i in range(0, len(firsts), n)] for k in FEATURES}
    return TaskData(task, features, labels if with_labels else None, None, {"rows": rows})


@register
class MultipleChoiceTask(Task):
    """The right choice among N; softmax over the choices' scores; accuracy."""

    name = "multiple-choice"
    model_class = TFElectraForMultipleChoice
    main_metric = "accuracy"
    finetunable = True
    columns = ("context_column", "question_column", "choices_column", "label_column")
    input_rank = 3

    def encode(self, source, tokenizer, max_length=None, label2id=None, with_labels=True, **columns):
        return encode_multiple_choice(
            source, tokenizer, max_length=max_length or self.default_max_length, with_labels=with_labels, **columns
        )

    def metrics(self, data, outputs):
        predictions = np.asarray([int(np.argmax(x)) for x in outputs["logits"]])
        return {"accuracy": float(np.mean(predictions == np.asarray(data.labels)))}

    def predictions(self, data, outputs, config):
        records = []
        for row_logits in outputs["logits"]:
            probabilities = softmax(row_logits)
            records.append(
                {"label": int(np.argmax(probabilities)), "probabilities": [round(float(p), 6) for p in probabilities]}
            )
        return records

    def serving_outputs(self, config, outputs):
        import tensorflow as tf

        return {"logits": outputs["logits"], "probabilities": tf.nn.softmax(outputs["logits"], axis=-1)}
