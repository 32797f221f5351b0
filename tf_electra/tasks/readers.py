"""Reading task rows from Python lists, CSV, TSV or JSON Lines, keeping where each row came from."""

import csv
import json
import os

from tf_electra.errors import DataError


class Row(dict):
    """One example's columns, with `where` naming its origin ("train.csv:12", "item 3")."""

    def __init__(self, values, where):
        super().__init__(values)
        self.where = where

    def need(self, column):
        """The value of a column, or a DataError naming the row."""
        if column not in self or self[column] is None:
            raise DataError(f"{self.where}: missing column {column!r} (the row has {sorted(self)})")
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
        raise DataError(f"{path} does not exist")
    extension = os.path.splitext(path)[1].lower()
    if extension in (".csv", ".tsv"):
        return _read_delimited(path, "\t" if extension == ".tsv" else ",")
    if extension in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    raise DataError(f"{path}: unknown data format {extension!r}; use .csv, .tsv or .jsonl (SQuAD: .json)")


def _read_delimited(path, delimiter):
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(f"{path} is empty (a header row is needed)") from None
        for values in reader:
            if not values or values == [""]:
                continue
            line = reader.line_num
            if len(values) != len(header):
                raise DataError(f"{path}:{line}: {len(values)} fields, but the header has {len(header)} ({header})")
            rows.append(Row(dict(zip(header, values)), f"{path}:{line}"))
    return rows


def _read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{line_number}: not valid JSON: {e}") from e
            if not isinstance(value, dict):
                raise DataError(f"{path}:{line_number}: expected a JSON object, got {type(value).__name__}")
            rows.append(Row(value, f"{path}:{line_number}"))
    return rows
