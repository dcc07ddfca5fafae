"""Opening the DuckDB file: one writer at a time, readers that wait instead of failing.

DuckDB lets one process hold a file read-write, and while it does no other
process can open it, not even read-only. So:
- writers take an exclusive advisory lock (``<db>.lock``) first, which queues
  concurrent runs instead of failing them, and keep the file open only while
  they write a batch;
- readers pass the same lock (shared, for the instant of opening the file) and
  then open it read-only: a writer that holds the lock, or waits for the
  readers already inside to close, is not overtaken by new readers, and a
  reader is not starved by runs that take turns writing. When the file is held
  anyway (a process outside mediawatch), readers retry with a short backoff
  until ``reader_wait_seconds`` have passed.

A read-only connection replays a write-ahead log left by a killed writer in
memory; the next writer replays it into the file.

A damaged file (cut short, or a block whose checksum fails: DuckDB checks each block
as it reads it) raises ``DatabaseDamaged`` from any connection here, with where
DuckDB saw it; ``verify`` reads every block of every table, for `mediawatch check`
and `vacuum`, and before a command writes to a file that changed since mediawatch last
saw it whole (``verified``: a damaged file is never written to).

The last whole state is a stamp, ``<db>.verified``: the file's size, modification time
and inode (and its write-ahead log's), written by ``verify`` and refreshed by every
writer that opened a file matching it. A file damaged from outside (cut short, copied
over, overwritten in place) no longer matches, and is read in full before the next
write; damage that leaves size and time as they were (a disk's own rot) is caught by
DuckDB's block checksums when a command reads the block, and by `check` and `vacuum`.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from storage.migrate import SchemaError, check_current, migrate

__all__ = [
    "Compaction",
    "DatabaseBusy",
    "DatabaseDamaged",
    "NoDatabase",
    "SchemaError",
    "UnreadableDatabase",
    "before_write",
    "compact",
    "reader",
    "transaction",
    "verified",
    "verify",
    "writer",
]


class DatabaseBusy(RuntimeError):
    """Another process kept the database for longer than we were willing to wait."""


class NoDatabase(FileNotFoundError):
    """A read command was pointed at a database that does not exist yet."""


class UnreadableDatabase(RuntimeError):
    """The file is not a DuckDB database (or not one this DuckDB can read)."""


class DatabaseDamaged(RuntimeError):
    """The file is damaged: cut short, or a block fails its checksum. Nothing is
    written to it; the README (Reliability) says how to recover."""


RECOVER = "restore the last good copy (README: Reliability)"

# What DuckDB says when a block it reads is not what it wrote.
_DAMAGE_SIGNS = (
    "Corrupt database file",
    "does not match stored checksum",
    "Could not read enough bytes from file",
    "database has been invalidated",
    "Failed to create checkpoint",
)


def _damage(path: Path, exc: BaseException) -> DatabaseDamaged | None:
    """``exc`` as DatabaseDamaged when it says the file is damaged (None otherwise):
    one line, with the byte where DuckDB found it."""
    text = str(exc)
    if not any(sign in text for sign in _DAMAGE_SIGNS):
        return None
    where = re.search(r"location (\d+)", text)
    at = f" at byte {int(where.group(1)):,}" if where else ""
    if "Could not read enough bytes" in text:
        what = f"a block{at} is missing (the file was cut short?)"
    elif "checksum" in text:
        what = f"the block{at} fails its checksum"
    else:
        what = text.splitlines()[0][:200]
    return DatabaseDamaged(f"{path} is damaged: {what}; {RECOVER}")


def is_damage(exc: BaseException) -> bool:
    """Does a DuckDB error say that the file is damaged (not the query wrong)?"""
    return any(sign in str(exc) for sign in _DAMAGE_SIGNS)


def _raise_damage(path: Path, exc: BaseException) -> None:
    """Raise DatabaseDamaged for an error that says the file is damaged."""
    damaged = _damage(path, exc)
    if damaged is not None:
        raise damaged from None


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
                raise _damage(path, exc) or UnreadableDatabase(
                    f"cannot open {path}: {exc}"
                ) from None
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"{path} is held by another process (a run writing?); "
                    f"gave up after {wait:.0f} s"
                ) from None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _open_lock_file(path: Path, create: bool) -> int | None:
    lock_path = _lock_path(path)
    try:
        if create:
            return os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        return os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None


def _flock_waiting(fd: int, mode: int, deadline: float) -> bool:
    """Take the lock, polling until the deadline; False when it stayed taken."""
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    fd = _open_lock_file(path, create=True)
    if fd is None:
        raise UnreadableDatabase(f"cannot create the lock file {_lock_path(path)}")
    try:
        if not _flock_waiting(fd, fcntl.LOCK_EX, time.monotonic() + wait):
            raise DatabaseBusy(
                f"another mediawatch run is writing {path}; gave up after {wait:.0f} s"
            )
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_reader(path: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """Wait for the writer's turn to end (the shared lock), open read-only, let go."""
    deadline = time.monotonic() + wait
    fd = _open_lock_file(path, create=True)
    if fd is None:
        fd = _open_lock_file(path, create=False)  # a read-only folder: no lock to pass
    try:
        if fd is not None and not _flock_waiting(fd, fcntl.LOCK_SH, deadline):
            raise DatabaseBusy(
                f"{path} is held by a run writing to it; gave up after {wait:.0f} s "
                "(storage.reader_wait_seconds)"
            )
        return _connect_retrying(path, read_only=True, wait=max(0.0, deadline - time.monotonic()))
    finally:
        if fd is not None:
            os.close(fd)


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _file_state(path: Path) -> str | None:
    """Size, modification time and inode of the file and of its write-ahead log."""
    parts = []
    for p in (path, Path(str(path) + ".wal")):
        try:
            st = p.stat()
        except FileNotFoundError:
            parts.append("-")
            continue
        except OSError:
            return None
        parts.append(f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_dev}")
    return " ".join(parts)


