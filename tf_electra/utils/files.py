"""Atomic file and folder writes: readers never see half-written output."""

import contextlib
import os
import shutil
import tempfile


def atomic_write_text(path, text):
    """Writes `text` to `path` through a temporary file in the same folder."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(path, overwrite=False):
    """Yields a temporary folder that replaces `path` when the block succeeds.

    Args:
        path: The final folder. If it exists and is not empty, it is replaced
            only with `overwrite=True`; otherwise FileExistsError is raised and
            nothing is written.
        overwrite: Replace an existing non-empty folder.

    Raises:
        FileExistsError: `path` exists, is not empty, and `overwrite` is False.
    """
    path = os.path.abspath(path)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise FileExistsError(f"{path} exists and is not a folder")
        if os.listdir(path) and not overwrite:
            raise FileExistsError(
                f"{path} exists and is not empty; choose another folder or pass overwrite=True"
            )
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.tmp-", dir=parent)
    try:
        yield tmp
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old-", dir=parent)
            os.replace(path, os.path.join(old, "x"))
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
