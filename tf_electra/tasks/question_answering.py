"""Extractive question answering on SQuAD-format data: features with a stride, and n-best post-processing."""

import collections
import os

import numpy as np

from tf_electra.errors import ConfigError
from tf_electra.errors import DataError
from tf_electra.models.question_answering import TFElectraForQuestionAnswering
from tf_electra.tasks import metrics
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import check_not_empty
from tf_electra.tasks.base import register
from tf_electra.tasks.data import FEATURES
from tf_electra.tasks.data import TaskData
from tf_electra.tasks.readers import read_text
from tf_electra.utils.values import is_positive_int
from tf_electra.utils.values import loads_json


def read_squad(source):
    """Examples from a SQuAD v1.1/v2.0 JSON file (or its parsed dict, or a list of example dicts).

    Returns a list of dicts: id, question, context, answers [{"text", "answer_start"}], where.

    Raises:
        DataError: an unreadable file or a malformed entry, naming the file and the entry's path.
    """
    if isinstance(source, list):
        return _unique_ids([_example(e, f"item {i}") for i, e in enumerate(source)])
    name = "data"
    if not isinstance(source, dict):
        name = os.fspath(source)
        if not os.path.isfile(name):
            raise DataError(f"{name} does not exist")
        source = loads_json(read_text(name), DataError, name)
    if not isinstance(source, dict) or not isinstance(source.get("data"), list):
        raise DataError(f"{name}: not SQuAD format (no 'data' list)")
    examples = []
    for a, article in enumerate(source["data"]):
        paragraphs = article.get("paragraphs", []) if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise DataError(f"{name}: data[{a}] must be an object with a 'paragraphs' list")
        for p, paragraph in enumerate(paragraphs):
            qas = paragraph.get("qas", []) if isinstance(paragraph, dict) else None
            if not isinstance(qas, list):
                raise DataError(f"{name}: data[{a}].paragraphs[{p}] must be an object with a 'qas' list")
            for q, qa in enumerate(qas):
                where = f"{name}: data[{a}].paragraphs[{p}].qas[{q}]"
                if not isinstance(qa, dict):
                    raise DataError(f"{where} must be an object")
                qa = dict(qa, context=paragraph.get("context"), id=qa.get("id", f"{a}-{p}-{q}"))
                if qa.get("is_impossible"):
                    qa["answers"] = []
                examples.append(_example(qa, f"{where} (id {qa['id']!r})"))
    return _unique_ids(examples)


def _unique_ids(examples):
    """Answers are matched to questions by id: a repeated id would give every such question one answer."""
    seen = {}
    for example in examples:
        first = seen.setdefault(example["id"], example["where"])
        if first is not example["where"]:
            raise DataError(f"{example['where']}: its id is also {first}'s; each question needs its own id")
    return examples


def _example(entry, where):
    if not isinstance(entry, dict):
        raise DataError(f"{where} must be an object with question, context and answers")
    context, question, answers = entry.get("context"), entry.get("question"), entry.get("answers", [])
    if not isinstance(context, str) or not isinstance(question, str):
        raise DataError(f"{where}: missing 'context' or 'question' (both must be text)")
    if not isinstance(answers, list) or not all(isinstance(x, dict) for x in answers):
        raise DataError(f"{where}: 'answers' must be a list of {{'text', 'answer_start'}} objects")
    return {
        "id": str(entry.get("id", where)),
        "question": question,
        "context": context,
        "answers": answers,
        "where": where,
    }


def check_room_for_contexts(examples, questions, tokenizer, max_length, doc_stride):
    """Names the first example whose question leaves its (truncated) context no more room than the stride, which
    the Rust tokenizer answers with a panic and a backtrace instead of an error."""
    lengths = [len(ids) for ids in tokenizer(questions, add_special_tokens=False)["input_ids"]]
    for i, n in enumerate(lengths):
        if max_length - 3 - n <= doc_stride:  # rare: only then is the context measured
            context = len(tokenizer(examples[i]["context"], add_special_tokens=False)["input_ids"])
            if n + context + 3 > max_length:
                raise DataError(
                    f"{examples[i]['where']}: the question has {n} tokens, which leaves too little room for the "
                    f"context within max_length={max_length} (stride {doc_stride}); shorten it or raise max_length"
                )


