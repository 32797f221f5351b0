"""The pre-training task: its data (TFRecords of input_ids / input_mask / segment_ids) and its model.

`pretraining_dataset` reads what `tf-electra build-pretraining-data` or google-research/electra's
`build_pretraining_dataset.py` wrote: shard files are shuffled and interleaved, records shuffled,
parsed with the original's feature spec (int64, `max_seq_length` long, cast to int32) and batched
with the remainder dropped, as the original's input_fn does.
"""

import glob
import os

from tf_electra.errors import DataError
from tf_electra.models.electra_pretrainer import ElectraPretrainer
from tf_electra.tasks.base import Task
from tf_electra.tasks.base import register
from tf_electra.utils.values import read_json_object

FEATURES = ("input_ids", "input_mask", "segment_ids")
PATTERN = "pretrain_data.tfrecord*"
INFO_FILE = "pretrain_data.json"
SHARD_NAME = "pretrain_data.tfrecord-{index}-of-{count}"


def data_files(data):
    """The TFRecord files of a data folder (or a comma-separated list of globs, as the original takes)."""
    if os.path.isdir(data):
        files = sorted(glob.glob(os.path.join(glob.escape(data), PATTERN)))
    else:
        files = sorted(f for pattern in str(data).split(",") for f in glob.glob(pattern))
    if not files:
        raise DataError(
            f"{data} holds no pre-training data ({PATTERN}); make it with tf-electra build-pretraining-data"
        )
    return files


def data_info(data):
    """What build-pretraining-data recorded about a data folder ({} for data made by the original)."""
    path = os.path.join(data, INFO_FILE) if os.path.isdir(data) else ""
    if not os.path.isfile(path):
        return {}
    return read_json_object(path, DataError)


def check_recorded_shards(data):
    """Refuses a data folder whose shards are missing, empty or not of the size pretrain_data.json records."""
    info = data_info(data) if os.path.isdir(data) else {}
    counts, sizes = info.get("examples_per_shard"), info.get("bytes_per_shard")  # sizes: since 2026-12-06
    if not isinstance(counts, list):
        return
    for k, count in enumerate(counts):
        path = os.path.join(data, SHARD_NAME.format(index=k, count=len(counts)))
        size = os.path.getsize(path) if os.path.isfile(path) else None
        if count and not size:
            state = "missing" if size is None else "empty"
            raise DataError(f"{path} is {state}, but {INFO_FILE} records {count} examples in it; rebuild the data")
        if count and isinstance(sizes, list) and len(sizes) == len(counts) and size != sizes[k]:  # a cut shard
            raise DataError(f"{path} has {size} bytes, but {INFO_FILE} records {sizes[k]}; rebuild the data")


def sequence_length(files):
    """The length of the first record's input_ids (every record of a data set has the same)."""
    import tensorflow as tf

    for name in files:
        try:
            for record in tf.data.TFRecordDataset(name).take(1):
                example = tf.train.Example.FromString(record.numpy())
                values = example.features.feature
                missing = [f for f in FEATURES if f not in values]
                if missing:
                    raise DataError(f"{name} is not pre-training data: its records lack {missing}")
                return len(values["input_ids"].int64_list.value)
        except tf.errors.OpError as e:
            raise DataError(f"{name} is not a readable TFRecord file: {e.message}") from None
    raise DataError(f"{files[0]} and the other data files hold no records")


def damaged_file(data, max_seq_length):
    """What is wrong with which data file (a message), or None: read after a training step failed on the data,
    to name the file the error from inside tf.data does not name."""
    import tensorflow as tf

    for name in data_files(data):
        count = 0
        try:
            for record in tf.data.TFRecordDataset(name):
                values = tf.train.Example.FromString(record.numpy()).features.feature
                found = len(values["input_ids"].int64_list.value) if "input_ids" in values else None
                if found != max_seq_length or any(f not in values for f in FEATURES):
                    return f"{name}: record {count} is not a pre-training example of {max_seq_length} tokens"
                count += 1
        except (tf.errors.OpError, ValueError) as e:  # DataLossError (truncated, corrupt), a bad protobuf
            return f"{name} is damaged after record {count} ({str(e).strip().splitlines()[0][:200]})"
    return None


def pretraining_dataset(data, max_seq_length, batch_size, seed=0, repeat=True, shuffle_buffer=10000):
    """A tf.data.Dataset of {input_ids, input_mask, segment_ids} int32 [batch, max_seq_length] batches.

    Raises:
        DataError: no data, unreadable records, or records of another sequence length.
    """
    import tensorflow as tf

    files = data_files(data)
    check_recorded_shards(data)
    found = sequence_length(files)
    if found != max_seq_length:
        raise DataError(
            f"{data} holds sequences of {found} tokens but max_seq_length is {max_seq_length}; "
            f"use --max-seq-length {found} or rebuild the data"
        )
    spec = {name: tf.io.FixedLenFeature([max_seq_length], tf.int64) for name in FEATURES}

    def parse(records):  # a batch at a time: one vectorised parse and one range check per feature
        example = tf.io.parse_example(records, spec)
        checks = [  # beyond int32 the cast would wrap silently (2**32 + 100 -> 100)
            tf.debugging.assert_equal(
                tf.cast(tf.cast(v, tf.int32), tf.int64), v, message=f"{k} holds a value beyond int32"
            )
            for k, v in example.items()
        ]
        with tf.control_dependencies(checks):
            return {k: tf.cast(v, tf.int32) for k, v in example.items()}

    dataset = tf.data.Dataset.from_tensor_slices(files)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.shuffle(len(files), seed=seed)
    dataset = dataset.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(4, len(files)),
        block_length=1,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    dataset = dataset.shuffle(shuffle_buffer, seed=seed).batch(batch_size, drop_remainder=True)
    return dataset.map(parse, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


@register
class PretrainingTask(Task):
    """ELECTRA's replaced-token detection (or BERT's masked LM): generator + discriminator on raw text."""

    name = "pretraining"
    model_class = ElectraPretrainer
    main_metric = "disc_auc"

    def dataset(self, data, max_seq_length, batch_size, seed=0, repeat=True):
        return pretraining_dataset(data, max_seq_length, batch_size, seed, repeat)

    def serving_outputs(self, config, outputs):
        raise DataError("export the pre-trained discriminator (RUN_DIR/discriminator), not the pre-training model")
