"""SavedModel export that TF Serving loads as is (TensorFlow-specific).

Layout: `BASE_DIR/<version>/{saved_model.pb, variables/, assets/}`, the folder TF Serving watches.
A version is written under a hidden temporary name in BASE_DIR and renamed into place, so TF
Serving never sees half of it; two exports at once take two versions.

Signatures (tag "serve", method Predict) are listed in the README. Inputs are int64 with shape
(-1, -1) ((-1, -1, -1) for multiple choice): NumPy, the tokenizer's `return_tensors="np"` and JSON
integers are int64, so no client has to cast. Every id is checked against its table *before* the
cast to int32, so an id such as 2**32 + 5 fails with INVALID_ARGUMENT instead of wrapping to 5.
The outputs are the model's task's (`Task.serving_outputs`).
"""

import os
import re
import shutil
import tempfile

from tf_electra.errors import ExportError
from tf_electra.layers.checks import graph_range_assertion
from tf_electra.models.base import TFElectraPreTrainedModel
from tf_electra.tasks.base import task_for_model
from tf_electra.utils.files import apply_umask
from tf_electra.utils.files import atomic_write_text
from tf_electra.utils.files import remove_stale_temporaries
from tf_electra.utils.files import rename_new
from tf_electra.utils.files import temporary_name
from tf_electra.utils.values import is_positive_int

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MIN_TEXT_LENGTH = 4  # [CLS] a [SEP] b [SEP] needs room for one token of each text


MAX_VERSION = 2**63 - 1  # TF Serving parses version folders as int64 and skips larger names


def next_version(base_dir):
    """1 + the highest numeric version folder in base_dir that TF Serving can read (1 when there is none)."""
    if not os.path.isdir(base_dir):
        return 1
    versions = [int(n) for n in os.listdir(base_dir) if re.fullmatch(r"\d+", n) and int(n) < MAX_VERSION]
    return max(versions, default=0) + 1


def text_max_length(model, tokenizer, max_length=None):
    """The truncation length of the text signatures: checked against the model's positions.

    None means the longest the model accepts (max_position_embeddings, capped at the tokenizer's
    model_max_length).

    Raises:
        ExportError: a length below 4 or above max_position_embeddings.
    """
    positions = model.config.max_position_embeddings
    if max_length is None:  # the tokenizer's own limit can be too short too (tokenizer_config.json)
        max_length = min(positions, getattr(tokenizer, "model_max_length", positions) or positions)
        if max_length < MIN_TEXT_LENGTH:
            raise ExportError(f"the tokenizer's model_max_length {max_length} is too short for the text signatures")
    if isinstance(max_length, bool) or not isinstance(max_length, int):
        raise ExportError(f"max_length must be an integer, got {max_length!r}")
    if max_length < MIN_TEXT_LENGTH:
        raise ExportError(f"max_length {max_length} is too short for the text signatures (at least {MIN_TEXT_LENGTH})")
    if max_length > positions:
        raise ExportError(f"max_length {max_length} exceeds the model's max_position_embeddings {positions}")
    return max_length


def _checked_int32(tf, values, high, name, rank):
    """int64 ids -> int32 after checking the rank, a sequence length > 0 and 0 <= id < high (graph assertions)."""
    values = tf.ensure_shape(values, [None] * rank)  # a signature called with another rank fails here, by name
    checks = [
        tf.debugging.assert_positive(tf.shape(values)[-1], message=f"{name} has sequence length 0"),
        graph_range_assertion(tf, values, 0, high, f"{name} must lie in [0, {high})"),
    ]
    with tf.control_dependencies(checks):
        return tf.cast(values, tf.int32)


