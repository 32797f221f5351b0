"""Folder locks: one writer per run or output folder, released by the kernel even on kill -9."""

import contextlib
import fcntl
import os


@contextlib.contextmanager
def folder_lock(folder, what="run"):
    """Holds an exclusive lock on `folder/.lock` for the block (released even on kill -9).

    A folder that this created and that a failing block left empty is removed.

    Raises:
        FileExistsError: another process holds the lock (its pid is named).
    """
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise FileExistsError(f"{folder} exists and is not a folder; choose another output folder")
    created = not os.path.exists(folder)
    os.makedirs(folder, exist_ok=True)
    lock_path = os.path.join(folder, ".lock")
    handle = open(lock_path, "a+")  # noqa: SIM115 (held for the whole block)
    locked = False
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            raise FileExistsError(
                f"{folder} is in use by another {what} (process {owner}); wait for it or choose another folder"
            ) from None
        locked = True
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
        created = False  # the block finished: what it made of the folder stays
    finally:
        if created and locked and os.listdir(folder) == [".lock"]:
            with contextlib.suppress(OSError):  # another process may have just opened the lock: it keeps the folder
                os.remove(lock_path)
                os.rmdir(folder)
        handle.close()


def is_empty_folder(path):
    """True when `path` does not exist or holds nothing but a `.lock` file."""
    if not os.path.exists(path):
        return True
    return os.path.isdir(path) and not [n for n in os.listdir(path) if n != ".lock"]


def is_locked(folder):
    """True when a live process holds `folder/.lock` (see `folder_lock`)."""
    lock_path = os.path.join(folder, ".lock")
    if not os.path.isfile(lock_path):
        return False
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False
