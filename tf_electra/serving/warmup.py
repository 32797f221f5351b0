"""TF Serving warm-up records (`assets.extra/tf_serving_warmup_requests`).

TF Serving replays these PredictionLog records when it loads a version, so the
first real request does not pay for graph initialisation. The records are
TFRecords of `tensorflow.serving.PredictionLog` protos; the package that
defines them (tensorflow-serving-api) pins its own TensorFlow, so the few
messages needed are encoded here directly in protobuf's wire format:

  PredictionLog { predict_log = 6: PredictLog { request = 1: PredictRequest {
      model_spec = 1: ModelSpec { name = 1, signature_name = 3 },
      inputs = 2: map<string, TensorProto> } } }
"""

import os

SIGNATURE_INPUTS = {
    "serving_default": ("input_ids", "attention_mask", "token_type_ids"),
    "ids_only": ("input_ids",),
    "ids_and_mask": ("input_ids", "attention_mask"),
}


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number, payload):
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def predict_log_record(signature_name, inputs, model_name="model"):
    """Serialized PredictionLog holding one PredictRequest."""
    import tensorflow as tf

    spec = _field(1, model_name.encode()) + _field(3, signature_name.encode())
    request = _field(1, spec)
    for name, value in inputs.items():
        tensor = tf.make_tensor_proto(value).SerializeToString()
        request += _field(2, _field(1, name.encode()) + _field(2, tensor))
    return _field(6, _field(1, request))


def write_warmup_requests(saved_model_dir, rank=2, vocab_size=2, batch=2, length=8):
    """Writes one small valid request per signature into assets.extra/tf_serving_warmup_requests."""
    import numpy as np
    import tensorflow as tf

    shape = (batch, length) if rank == 2 else (batch, 2, length)
    values = {
        "input_ids": (np.arange(np.prod(shape)).reshape(shape) % vocab_size).astype(np.int64),
        "attention_mask": np.ones(shape, np.int64),
        "token_type_ids": np.zeros(shape, np.int64),
    }
    folder = os.path.join(saved_model_dir, "assets.extra")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "tf_serving_warmup_requests")
    with tf.io.TFRecordWriter(path) as writer:
        for signature, names in SIGNATURE_INPUTS.items():
            writer.write(predict_log_record(signature, {n: values[n] for n in names}))
    return path
