"""`tf-electra`: parse the arguments (instantly), then run the command with TensorFlow loaded quietly (if it needs it).

Every error ends the command with one line, `tf-electra COMMAND: error: <message>`, and exit status
1 (2 for argument errors); `--debug` prints the traceback too. Warnings are one line each,
`tf-electra COMMAND: warning: <message>` (with `--debug`, Python's usual form with file and line).
"""

import gc
import os
import signal
import sys
import threading
import warnings

from tf_electra.cli.parser import build_parser
from tf_electra.utils.graph_rewrites import XLA_ENV
from tf_electra.utils.graph_rewrites import prepare_xla_flags
from tf_electra.utils.onednn import frozen_weights
from tf_electra.utils.quiet import VERBOSE_ENV


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.verbose:
        os.environ[VERBOSE_ENV] = "1"
    if getattr(args, "xla_elementwise", False):
        os.environ[XLA_ENV] = "elementwise"
        prepare_xla_flags()  # before TensorFlow is imported and optimizes its first graph
    name = f"tf-electra {args.command}"
    if not args.debug:
        warnings.showwarning = one_line_warnings(name)
    previous = _terminate_like_ctrl_c()
    try:
        frozen_weights()  # TF_ONEDNN_ASSUME_FROZEN_WEIGHTS: a value TensorFlow would abort on is one line instead
        from tf_electra.cli import text_commands

        if args.func in text_commands.COMMANDS:
            return getattr(text_commands, args.func)(args)
        from tf_electra.cli.preflight import check_inputs
        from tf_electra.utils.quiet import import_tensorflow_quietly

        check_inputs(args)  # a missing model folder or checkpoint: one line before TensorFlow's import
        import_tensorflow_quietly()
        from tf_electra.cli import commands

        return getattr(commands, args.func)(args)
    except KeyboardInterrupt as e:
        terminated = isinstance(e, Terminated)
        print(f"{name}: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    except Exception as e:  # every failure is one line; the traceback only on request
        if args.debug:
            raise
        print(f"{name}: error: {describe(e)}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM (sent by `timeout`, `docker stop`, systemd), raised as Ctrl-C is, so that every clean-up runs: it
    ended the process at once, leaving a half-built output folder under its temporary name."""


def _terminate_like_ctrl_c():
    """Makes SIGTERM raise Terminated in the main thread; returns the handler it replaces (None elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum, frame):
        raise Terminated()

    return signal.signal(signal.SIGTERM, terminate)


def run(argv=None):
    """The `tf-electra` program (and `python -m tf_electra.cli`): `main()`, then a quick exit.

    Python's shutdown runs several full garbage collections over every object that TensorFlow and
    Keras made, about 1 s after a command that built a model (Intel Xeon, 2026-12-06: `summary` 5.67 ->
    4.79 s). The command has written and closed its files by then: one collection now finalizes the
    cyclic garbage it left, and `gc.freeze()` exempts everything still alive from the shutdown's
    collections (such objects are freed as their last references go, as always; Python never promised
    to finalize objects in reference cycles at exit). Call `main()` to stay in the process. Signals to stop
    are ignored from then on: the command has ended.
    """
    status = main(argv)
    if threading.current_thread() is threading.main_thread():  # the command is over: another Ctrl-C printed a
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # traceback from the collection or the shutdown
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.collect()
    gc.freeze()
    return status


def one_line_warnings(name):
    """A `warnings.showwarning` that prints `NAME: warning: <message>` and nothing else."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{name}: warning: {str(message).strip()}", file=sys.stderr if file is None else file)

    return show


def describe(error):
    """One line for an error: our messages as they are, others with their type and a pointer to --debug."""
    from tf_electra.errors import ElectraError
    from tf_electra.errors import failed_check

    if isinstance(error, ElectraError):
        return str(error)
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename and str(error.filename) not in str(error.strerror) else ""
        text = str(error) if error.strerror is None else f"{error.strerror}{where}"
        return text
    first = failed_check(error) or (str(error).strip().splitlines()[0] if str(error).strip() else "")
    return f"{type(error).__name__}: {first} (run with --debug for the traceback)"


if __name__ == "__main__":
    sys.exit(run())