def verified(path: str | Path) -> bool:
    """Is the file as mediawatch last saw it whole (read in full by ``verify``, or
    written by a writer since)? Then a write need not read it all first."""
    path = Path(path)
    state = _file_state(path)
    try:
        return state is not None and _stamp_path(path).read_text() == state
    except OSError:
        return False


def _stamp(path: Path, state: str | None = None) -> None:
    """Record the file's state as whole (best effort: no stamp only costs a ``verify``)."""
    state = state or _file_state(path)
    if state is None:
        return
    tmp = _stamp_path(path).with_name(_stamp_path(path).name + ".tmp")
    try:
        tmp.write_text(state)
        os.replace(tmp, _stamp_path(path))
    except OSError:
        pass


@contextmanager
def writer(path: str | Path, wait: float = 600.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single read-write connection, migrated to the current schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path, wait):
        # a file as last seen whole (or a new one) stays so after our own writes
        trusted = not path.exists() or verified(path)
        conn = _connect_retrying(path, read_only=False, wait=wait)
        whole = trusted
        try:
            migrate(conn)
            yield conn
        except duckdb.Error as exc:
            whole = False
            _raise_damage(path, exc)
            raise
        finally:
            try:
                _close(path, conn)
            except BaseException:
                whole = False
                raise
            finally:
                if whole:
                    _stamp(path)


def _close(path: Path, conn: duckdb.DuckDBPyConnection) -> None:
    try:
        conn.close()
    except duckdb.Error as exc:  # a checkpoint on close that meets a damaged block
        _raise_damage(path, exc)
        raise


@contextmanager
def reader(
    path: str | Path, wait: float = 60.0, any_schema: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that waits for a writer rather than failing.
    ``any_schema``: also a database of an older schema (``verify`` before a write that
    will migrate it)."""
    path = Path(path)
    if not path.exists():
        raise NoDatabase(f"no database at {path}: run `mediawatch ingest` or `make run` first")
    conn = _open_reader(path, wait)
    try:
        if not any_schema:
            check_current(conn)
        yield conn
    except duckdb.Error as exc:
        _raise_damage(path, exc)
        raise
    finally:
        _close(path, conn)


def verify(path: str | Path, wait: float = 60.0) -> int:
    """Read every value of every table (DuckDB checks each block's checksum as it reads
    it); raises DatabaseDamaged at the first bad block. Returns the tables read.

    Costs a pass over the file (about 1 s per 250 MB): done by `mediawatch check` and
    `vacuum`, and before a command writes (ingest, run, serve, migrate) to a file that is
    not as mediawatch last saw it whole (``verified``). Index blocks are read when a
    lookup needs them, not here."""
    path = Path(path)
    before = _file_state(path)
    with reader(path, wait=wait, any_schema=True) as conn:  # the write that follows migrates
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM duckdb_tables()"
                " WHERE database_name = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        conn.execute("SET enable_progress_bar = false")
        for t in tables:
            name = '"' + t.replace('"', '""') + '"'
            # hash() of every value: min() is cheaper but DuckDB may answer it from a
            # block's statistics without reading (or checksumming) the block itself
            conn.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {name}").fetchall()
    if before is not None and _file_state(path) == before:  # not written meanwhile
        _stamp(path, before)
    return len(tables)


def before_write(path: str | Path, wait: float = 60.0) -> None:
    """What a command checks before it writes: a file that is not as mediawatch last saw
    it whole is read in full first (``verify``), so a damaged file is never written to."""
    path = Path(path)
    if path.exists() and not verified(path):
        verify(path, wait=wait)


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


@dataclass(frozen=True)
class Compaction:
    bytes_before: int
    bytes_after: int


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def compact(path: str | Path, wait: float = 600.0) -> Compaction:
    """Rewrite the file without its free blocks (DuckDB reuses them, but never gives
    them back): a copy of every table and sequence into a new file that then replaces
    the old one in one rename.

    Runs as a writer (other runs queue); the copy reads the file read-only, and new
    readers wait for it like for a run's batch. A crash at any point leaves the old
    file or the new one, both whole; a leftover partial copy is removed next time.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".compact")
    with _file_lock(path, wait):
        # Replay any write-ahead log into the file first: the copy must not leave a
        # log behind that belongs to the old file.
        conn = _connect_retrying(path, read_only=False, wait=wait)
        try:
            migrate(conn)
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
        if Path(str(path) + ".wal").exists():
            raise UnreadableDatabase(f"{path}: its write-ahead log was not checkpointed")
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        before = path.stat().st_size
        mem = duckdb.connect(":memory:")
        try:
            mem.execute(f"ATTACH {_quoted(path)} AS compact_source (READ_ONLY)")
            mem.execute(f"ATTACH {_quoted(tmp)} AS compact_target")
            mem.execute("COPY FROM DATABASE compact_source TO compact_target")
            tables = [
                r[0]
                for r in mem.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'compact_source'"
                ).fetchall()
            ]
            for t in tables:
                a, b = (
                    mem.execute(f'SELECT count(*) FROM {db}.main."{t}"').fetchone()[0]
                    for db in ("compact_source", "compact_target")
                )
                if a != b:
                    raise UnreadableDatabase(f"compaction copied {b} of {a} rows of {t}")
            mem.execute("DETACH compact_target")
            mem.execute("DETACH compact_source")
        except BaseException:
            mem.close()
            tmp.unlink(missing_ok=True)
            raise
        mem.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        _stamp(path)  # a copy of every block, each read (and checked) on the way
        return Compaction(before, path.stat().st_size)
