"""SavedModel export that TF Serving loads as is (TensorFlow-specific).

Layout: `BASE_DIR/<version>/{saved_model.pb, variables/, assets/}`, the folder
TF Serving watches. A version is written under a hidden temporary name in
BASE_DIR and renamed into place, so TF Serving never sees half of it.

Signatures (tag "serve", method Predict):
  serving_default   input_ids, attention_mask, token_type_ids
  ids_only          input_ids                       (mask all ones, type ids zero)
  ids_and_mask      input_ids, attention_mask       (type ids zero)
All inputs are int64 with shape (-1, -1) ((-1, -1, -1) for multiple choice).
A TF Serving signature cannot have optional inputs, so the optional ones get
signatures of their own. int64 because that is what NumPy, the tokenizer's
`return_tensors="np"` and JSON integers become by default: a client never has
to cast. The graph casts to int32 and checks every id against the vocabulary
(a request with an out-of-range id fails with INVALID_ARGUMENT).

Outputs by head: `last_hidden_state` (TFElectraModel); `logits` and
`probabilities` (pre-training: sigmoid per token; classifiers: softmax, or
sigmoid for multi-label) plus `label` (the id2label name of the best class)
for sequence and token classification; `start_logits` / `end_logits` for
question answering; `logits` for the language-model heads. `assets/labels.txt`
lists the label names in index order and `assets/config.json` is the model config.
"""

import json
import os
import re
import shutil
import tempfile

from tf_electra.errors import ExportError
from tf_electra.utils.files import atomic_write_text

INT_DTYPE = "int64"


def next_version(base_dir):
    """1 + the highest numeric version folder in base_dir (1 when there is none)."""
    if not os.path.isdir(base_dir):
        return 1
    versions = [int(n) for n in os.listdir(base_dir) if re.fullmatch(r"\d+", n)]
    return max(versions, default=0) + 1


def _serving_outputs(model, outputs):
    """The named output tensors of the signature for this head."""
    import tensorflow as tf

    from tf_electra.models.classification import TFElectraForMultipleChoice
    from tf_electra.models.classification import TFElectraForQuestionAnswering
    from tf_electra.models.classification import TFElectraForSequenceClassification
    from tf_electra.models.classification import TFElectraForTokenClassification
    from tf_electra.models.electra_model import TFElectraModel
    from tf_electra.models.pretraining import TFElectraForPreTraining

    config = model.config
    if isinstance(model, TFElectraModel):
        return {"last_hidden_state": tf.cast(outputs["last_hidden_state"], tf.float32)}
    if isinstance(model, TFElectraForQuestionAnswering):
        return {"start_logits": outputs["start_logits"], "end_logits": outputs["end_logits"]}
    logits = outputs["logits"]
    result = {"logits": logits}
    if isinstance(model, TFElectraForPreTraining):
        result["probabilities"] = tf.sigmoid(logits)
    elif isinstance(model, TFElectraForMultipleChoice):
        result["probabilities"] = tf.nn.softmax(logits, axis=-1)
    elif isinstance(model, (TFElectraForSequenceClassification, TFElectraForTokenClassification)):
        if config.num_labels > 1:
            if config.problem_type == "multi_label_classification":
                result["probabilities"] = tf.sigmoid(logits)
            else:
                result["probabilities"] = tf.nn.softmax(logits, axis=-1)
            names = tf.constant([config.id2label[i] for i in range(config.num_labels)])
            result["label"] = tf.gather(names, tf.argmax(logits, axis=-1))
    return result


