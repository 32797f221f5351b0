"""Reading plain-text corpora: .txt, .gz or .bz2 files, line by line, with errors that name file and line."""

import bz2
import gzip
import os

from tf_electra.errors import DataError


def open_binary(path):
    """A binary file object for a text corpus, decompressing .gz and .bz2."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(f"{path} does not exist (expected a text file, .txt, .gz or .bz2)")
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def read_lines(path):
    """Yields the lines of a UTF-8 text file (without line ends).

    Raises:
        DataError: the file is missing, not UTF-8 (naming the line), a corrupt archive, or empty.
    """
    count = 0
    try:
        with open_binary(path) as f:
            for number, raw in enumerate(f, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise DataError(
                        f"{path}:{number} is not UTF-8 text ({e.reason} at byte {e.start}); convert the file to UTF-8"
                    ) from None
                count += 1
                yield line.rstrip("\r\n")
    except (OSError, EOFError, ValueError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{path} cannot be read (corrupt or truncated archive?): {e}") from e
    if count == 0:
        raise DataError(f"{path} is empty")


def check_text_files(paths):
    """Refuses an empty list or paths that are not files, before any work starts."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise DataError("no text files given")
    seen = {}
    for path in paths:
        if not os.path.isfile(path):
            raise DataError(f"{path} does not exist or is not a file")
        status = os.stat(path)
        key = (status.st_dev, status.st_ino)  # the same file by another name or link, too
        if key in seen:
            raise DataError(f"{path} is given twice (also as {seen[key]}); its text would count twice")
        seen[key] = path
    return paths
