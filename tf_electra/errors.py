"""Every error tf_electra raises: one hierarchy under ElectraError.

Each message names the file, variable, shape or value at fault and says what would fix it. The
command line tool prints any of them as one line, `error: <message>`.
"""


class ElectraError(Exception):
    """Base class of tf_electra's errors."""

    # Exception's own constructor: TensorFlow's autograph then re-raises an error from inside a
    # tf.function as this type (with its trace added), not as a generic StagingError.
    __init__ = Exception.__init__


class ConfigError(ElectraError, ValueError):
    """A config field or option has a bad value, or a config file cannot be read."""


class InputError(ElectraError, ValueError):
    """Model inputs are invalid: token ids out of range or not integers, mismatched shapes, too long."""


class WeightsError(ElectraError, ValueError):
    """Weights cannot be read or do not fit the model (missing, mis-shaped, not float, corrupted)."""


class CheckpointError(WeightsError):
    """A Google Research checkpoint cannot be read or has an unexpected layout."""


class TokenizerError(ElectraError, ValueError):
    """A vocabulary or tokenizer file cannot be used, or an encoding request is invalid."""


class DataError(ElectraError, ValueError):
    """Malformed task or pre-training data: the message names the file and line (or the list index)."""


class ExportError(ElectraError, ValueError):
    """A SavedModel export cannot be written."""


class TrainingError(ElectraError, ValueError):
    """A training run cannot start or cannot go on (bad output folder, a NaN loss, ...)."""


class FinetuneError(TrainingError):
    """A fine-tuning run cannot start or cannot go on."""


def failed_check(error):
    """The message of the graph check (a `tf.debugging.assert_*` of ours) that `error` reports, else None.

    TensorFlow reports a failed check as "Graph execution error:" with the message deep inside.
    """
    import re

    text = str(error).replace("\\'", "'")  # TensorFlow escapes the quotes of the messages it reports
    # A range check's (layers.checks.graph_range_assertion): message, first bad value, its position, how many
    found = re.search(
        r"assertion failed: \[(.+?): it holds\] \[(-?\d+)\] \[at position\] \[([\d ]+)\] "
        r"\[; values out of range in all:\] \[(\d+)\]",
        text,
    )
    if found:
        message, value, position, count = found.groups()
        position = ", ".join(position.split())
        return f"{message}: it holds {value} at position ({position}); {count} value(s) out of range"
    found = re.search(r"assertion failed: \[(.+?)\] \[", text)
    return found.group(1) if found else None
