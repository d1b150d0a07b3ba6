"""Whether a stored ``running`` run or audit still has a live process.

While work runs, its process holds a shared ``flock`` on a lock file named for the work in
the folder ``<store>-live`` beside the store. The kernel drops the lock when the process
ends, however it ends (SIGKILL, a crash, a lost container), so a reader that can take the
lock exclusively knows that no process holds it. Without ``fcntl`` (Windows) nothing can
be told.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover (not POSIX)
    fcntl = None


def lock_path(store_path: Path, work_id: str) -> Path:
    return Path(f"{store_path}-live") / f"{work_id}.lock"


def hold(store_path: Path, work_id: str) -> int | None:
    """Take the work's lock (shared: two processes may work on one run); its descriptor."""
    if fcntl is None:
        return None
    path = lock_path(store_path, work_id)
    while True:
        path.parent.mkdir(exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the folder was just removed by a releasing holder
            continue
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:  # a releasing holder may have removed the file: lock the one that is there
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def release(store_path: Path, work_id: str, fd: int | None) -> None:
    """Drop the work's lock; the last holder removes its file (and the folder, if empty)."""
    if fd is None:
        return
    path = lock_path(store_path, work_id)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink(missing_ok=True)
    except OSError:  # another process holds it too (or a reader is looking): keep the file
        return
    finally:
        os.close(fd)
    try:
        path.parent.rmdir()
    except OSError:  # other work's locks are in it
        pass


def is_live(store_path: Path, work_id: str) -> bool | None:
    """True while a process holds the work's lock, False when none does, None when it
    cannot be told."""
    if fcntl is None:
        return None
    try:
        fd = os.open(lock_path(store_path, work_id), os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # closing drops the lock this look took
    return False
