"""`tf-electra`: parse the arguments (instantly), then run the command with TensorFlow loaded quietly.

Every error ends the command with one line, `tf-electra COMMAND: error: <message>`, and exit status
1 (2 for argument errors); `--debug` prints the traceback too. Warnings are one line each,
`tf-electra COMMAND: warning: <message>` (with `--debug`, Python's usual form with file and line).
"""

import os
import sys
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
    try:
        frozen_weights()  # TF_ONEDNN_ASSUME_FROZEN_WEIGHTS: a value TensorFlow would abort on is one line instead
        from tf_electra.utils.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
        from tf_electra.cli import commands

        return getattr(commands, args.func)(args)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # every failure is one line; the traceback only on request
        if args.debug:
            raise
        print(f"{name}: error: {describe(e)}", file=sys.stderr)
        return 1


def one_line_warnings(name):
    """A `warnings.showwarning` that prints `NAME: warning: <message>` and nothing else."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{name}: warning: {str(message).strip()}", file=sys.stderr if file is None else file)

    return show


def describe(error):
    """One line for an error: our messages as they are, others with their type and a pointer to --debug."""
    from tf_electra.errors import ElectraError

    if isinstance(error, ElectraError):
        return str(error)
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename and str(error.filename) not in str(error.strerror) else ""
        text = str(error) if error.strerror is None else f"{error.strerror}{where}"
        return text
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first} (run with --debug for the traceback)"


if __name__ == "__main__":
    sys.exit(main())
