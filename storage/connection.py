"""Opening the DuckDB file: one writer at a time, readers that wait instead of failing.

DuckDB lets one process hold a file read-write, and while it does no other
process can open it, not even read-only. So:
- writers take an exclusive advisory lock (``<db>.lock``) first, which queues
  concurrent runs instead of failing them, and keep the file open only while
  they write a batch;
- readers open the file read-only and, when a writer holds it, retry with a
  short backoff until ``reader_wait_seconds`` have passed.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from storage.migrate import SchemaError, check_current, migrate

__all__ = [
    "DatabaseBusy",
    "NoDatabase",
    "SchemaError",
    "UnreadableDatabase",
    "reader",
    "writer",
]


class DatabaseBusy(RuntimeError):
    """Another process kept the database for longer than we were willing to wait."""


class NoDatabase(FileNotFoundError):
    """A read command was pointed at a database that does not exist yet."""


class UnreadableDatabase(RuntimeError):
    """The file is not a DuckDB database (or not one this DuckDB can read)."""


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _connect_retrying(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise UnreadableDatabase(f"cannot open {path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"{path} is held by another process (a run writing?); "
                    f"gave up after {wait:.0f} s"
                ) from None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)


@contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"another mediawatch run is writing {path}; gave up after {wait:.0f} s"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def writer(path: str | Path, wait: float = 600.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single read-write connection, migrated to the current schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path, wait):
        conn = _connect_retrying(path, read_only=False, wait=wait)
        try:
            migrate(conn)
            yield conn
        finally:
            conn.close()


@contextmanager
def reader(path: str | Path, wait: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that waits for a writer rather than failing."""
    path = Path(path)
    if not path.exists():
        raise NoDatabase(f"no database at {path}: run `mediawatch ingest` or `make run` first")
    conn = _connect_retrying(path, read_only=True, wait=wait)
    try:
        check_current(conn)
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a crash or error inside leaves the previous state intact."""
    conn.begin()
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
