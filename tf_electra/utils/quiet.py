"""Importing TensorFlow without its C++ start-up log block on the terminal.

On a CPU-only machine TensorFlow prints a dozen lines while it loads (the oneDNN notice, "Could not
find cuda drivers", "failed call to cuInit" ...) that look like failures and bury a command's own
output. TF_CPP_MIN_LOG_LEVEL does not hide the lines written before TensorFlow's logging starts, so
those are filtered out of the standard error stream while TensorFlow is imported. Every other line
is kept. `TF_ELECTRA_VERBOSE=1` (or `tf-electra --verbose`) leaves everything as is.
"""

import os
import re
import sys
import tempfile

VERBOSE_ENV = "TF_ELECTRA_VERBOSE"
# absl/glog lines ("I0000 00:00:17... port.cc:153] ...") and the two lines of the CPU-feature notice.
TF_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] |WARNING: All log messages before absl::InitializeLog"
    r"|To enable the following instructions: |rebuild TensorFlow with the appropriate compiler flags)"
)


def verbose():
    """Whether TensorFlow's own logs were asked for (TF_ELECTRA_VERBOSE=1)."""
    return os.environ.get(VERBOSE_ENV, "").lower() not in ("", "0", "false", "no")


def import_tensorflow_quietly():
    """Imports TensorFlow and Keras with TensorFlow's start-up log lines removed from stderr."""
    if "tensorflow" in sys.modules or verbose():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import keras  # noqa: F401 (imports TensorFlow as its backend)
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            sys.stderr.write("".join(line for line in text.splitlines(True) if not TF_LOG_LINE.match(line)))
            sys.stderr.flush()