def encode_question_answering(source, tokenizer, max_length=384, doc_stride=None, with_labels=True):
    """Tokenizes (question, context) pairs; long contexts become several features overlapping by doc_stride.

    doc_stride defaults to 128 (the usual SQuAD setting), or a third of max_length when that is smaller.
    Each feature's label is the (start, end) token of the answer, or (0, 0) (the
    [CLS] token) when the answer is not inside that feature or the question has none.

    Raises:
        DataError: an answer whose text is not at answer_start in its context.
    """
    from tf_electra.tasks.base import get_task

    examples = read_squad(source)
    if not examples:
        check_not_empty(TaskData(get_task("question-answering"), {k: [] for k in FEATURES}), source)
    if not is_positive_int(max_length) or not (doc_stride is None or is_positive_int(doc_stride) or doc_stride == 0):
        raise ConfigError(
            f"max_length must be a positive integer and doc_stride None or an integer >= 0, got {max_length!r} and "
            f"{doc_stride!r}"
        )
    doc_stride = min(128, max_length // 3) if doc_stride is None else doc_stride
    for e in examples:
        for answer in e["answers"]:
            start, text = answer.get("answer_start"), answer.get("text")
            valid_start = isinstance(start, int) and not isinstance(start, bool) and start >= 0
            if not valid_start or not isinstance(text, str) or e["context"][start : start + len(text)] != text:
                raise DataError(
                    f"{e['where']}: answer {text!r} at {start} lies outside the context or does not match it"
                )
    questions = [e["question"].lstrip() for e in examples]
    if max_length - 4 <= doc_stride:  # no room past the stride even for a one-token question (a Rust error or panic)
        raise ConfigError(
            f"max_length={max_length} leaves no room for a question and its context beyond doc_stride={doc_stride}; "
            f"question answering needs max_length >= doc_stride + 5 (7 with the default stride)"
        )
    check_room_for_contexts(examples, questions, tokenizer, max_length, doc_stride)
    encoded = tokenizer(
        questions,
        [e["context"] for e in examples],
        truncation="only_second",
        max_length=max_length,
        stride=doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    mapping = encoded["overflow_to_sample_mapping"]
    labels, context_offsets = [], []
    for i, offsets in enumerate(encoded["offset_mapping"]):
        sequence_ids = encoded.sequence_ids(i)
        # Offsets of context tokens only (None elsewhere), to map spans back to text.
        context_offsets.append([o if s == 1 else None for o, s in zip(offsets, sequence_ids)])
        example = examples[mapping[i]]
        if not with_labels or not example["answers"]:
            labels.append((0, 0))
            continue
        answer = example["answers"][0]
        start_char, end_char = answer["answer_start"], answer["answer_start"] + len(answer["text"])
        if 1 not in sequence_ids:
            raise DataError(f"{example['where']}: its context has no tokens (empty or only whitespace)")
        first = sequence_ids.index(1)
        last = len(sequence_ids) - 1 - sequence_ids[::-1].index(1)
        if offsets[first][0] > start_char or offsets[last][1] < end_char:
            labels.append((0, 0))
            continue
        start = first
        while start <= last and offsets[start][0] <= start_char:
            start += 1
        end = last
        while end >= first and offsets[end][1] >= end_char:
            end -= 1
        labels.append((start - 1, end + 1))
    extra = {"examples": examples, "feature_to_example": mapping, "offsets": context_offsets}
    return TaskData(get_task("question-answering"), {k: encoded[k] for k in FEATURES}, labels, None, extra)


def postprocess_predictions(
    data,
    start_logits,
    end_logits,
    n_best=20,
    max_answer_length=30,
    version_2_with_negative=False,
    null_score_diff_threshold=0.0,
):
    """Answer text per example id from per-feature logits (n-best spans over all of an example's features).

    With version_2_with_negative, the empty answer wins when the best null score
    ([CLS] start + end, over the example's features) beats the best span by more
    than the threshold.

    Returns:
        (answers {id: text}, n_best {id: [{"text", "score"}...]}).
    """
    by_example = collections.defaultdict(list)
    for feature, example in enumerate(data.extra["feature_to_example"]):
        by_example[example].append(feature)
    answers, nbest_out = {}, {}
    for index, example in enumerate(data.extra["examples"]):
        candidates, null_score = [], None
        for feature in by_example[index]:
            starts, ends = np.asarray(start_logits[feature]), np.asarray(end_logits[feature])
            offsets = data.extra["offsets"][feature]
            length = len(offsets)
            score = float(starts[0] + ends[0])
            null_score = score if null_score is None else min(null_score, score)
            for s in np.argsort(starts[:length])[::-1][:n_best]:
                for e in np.argsort(ends[:length])[::-1][:n_best]:
                    if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                        continue
                    text = example["context"][offsets[s][0] : offsets[e][1]]
                    candidates.append({"text": text, "score": float(starts[s] + ends[e])})
        candidates.sort(key=lambda c: -c["score"])
        candidates = candidates[:n_best]
        best = candidates[0] if candidates else {"text": "", "score": -np.inf}
        if version_2_with_negative and (null_score or 0.0) - best["score"] > null_score_diff_threshold:
            answers[example["id"]] = ""
        else:
            answers[example["id"]] = best["text"]
        nbest_out[example["id"]] = candidates
    return answers, nbest_out


@register
class QuestionAnsweringTask(Task):
    """Answer spans in a context (SQuAD v1.1 / v2.0); start and end cross-entropy; exact match and F1."""

    name = "question-answering"
    model_class = TFElectraForQuestionAnswering
    main_metric = "f1"
    finetunable = True
    default_max_length = 384
    paper_dataset = "squad"

    def encode(self, source, tokenizer, max_length=None, label2id=None, with_labels=True, **columns):
        return encode_question_answering(
            source, tokenizer, max_length=max_length or self.default_max_length, with_labels=with_labels, **columns
        )

    def label_spec(self):
        import tensorflow as tf

        return {"start_positions": tf.TensorSpec([None], tf.int32), "end_positions": tf.TensorSpec([None], tf.int32)}

    def batch_labels(self, labels):
        return {
            "start_positions": np.array([label[0] for label in labels], np.int32),
            "end_positions": np.array([label[1] for label in labels], np.int32),
        }

    def metrics(self, data, outputs):
        examples = data.extra["examples"]
        answers, _ = postprocess_predictions(
            data,
            outputs["start_logits"],
            outputs["end_logits"],
            version_2_with_negative=any(not e["answers"] for e in examples),
        )
        return metrics.squad_metrics(examples, answers)

    def predictions(self, data, outputs, config):
        answers, nbest = postprocess_predictions(data, outputs["start_logits"], outputs["end_logits"])
        return [
            {
                "id": e["id"],
                "answer": answers[e["id"]],
                "score": round(nbest[e["id"]][0]["score"], 6) if nbest[e["id"]] else None,
            }
            for e in data.extra["examples"]
        ]

    def serving_outputs(self, config, outputs):
        return {"start_logits": outputs["start_logits"], "end_logits": outputs["end_logits"]}