def export_saved_model(
    model, base_dir, version=None, tokenizer=None, warmup=False, text_signatures=False, max_length=512, verbose=False
):
    """Exports a model for TF Serving as `base_dir/<version>/`.

    Args:
        model: Any tf_electra model (float32 or mixed precision).
        base_dir: The folder TF Serving's --model_base_path points to.
        version: An integer version; default: one more than the highest existing.
        tokenizer: Optional ElectraTokenizer, saved into assets/ for clients.
        warmup: Also write assets.extra/tf_serving_warmup_requests (one request
            per signature) so TF Serving warms the model up when loading it.
        text_signatures: Add signatures on raw UTF-8 strings, tokenized in the
            graph exactly as `tokenizer` does (needs tensorflow-text, and a
            tokenizer): `serve_text` (text) and `serve_text_pair` (text,
            text_pair) return the model outputs plus input_ids; `tokenize_text`
            and `tokenize_text_pair` return the encoding only.
        max_length: Truncation length of the text signatures.
        verbose: Print Keras' list of endpoints.

    Returns:
        The path of the new version folder.

    Raises:
        ExportError: the version exists, base_dir is not a writable folder, or
            the model is not a tf_electra model. Nothing is left behind.
    """
    import keras
    import tensorflow as tf

    from tf_electra.models.base import TFElectraPreTrainedModel
    from tf_electra.models.classification import TFElectraForMultipleChoice

    if not isinstance(model, TFElectraPreTrainedModel):
        raise ExportError(f"expected a tf_electra model, got {type(model).__name__}")
    base_dir = os.path.abspath(os.fspath(base_dir))
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise ExportError(f"{base_dir} exists and is not a folder")
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create {base_dir}: {e}") from e
    if not os.access(base_dir, os.W_OK):
        raise ExportError(f"{base_dir} is not writable")
    version = next_version(base_dir) if version is None else int(version)
    if version < 0:
        raise ExportError(f"version must be a non-negative integer, got {version}")
    final = os.path.join(base_dir, str(version))
    if os.path.exists(final):
        raise ExportError(f"{final} already exists; TF Serving versions are immutable, choose another --version")

    rank = 3 if isinstance(model, TFElectraForMultipleChoice) else 2
    spec = lambda name: tf.TensorSpec([None] * rank, tf.int64, name=name)  # noqa: E731
    vocab = model.config.vocab_size

    def run(input_ids, attention_mask, token_type_ids):
        outputs = model(
            {
                "input_ids": tf.cast(input_ids, tf.int32),
                "attention_mask": tf.cast(attention_mask, tf.int32),
                "token_type_ids": tf.cast(token_type_ids, tf.int32),
            },
            training=False,
        )
        return _serving_outputs(model, outputs)

    def ids_only(input_ids):
        return run(input_ids, tf.ones_like(input_ids), tf.zeros_like(input_ids))

    def ids_and_mask(input_ids, attention_mask):
        return run(input_ids, attention_mask, tf.zeros_like(input_ids))

    archive = keras.export.ExportArchive()
    archive.track(model)
    ids, mask, types = spec("input_ids"), spec("attention_mask"), spec("token_type_ids")
    archive.add_endpoint("serving_default", run, input_signature=[ids, mask, types])
    archive.add_endpoint("ids_only", ids_only, input_signature=[ids])
    archive.add_endpoint("ids_and_mask", ids_and_mask, input_signature=[ids, mask])

    if text_signatures:
        if tokenizer is None:
            raise ExportError("text signatures need the model's tokenizer (tokenizer=...)")
        if rank != 2:
            raise ExportError("text signatures are not available for multiple choice (inputs are [batch, choices, seq])")
        _add_text_endpoints(archive, tokenizer, max_length, run)

    tmp = tempfile.mkdtemp(prefix=f".{version}.tmp-", dir=base_dir)
    try:
        target = os.path.join(tmp, "model")
        archive.write_out(target, verbose=verbose)
        assets = os.path.join(target, "assets")
        os.makedirs(assets, exist_ok=True)
        config = model.config
        atomic_write_text(
            os.path.join(assets, "labels.txt"), "".join(f"{config.id2label[i]}\n" for i in range(config.num_labels))
        )
        atomic_write_text(os.path.join(assets, "config.json"), config.to_json_string())
        if tokenizer is not None:
            tokenizer.save_pretrained(assets)
        if warmup:
            from tf_electra.serving_warmup import write_warmup_requests

            write_warmup_requests(target, rank=rank, vocab_size=vocab)
        os.rename(target, final)
    except ExportError:
        raise
    except OSError as e:
        raise ExportError(f"cannot write the export under {base_dir}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _add_text_endpoints(archive, tokenizer, max_length, run):
    import tensorflow as tf

    from tf_electra.graph_tokenizer import GraphTokenizer

    graph_tokenizer = GraphTokenizer(tokenizer, max_length=max_length)
    archive.track(graph_tokenizer)
    text = tf.TensorSpec([None], tf.string, name="text")
    pair = tf.TensorSpec([None], tf.string, name="text_pair")

    def with_outputs(encoded):
        outputs = run(encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"])
        return dict(outputs, input_ids=encoded["input_ids"])

    def tokenize_text(text):
        return graph_tokenizer(text)

    def tokenize_text_pair(text, text_pair):
        return graph_tokenizer(text, text_pair)

    def serve_text(text):
        return with_outputs(graph_tokenizer(text))

    def serve_text_pair(text, text_pair):
        return with_outputs(graph_tokenizer(text, text_pair))

    archive.add_endpoint("serve_text", serve_text, input_signature=[text])
    archive.add_endpoint("serve_text_pair", serve_text_pair, input_signature=[text, pair])
    archive.add_endpoint("tokenize_text", tokenize_text, input_signature=[text])
    archive.add_endpoint("tokenize_text_pair", tokenize_text_pair, input_signature=[text, pair])


def model_folder(path):
    """A model folder: the path itself, or its `best/` (a `tf-electra finetune` output folder)."""
    from tf_electra.utils.hub import resolve_model_dir

    directory = resolve_model_dir(path)
    nested = os.path.join(directory, "best")
    if not os.path.isfile(os.path.join(directory, "config.json")) and os.path.isfile(os.path.join(nested, "config.json")):
        return nested
    return directory


def load_model_dir(model_dir, dtype=None):
    """A tf_electra model from a save_pretrained folder, of the class its config's `architectures` names."""
    from tf_electra import MODEL_CLASSES

    directory = model_folder(model_dir)
    config_file = os.path.join(directory, "config.json")
    if not os.path.isfile(config_file):
        raise ExportError(f"{directory} is not a model folder: it has no config.json (write one with save_pretrained)")
    with open(config_file, encoding="utf-8") as f:
        try:
            architectures = json.load(f).get("architectures") or ["ElectraModel"]
        except json.JSONDecodeError as e:
            raise ExportError(f"{config_file} is not valid JSON: {e}") from e
    name = "TF" + architectures[0] if not architectures[0].startswith("TF") else architectures[0]
    if name not in MODEL_CLASSES:
        raise ExportError(f"{config_file} names the architecture {architectures[0]!r}, which tf_electra does not have")
    return MODEL_CLASSES[name].from_pretrained(directory, dtype=dtype)
