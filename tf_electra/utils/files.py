"""Atomic file and folder writes: readers never see half-written output, and no writer loses another's.

Everything is written under a hidden temporary name in the destination's folder and renamed into
place. Temporary names carry the writer's process id, so a later write into the same folder removes
what a killed writer left behind (and never what a live one is writing). Final files and folders get
the permissions the user's umask gives, as `open()` and `os.mkdir` would, so that another user (a
TF Serving container, say) can read them.
"""

import contextlib
import errno
import hashlib
import os
import re
import shutil
import tempfile

from tf_electra.utils.guards import check_output_path
from tf_electra.utils.guards import is_inside
from tf_electra.utils.guards import refuse_replacing

_TMP = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)-")


def umask():
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path):
    """Gives `path` (and everything under a folder) the permissions a fresh file/folder would get."""
    mask = umask()
    os.chmod(path, (0o777 if os.path.isdir(path) else 0o666) & ~mask)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~mask)
        for name in files:
            os.chmod(os.path.join(root, name), 0o666 & ~mask)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder, name=None):
    """Removes `.NAME.tmp-PID-*` / `.NAME.old-PID-*` entries whose writer process is gone."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        match = _TMP.match(entry)
        if not match or (name is not None and match.group("name") != name) or _alive(int(match.group("pid"))):
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def fsync_path(path):
    """Flushes a file's (or a folder's entries') data to the disk, so a rename after it survives a power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_name(final):
    """The prefix of a temporary entry for `final`: `.NAME.tmp-PID-`."""
    return f".{os.path.basename(final)}.tmp-{os.getpid()}-"


def atomic_write_text(path, text):
    """Writes `text` to `path` through a temporary file in the same folder."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path, data):
    """Writes `data` to `path` through a temporary file in the same folder (replacing `path`).

    Raises:
        FileExistsError: `path` is a device, pipe or socket (the rename would replace it: /dev/null, as root).
    """
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path} is not a regular file (a device, pipe or socket); write to a file instead")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder, os.path.basename(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=temporary_name(path), dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        named = _name_the_final_path(e, path)
        if named is e:
            raise
        raise named from e


def _name_the_final_path(error, path):
    """An OSError about a temporary entry of `path` (`.NAME.tmp-...`), or about no file (a write to a full
    disk: "[Errno 28] No space left on device"), as one naming `path` alone; else `error` itself."""
    name = getattr(error, "filename", None) if isinstance(error, OSError) else None
    temporary = isinstance(name, str) and os.path.basename(name).startswith(f".{os.path.basename(path)}.tmp-")
    if temporary or (isinstance(error, OSError) and name is None and error.errno is not None):
        return type(error)(error.errno, error.strerror, os.path.abspath(path))
    return error


@contextlib.contextmanager
def atomic_directory(path, overwrite=False, inputs=(), keep=None):
    """Yields a temporary folder that becomes `path` when the block succeeds.

    Args:
        path: The final folder. If it exists and is not empty, it is replaced only with
            `overwrite=True`, and never when it holds one of `inputs`, training checkpoints or a live lock.
        overwrite: Replace an existing non-empty folder.
        inputs: Paths the block reads.
        keep: Called with `path` where it exists, to raise where it must not be replaced (e.g. it holds
            another program's files). It and the checks above run when the block starts and again just
            before the replace: what the folder became meanwhile counts.

    Raises:
        FileExistsError: `path` is not empty and `overwrite` is False, or another writer created it
            while this one was writing (then nothing of this writer's is left), or `path` is the current
            folder or one above it.
        InputError: `path` is empty or not a path.
    """
    check_output_path(path)
    path = os.path.abspath(path)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise FileExistsError(f"{path} exists and is not a folder")
        if os.listdir(path) and not overwrite:
            raise FileExistsError(f"{path} exists and is not empty; choose another folder, or replace it (--overwrite)")
    _refuse(path, inputs, keep)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent, os.path.basename(path))
    try:
        tmp = tempfile.mkdtemp(prefix=temporary_name(path), dir=parent)
    except OSError as e:
        named = _name_the_final_path(e, path)
        if named is e:
            raise
        raise named from e
    try:
        yield tmp
        apply_umask(tmp)
        if overwrite and os.path.exists(path):
            _refuse(path, inputs, keep)
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old-{os.getpid()}-", dir=parent)
            os.replace(path, os.path.join(old, "x"))
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            rename_new(tmp, path)
    except BaseException as e:
        _name_the_final_folder(e, tmp, path)
        shutil.rmtree(tmp, ignore_errors=True)
        named = _name_the_final_path(e, path)  # the rename into place
        if named is e:
            raise
        raise named from e


def _refuse(path, inputs, keep):
    refuse_replacing(path, inputs)
    if keep is not None and os.path.exists(path):
        keep(path)


def _name_the_final_folder(error, tmp, path):
    """An error about a file in the temporary folder `tmp` names the file the user asked for, below `path`: an
    OSError's filename, or the text of an error whose one argument is its message (ours, h5py's OSError)."""
    if isinstance(error, OSError) and isinstance(error.filename, str) and is_inside(error.filename, tmp):
        inner = os.path.relpath(os.path.realpath(error.filename), os.path.realpath(tmp))
        error.filename = os.path.normpath(os.path.join(path, inner))
    elif len(error.args) == 1 and isinstance(error.args[0], str):
        text = error.args[0]
        for name in {os.path.realpath(tmp), tmp}:
            text = text.replace(name, path)
        error.args = (text,)


def rename_new(source, destination):
    """Renames a folder to a name that must be free (or an empty folder); never replaces content.

    Raises:
        FileExistsError: the destination holds something (another writer got there first).
    """
    try:
        os.rename(source, destination)
    except OSError as e:
        if e.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise FileExistsError(
                f"{destination} was created by another writer while this one was writing; nothing was replaced"
            ) from e
        raise


def file_sha256(path):
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
