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


def read_lines(path, max_bytes=None):
    """Yields the lines of a UTF-8 text file (without line ends).

    Args:
        max_bytes: For readers that use only a line's start: a longer line is cut after this many bytes (at a
            character's end), and the rest of it is read and dropped piece by piece, never held whole. None
            reads every line whole.

    Raises:
        DataError: the file is missing, not UTF-8 (naming the line), a corrupt archive, or empty.
    """
    count = 0
    try:
        with open_binary(path) as f:
            while raw := f.readline(max_bytes or -1):
                count += 1
                if max_bytes and len(raw) == max_bytes and not raw.endswith(b"\n"):
                    raw = _drop_rest(f, raw)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise DataError(
                        f"{path}:{count} is not UTF-8 text ({e.reason} at byte {e.start}); convert the file to UTF-8"
                    ) from None
                yield line.rstrip("\r\n")
    except (OSError, EOFError, ValueError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{path} cannot be read (corrupt or truncated archive?): {e}") from e
    if count == 0:
        raise DataError(f"{path} is empty")


def _drop_rest(f, start):
    """Reads past the rest of a line whose `start` was read; returns `start` without a character cut at its end."""
    while (piece := f.readline(1 << 20)) and not piece.endswith(b"\n"):
        pass
    for back in range(1, min(4, len(start)) + 1):
        byte = start[-back]
        if byte & 0xC0 != 0x80:  # ASCII or a UTF-8 lead byte: the last character starts here
            size = 1 if byte < 0x80 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return start[:-back] if size > back else start
    return start  # no lead byte in the last four: not UTF-8, which the decoding names


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
            raise DataError(_not_a_file(path))
        status = os.stat(path)
        key = (status.st_dev, status.st_ino)  # the same file by another name or link, too
        if key in seen:
            raise DataError(f"{path} is given twice (also as {seen[key]}); its text would count twice")
        seen[key] = path
    return paths


def _not_a_file(path):
    if path == "-" or (os.path.exists(path) and not os.path.isdir(path)):  # stdin, a pipe, a device, a socket
        return (
            f"{path} is {'standard input' if path == '-' else 'a pipe or device'}, not a file: the text is read more "
            "than once; write it to a file first"
        )
    return f"{path} is a folder, not a text file" if os.path.isdir(path) else f"{path} does not exist"


def file_stamp(path):
    """What changes when a file is written to or replaced: (inode, size, modification time in ns)."""
    status = os.stat(path)
    return status.st_ino, status.st_size, status.st_mtime_ns
