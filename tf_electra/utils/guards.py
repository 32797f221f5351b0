"""Checks before writing an output: never over an input, the current folder, a training run or a live run's folder."""

import contextlib
import os

from tf_electra.errors import InputError
from tf_electra.utils.locks import is_locked


def is_inside(path, folder):
    """True when `path` is `folder` or lies below it (links resolved)."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_path(output):
    """InputError unless `output` is a non-empty path."""
    if not isinstance(output, (str, os.PathLike)) or not str(os.fspath(output)).strip():
        raise InputError(f"the output must be a non-empty path, got {output!r}")


def refuse_existing(output, overwrite):
    """Raises FileExistsError where `output` exists (even as a dangling link) and `overwrite` is false."""
    if not overwrite and os.path.lexists(output):
        raise FileExistsError(f"{output} exists; pass --overwrite to replace it")


def refuse_replacing(output, inputs=()):
    """Raises FileExistsError where replacing `output` (a file or folder) would destroy one of `inputs`, the
    current folder (or one above it), a training run's checkpoints, or a folder a running process holds, and
    InputError for an empty or non-path `output`; nothing is touched.
    """
    check_output_path(output)
    with contextlib.suppress(FileNotFoundError):  # a current folder that was deleted cannot be replaced
        if is_inside(os.getcwd(), output):
            raise FileExistsError(f"{os.path.abspath(output)} is the current folder or holds it; choose another output")
    for given in inputs:
        if given is not None and isinstance(given, (str, os.PathLike)) and is_inside(given, output):
            raise FileExistsError(f"{output} is or holds the input {given}; choose another output")
    if not os.path.isdir(output):
        return
    if is_locked(output):
        raise FileExistsError(f"{output} is in use by a running process; choose another output")
    if os.path.isfile(os.path.join(output, "checkpoint")) or any(n.endswith(".index") for n in os.listdir(output)):
        raise FileExistsError(
            f"{output} holds training checkpoints, which --overwrite does not replace; choose another output"
        )
