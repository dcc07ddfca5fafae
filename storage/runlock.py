"""Per-run lock files: is the process behind a 'running' run still alive?

A run holds an exclusive ``flock`` on ``<db>.runs/<run_id>.lock`` from the moment
its row is written until it is finished. The kernel releases the lock when the
process ends, however it ends (SIGKILL included), so a lock that can be taken
belongs to a dead run. Two runs started together therefore never mistake each
other for crashed ones. (Locks are per open file: two runs in one process do not
share theirs either.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path


def lock_dir(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".runs")


def lock_path(db: str | Path, run_id: int) -> Path:
    return lock_dir(db) / f"{run_id}.lock"


@dataclass
class RunLock:
    path: Path
    fd: int

    def release(self, remove: bool = True) -> None:
        """Give the lock up (the run is finished); the file goes with it."""
        if self.fd < 0:
            return
        if remove:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        os.close(self.fd)
        self.fd = -1


def acquire(db: str | Path, run_id: int) -> RunLock:
    """Take the run's lock; held until ``release`` or the end of the process."""
    path = lock_path(db, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RuntimeError(f"run {run_id} is locked by another process ({path})") from None
    os.write(fd, f"{os.getpid()}\n".encode())
    return RunLock(path, fd)


def is_alive(db: str | Path, run_id: int) -> bool:
    """True while the process that started the run holds its lock."""
    path = lock_path(db, run_id)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False  # never locked (an older version) or already cleaned up: not running
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def forget(db: str | Path, run_id: int) -> None:
    """Remove a dead run's lock file."""
    with contextlib.suppress(FileNotFoundError):
        lock_path(db, run_id).unlink()
