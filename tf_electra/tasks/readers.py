"""Reading task rows from Python lists, CSV, TSV or JSON Lines, keeping where each row came from."""

import collections
import contextlib
import csv
import io
import os
import re

from tf_electra.errors import DataError
from tf_electra.utils.values import loads_json


class Row(dict):
    """One example's columns, with `where` naming its origin ("train.csv:12", "item 3")."""

    def __init__(self, values, where):
        super().__init__(values)
        self.where = where

    def need(self, column):
        """The value of a column, or a DataError naming the row."""
        if column not in self:
            raise DataError(f"{self.where}: missing column {column!r} (the row has {sorted(self)})")
        if self[column] is None:
            raise DataError(f"{self.where}: column {column!r} is empty (null)")
        return self[column]


def read_rows(source, columns=None):
    """Rows from a list (of dicts, or tuples matching `columns`) or a .csv / .tsv / .jsonl file.

    CSV and TSV files need a header row. Returns a list of Row.

    Raises:
        DataError: unreadable file, unknown extension, or a malformed line.
    """
    if isinstance(source, (list, tuple)):
        rows = []
        for i, item in enumerate(source):
            if isinstance(item, dict):
                rows.append(Row(item, f"item {i}"))
            elif columns is not None and isinstance(item, (list, tuple)):
                if len(item) != len(columns):
                    raise DataError(f"item {i}: expected {len(columns)} values {columns}, got {len(item)}")
                rows.append(Row(dict(zip(columns, item)), f"item {i}"))
            else:
                raise DataError(f"item {i}: expected a dict, got {type(item).__name__}")
        return rows
    path = os.fspath(source)
    if not os.path.isfile(path):
        kind = "a folder" if os.path.isdir(path) else "a device, pipe or socket" if os.path.exists(path) else None
        raise DataError(f"{path} is {kind}, not a data file" if kind else f"{path} does not exist")
    extension = os.path.splitext(path)[1].lower()
    if extension in (".csv", ".tsv"):
        return _read_delimited(path, "\t" if extension == ".tsv" else ",")
    if extension in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    raise DataError(f"{path}: unknown data format {extension!r}; use .csv, .tsv or .jsonl (SQuAD: .json)")


MAX_FIELD_CHARS = 1 << 24  # a text field may be a long document (csv's default limit is 131,072)


def read_text(path):
    """A UTF-8 file's text; a DataError names the line of the first byte that is not UTF-8."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(f"{path} cannot be read: {e.strerror}") from e
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark (Excel's "CSV UTF-8") is no text
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise DataError(f"{path}:{line} is not UTF-8 text ({e.reason}); convert the file to UTF-8") from None


@contextlib.contextmanager
def _field_limit(limit):
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_delimited(path, delimiter):
    rows = []
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter=delimiter, quoting=quoting)
    with _field_limit(MAX_FIELD_CHARS):
        try:
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path} is empty (a header row is needed)")
            counts = collections.Counter(header)  # (once: header.count per column took 20 s for 40,000 columns)
            repeated = sorted(name for name, n in counts.items() if name and n > 1)  # Excel's empty columns are ""
            if repeated:
                raise DataError(f"{path}:1: the header names {', '.join(map(repr, repeated))} more than once")
            names = ", ".join(header[:10]) + (", ..." if len(header) > 10 else "")
            start = reader.line_num + 1
            for values in reader:
                line, start = start, reader.line_num + 1  # this record's first line, and the next one's
                if not values:  # a blank line; a line holding "" is an empty text (one-column files)
                    continue
                if len(values) != len(header):
                    spans = f"; the record runs to line {reader.line_num}: is a quote left open?" * (
                        reader.line_num > line
                    )
                    raise DataError(
                        f"{path}:{line}: {len(values)} fields, but the header has {len(header)} ({names}){spans}"
                    )
                rows.append(Row(dict(zip(header, values)), f"{path}:{line}"))
        except csv.Error as e:
            raise DataError(f"{path}:{reader.line_num}: {e}") from None
    return rows


def _read_jsonl(path):
    rows = []
    # lines end at \n, \r\n or \r only: JSON text may hold U+2028, U+0085, ... unescaped (splitlines() splits there)
    for line_number, line in enumerate(re.split(r"\r\n|\r|\n", read_text(path)), 1):
        if not line.strip():
            continue
        value = loads_json(line.strip(), DataError, f"{path}:{line_number}")
        if not isinstance(value, dict):
            raise DataError(f"{path}:{line_number}: expected a JSON object, got {type(value).__name__}")
        _check_unicode(value, f"{path}:{line_number}")
        rows.append(Row(value, f"{path}:{line_number}"))
    return rows


def _check_unicode(value, where, column=None):
    """A JSON "\\udc80" escape is a lone surrogate: no tokenizer or UTF-8 output can take it (named here)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise DataError(
                f"{where}: column {column!r} holds {value[e.start]!r} at character {e.start}, which is not valid "
                "Unicode (a lone surrogate escape)"
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(key, where, column)
            _check_unicode(item, where, key if column is None else column)
    elif isinstance(value, list):
        for item in value:
            _check_unicode(item, where, column)