def export_saved_model(
    model,
    base_dir,
    version=None,
    tokenizer=None,
    warmup=False,
    text_signatures=False,
    max_length=None,
    quantize=None,
    xla_fusion=False,
    verbose=False,
):
    """Exports a model for TF Serving as `base_dir/<version>/`.

    Args:
        model: Any tf_electra model (float32 or mixed precision).
        base_dir: The folder TF Serving's --model_base_path points to.
        version: An integer version; default: one more than the highest existing (at the moment
            the export is renamed into place, so concurrent exports get different versions).
        tokenizer: Optional ElectraTokenizer, saved into assets/ for clients.
        warmup: Also write assets.extra/tf_serving_warmup_requests (one request per signature) so TF
            Serving warms the model up when loading it.
        text_signatures: Add signatures on raw UTF-8 strings, tokenized in the graph exactly as
            `tokenizer` does (needs tensorflow-text, and a tokenizer): `serve_text` (text) and
            `serve_text_pair` (text, text_pair) return the model outputs plus input_ids;
            `tokenize_text` and `tokenize_text_pair` return the encoding only.
        max_length: Truncation length of the text signatures (default: the model's
            max_position_embeddings); longer texts are truncated, never refused.
        quantize: None, or "int8": the transformer blocks' matrix products run in 8-bit integers
            (`tf_electra.serving.quantize`; 1.5x float32's speed for ELECTRA-Base at 8x128 on CPU;
            needs TensorFlow's oneDNN kernels where it is served). `model` itself is not changed.
        xla_fusion: With quantize="int8": the server's XLA fuses the element-wise ops around the int8 products
            (ELECTRA-Base 8x128 1.7x faster; TF Serving needs --xla_cpu_compilation_enabled=true, and each new
            input shape compiles for seconds once: `tf_electra.serving.quantize`).
        verbose: Print Keras' list of endpoints.

    Returns:
        The path of the new version folder.

    Raises:
        ExportError: the version exists, base_dir is not a writable folder, the model is not a
            tf_electra model, or text signatures cannot be built. Nothing is left behind.
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, TFElectraPreTrainedModel):
        raise ExportError(f"expected a tf_electra model, got {type(model).__name__}")
    if version is not None and not (is_positive_int(version) or version == 0):
        raise ExportError(f"version must be a non-negative integer, got {version!r}")
    if version is not None and version > MAX_VERSION:
        raise ExportError(f"version {version} is above {MAX_VERSION}, the largest TF Serving reads (int64)")
    if text_signatures:
        if tokenizer is None:
            raise ExportError("text signatures need the model's tokenizer (tokenizer=...)")
        if model.config.vocab_size != len(tokenizer):
            raise ExportError(
                f"the tokenizer has {len(tokenizer)} tokens but the model's vocab_size is "
                f"{model.config.vocab_size}; export with the model's own tokenizer"
            )
        from tf_electra.serving.graph_tokenizer import require_text_ops

        require_text_ops()
        max_length = text_max_length(model, tokenizer, max_length)
    if quantize not in (None, "int8"):
        raise ExportError(f"quantize must be None or 'int8', got {quantize!r}")
    if not isinstance(xla_fusion, bool):
        raise ExportError(f"xla_fusion must be True or False, got {xla_fusion!r}")
    if xla_fusion and quantize != "int8":
        raise ExportError("xla_fusion=True needs quantize='int8'")
    if quantize == "int8":
        from tf_electra.serving.quantize import quantized_copy

        model = quantized_copy(model, xla_fusion)  # checks for the int8 kernel before anything is written
    base_dir = _prepare_base_dir(base_dir)
    final = os.path.join(base_dir, str(version)) if version is not None else None
    if final is not None and os.path.exists(final):
        raise ExportError(f"{final} already exists; TF Serving versions are immutable, choose another --version")

    task = task_for_model(model)
    rank = task.input_rank
    spec = lambda name: tf.TensorSpec([None] * rank, tf.int64, name=name)
    config = model.config

    # One traced model graph that every signature calls (the int8 weights, graph constants, are stored once).
    int32_spec = {name: tf.TensorSpec([None] * rank, tf.int32) for name in INPUT_NAMES}

    @tf.function(input_signature=[int32_spec])
    def forward(features):
        return task.serving_outputs(config, model(features, training=False))

    def run(input_ids, attention_mask, token_type_ids):
        return forward(
            {
                "input_ids": _checked_int32(tf, input_ids, config.vocab_size, "input_ids", rank),
                "attention_mask": _checked_int32(tf, attention_mask, 2, "attention_mask", rank),
                "token_type_ids": _checked_int32(tf, token_type_ids, config.type_vocab_size, "token_type_ids", rank),
            }
        )

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
        if rank != 2:
            raise ExportError(
                "text signatures are not available for multiple choice (inputs are [batch, choices, seq])"
            )
        _add_text_endpoints(archive, tokenizer, max_length, run)

    remove_stale_temporaries(base_dir)
    tmp = tempfile.mkdtemp(prefix=temporary_name(str(version or "version")), dir=base_dir)
    try:
        target = os.path.join(tmp, "model")
        archive.write_out(target, verbose=verbose)
        _write_assets(target, model, tokenizer, warmup, rank, labels=task.names_labels and config.num_labels > 1)
        apply_umask(target)
        return _rename_into_place(target, base_dir, final)
    except (OSError, *disk_errors(tf)) as e:  # SaveV2 reports a full disk as ResourceExhaustedError
        reason = e.message.split("}}")[-1] if isinstance(e, tf.errors.OpError) else str(e)
        reason = re.sub(r"\s*\[Op:\w+\]$", "", reason.strip()).replace(target, final or base_dir)
        raise ExportError(f"cannot write the export under {base_dir}: {reason.replace(tmp, base_dir)}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def disk_errors(tf):
    """The errors TensorFlow's file writes report for the disk: full, unwritable, gone, over the file size limit
    (EFBIG: a FAT32 disk's 4 GiB, `ulimit -f`)."""
    names = ("ResourceExhaustedError", "PermissionDeniedError", "NotFoundError", "UnavailableError", "OutOfRangeError")
    return tuple(getattr(tf.errors, name) for name in names)


def _prepare_base_dir(base_dir):
    base_dir = os.path.abspath(os.fspath(base_dir))
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise ExportError(f"{base_dir} exists and is not a folder")
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create {base_dir}: {e}") from e
    if not os.access(base_dir, os.W_OK):
        raise ExportError(f"{base_dir} is not writable")
    return base_dir


def _write_assets(target, model, tokenizer, warmup, rank, labels):
    assets = os.path.join(target, "assets")
    os.makedirs(assets, exist_ok=True)
    config = model.config
    if labels:  # only where the outputs name labels: a discriminator's or a QA head's "labels" mean nothing
        if any(c in str(config.id2label[i]) for i in range(config.num_labels) for c in "\r\n"):
            raise ExportError("a label name holds a line break; assets/labels.txt holds one name per line")
        names = "".join(f"{config.id2label[i]}\n" for i in range(config.num_labels))
        atomic_write_text(os.path.join(assets, "labels.txt"), names)
    atomic_write_text(os.path.join(assets, "config.json"), config.to_json_string())
    if tokenizer is not None:
        tokenizer.save_pretrained(assets)
    if warmup:
        from tf_electra.serving.warmup import write_warmup_requests

        write_warmup_requests(target, rank=rank, vocab_size=config.vocab_size)


def _rename_into_place(target, base_dir, final):
    """Renames the finished export to its version; without a fixed version, takes the next free one."""
    if final is not None:
        try:
            rename_new(target, final)
        except FileExistsError as e:
            raise ExportError(f"{final} was created by another export meanwhile; choose another --version") from e
        return final
    for _ in range(1000):
        candidate = os.path.join(base_dir, str(next_version(base_dir)))
        try:
            rename_new(target, candidate)
            return candidate
        except FileExistsError:
            continue  # another export took this version a moment ago
    raise ExportError(f"could not find a free version under {base_dir}")


def _add_text_endpoints(archive, tokenizer, max_length, run):
    import tensorflow as tf

    from tf_electra.serving.graph_tokenizer import GraphTokenizer

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
