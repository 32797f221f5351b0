"""Checks and parsing of option values (bool is not a number here, and NaN is not finite)."""

import json
import math
import numbers
import os

from tf_electra.errors import ConfigError


def is_number(value):
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_number(what, value, low=-math.inf, high=math.inf, low_open=False, high_open=False, integer=False):
    """`value` as a float, or ConfigError naming `what` where it is not a finite number (an integer where
    `integer`) in the range from `low` to `high` (each end excluded where `*_open`)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok or (integer and value != int(value)):
        bounds = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ConfigError(f"{what} must be {'an integer' if integer else 'a number'} in {bounds}, got {value!r}")
    return float(value)


def is_positive_int(value):
    """An int of at least 1 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def parse_json_object(value, what):
    """A dict from a dict, a JSON object string, or a path to a JSON file (None gives {})."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    text = str(value)
    where, verb = what, "are"
    if os.path.isdir(text):
        raise ConfigError(f"{what} {text} is a folder; give a JSON object or a JSON file")
    if os.path.isfile(text):
        where, verb = f"the {what} file {text}", "is"
        try:
            with open(text, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read {where}: {e}") from e
        if not text.strip():
            raise ConfigError(f"{where} is empty; it should hold a JSON object")
    try:
        parsed = loads_json(text, ConfigError, where, verb)
    except ConfigError:
        if verb == "are" and not text.lstrip().startswith(("{", "[")) and not os.path.exists(text):
            raise ConfigError(f"{what} {shorten(repr(text))} is neither a JSON object nor an existing file") from None
        raise
    if not isinstance(parsed, dict):
        raise ConfigError(f"{what} must be a JSON object, got {type(parsed).__name__}")
    return parsed


def shorten(text, limit=200):
    """Text as an error message shows it: at most `limit` characters, then its length (a value may be megabytes)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def loads_json(text, error, where, verb="is"):
    """`json.loads(text)`; each way Python's parser rejects text (bad syntax, an integer of over 4,300 digits, nesting
    deeper than the stack) raises `error("<where> <verb> not valid JSON: ...")`, never a bare ValueError or
    RecursionError."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # (JSONDecodeError is a ValueError)
        raise error(f"{where} {verb} not valid JSON: {shorten(str(e))}") from e


def read_json_object(path, error, holds="a JSON object"):
    """The JSON object in the file at `path`; raises `error` naming the file when it cannot be read, is not JSON
    (see loads_json) or not an object."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path} is not valid JSON: {shorten(str(e))}") from e
    value = loads_json(text, error, path)
    if not isinstance(value, dict):
        raise error(f"{path} must hold {holds}, got {type(value).__name__}")
    return value
