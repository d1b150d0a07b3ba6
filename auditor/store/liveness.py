"""Whether a stored ``running`` run or audit still has a live process.

While work runs, its process holds a shared ``flock`` on a lock file named for the work in
the folder ``<store>-live`` beside the store, and writes into it which kernel it runs on
(Linux's boot id, else the host name) and its pid. The kernel drops the lock when the
process ends, however it ends (SIGKILL, a crash, a lost container), so a reader on the
same kernel that can take the lock exclusively knows that no process holds it. A free
lock written from another kernel (another machine sharing the store over a network file
system, which may not pass locks on) tells nothing; neither does anything without
``fcntl`` (Windows).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

try:
    import fcntl

    LOCKS = True
except ImportError:  # pragma: no cover (not POSIX)
    LOCKS = False


@functools.lru_cache(maxsize=1)
def machine() -> str:
    """This kernel: its boot id (shared by the containers it runs), else the host name."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        import socket

        return socket.gethostname()


def lock_path(store_path: Path, work_id: str) -> Path:
    return Path(f"{store_path}-live") / f"{work_id}.lock"


def hold(store_path: Path, work_id: str) -> int | None:
    """Take the work's lock (shared: two processes may work on one run); its descriptor."""
    if not LOCKS:
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
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{machine()} {os.getpid()}\n".encode(), 0)
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
    if not LOCKS:
        return None
    try:
        fd = os.open(lock_path(store_path, work_id), os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        written = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # closing drops the lock this look took
    return None if written and written[0] != machine() else False
