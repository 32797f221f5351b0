"""Refusals that need no TensorFlow: a model folder or checkpoint that does not exist is one line at once, not after
the seconds that importing TensorFlow takes (`tf-electra export /nonexistent` took 7.2-7.6 s to say so on a busy
2-core machine). The same functions the commands call give the same messages."""

from tf_electra.io.google_format import resolve_prefix
from tf_electra.utils.hub import resolve_model_dir


def check_inputs(args):
    """Raises the command's own error when its model folder (`model_dir`) or checkpoint (`checkpoint`) is missing."""
    model_dir = getattr(args, "model_dir", None)
    if isinstance(model_dir, str):
        resolve_model_dir(model_dir)
    checkpoint = getattr(args, "checkpoint", None)
    if isinstance(checkpoint, str):
        resolve_prefix(checkpoint)
