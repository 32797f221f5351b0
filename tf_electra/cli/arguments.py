"""Argument types and the help layout shared by the `tf-electra` parsers (no heavy imports)."""

import argparse

from tf_electra.presets import RELEASED_POSITIONS


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows an option's default after its help, unless the help states it or there is none; keeps the examples'
    line breaks."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def _int_at_least(text, low, what):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text):
    return _int_at_least(text, 1, "a positive integer")


def count(text):
    """A whole number of at least 0 (e.g. --reinit-layers 0)."""
    return _int_at_least(text, 0, "a whole number of at least 0")


def sequence_length(text):
    """A --length for the presets' models: 1 to their positions (checked before 2 x length ids are made)."""
    value = positive_int(text)
    if value > RELEASED_POSITIONS:
        raise argparse.ArgumentTypeError(f"the presets' models have {RELEASED_POSITIONS} positions, got {value}")
    return value


def seed(text):
    """A random seed: an integer in [0, 2**32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"a seed must lie in [0, 2**32), got {value}")
    return value


def column(text):
    if "=" not in text or not text.split("=", 1)[0]:
        raise argparse.ArgumentTypeError(f"expected NAME=COLUMN (e.g. text_column=sentence), got {text!r}")
    return text


def command(sub, name, help, description, example, func):
    """A subcommand with a description, an example (epilog) and `func`, its function's name in commands.py."""
    parser = sub.add_parser(
        name, help=help, description=f"{description}", epilog=f"example:\n  {example}", formatter_class=HelpFormatter
    )
    parser.set_defaults(func=func)
    return parser
