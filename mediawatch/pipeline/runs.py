"""Runs: start (with a lock that says the run is alive), finish, vacuum, changes."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mediawatch import interrupt
from mediawatch.config import Settings
from mediawatch.pausepoint import pause
from mediawatch.pipeline.db import open_reader, open_writer, utcnow
from mediawatch.pipeline.summary import RunSummary
from storage import retention as retention_db
from storage import runlock
from storage import runs as runs_db
from storage.connection import Compaction, compact, reader, transaction, verify, writer

CANCEL_WAIT_SECONDS = 3.0  # how long a cancelled run waits to record itself

# The lock of each run this process has open (released by finish_run, or by the
# kernel when the process dies): other runs can tell it is alive.
_RUN_LOCKS: dict[tuple[str, int], runlock.RunLock] = {}


def start_run(settings: Settings, sources: list[str], kind: str, flow_run_id: str = "") -> int:
    """Record a new run; runs left 'running' by a process that is gone become 'crashed'."""
    host = socket.gethostname()
    lock: runlock.RunLock | None = None
    try:
        with open_writer(settings) as conn, transaction(conn):
            dead = dead_runs(settings, runs_db.open_runs(conn), host)
            runs_db.mark_crashed(conn, dead)
            run_id = runs_db.start_run(conn, kind, sources, flow_run_id, os.getpid(), host)
            lock = runlock.acquire(settings.db_path, run_id)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    for r in dead:
        runlock.forget(settings.db_path, r)
    _RUN_LOCKS[(str(settings.db_path), run_id)] = lock
    return run_id


def dead_runs(settings: Settings, runs: list[runs_db.OpenRun], host: str) -> list[int]:
    """The runs among ``runs`` whose process is gone. A run of another host is never
    judged from here (its lock lives on that machine); a run without a host was
    recorded before runs had locks, and is not alive."""
    return [
        r.run_id
        for r in runs
        if (r.host is None or r.host == host) and not runlock.is_alive(settings.db_path, r.run_id)
    ]


def finish_run(
    settings: Settings,
    summary: RunSummary,
    error: str | None = None,
    counts: dict[str, Any] | None = None,
    state: str | None = None,
    read_changes: bool = False,
) -> runs_db.RunChanges | None:
    """Record how the run ended. A cancelled run waits for the database briefly: the
    command has seconds to exit (mediawatch.interrupt), and a run left 'running' is
    marked 'crashed' by the next one anyway. ``read_changes``: also read back what the
    run changed (``run_changes``), on the same opening of the file (30-60 ms saved);
    None when that read failed (the run is recorded all the same)."""
    summary.elapsed = summary.seconds_since_start()
    wait = settings.storage.writer_wait_seconds
    if state == "cancelled":
        wait = min(wait, CANCEL_WAIT_SECONDS)
    changed = None
    with writer(settings.db_path, wait=wait) as conn:
        with transaction(conn):
            runs_db.finish_run(conn, summary.run_id, counts or summary.counts(), error, state)
        if read_changes:
            try:
                changed = runs_db.changes(conn, summary.run_id)
            except Exception:  # a courtesy for the run's summary, read again there
                changed = None
    lock = _RUN_LOCKS.pop((str(settings.db_path), summary.run_id), None)
    if lock is not None:
        lock.release()
    return changed


@dataclass
class VacuumReport:
    """What `mediawatch vacuum` did (or, with dry_run, would do)."""

    run_id: int
    db: str
    prune_days: int  # 0: no pruning
    prune_before: datetime | None  # stories whose latest article is older were pruned
    pruned: retention_db.PruneResult | None
    compaction: Compaction | None
    dry_run: bool = False

    def counts(self) -> dict[str, Any]:
        p, c = self.pruned, self.compaction
        return {
            "pruned_articles": p.articles if p else 0,
            "pruned_revisions": p.revisions if p else 0,
            "pruned_stories": p.stories if p else 0,
            "bytes_before": c.bytes_before if c else None,
            "bytes_after": c.bytes_after if c else None,
        }


def vacuum(
    settings: Settings,
    prune_days: int | None = None,
    compact_file: bool = True,
    dry_run: bool = False,
    flow_run_id: str = "",
) -> VacuumReport:
    """Retention: prune the texts of old, closed stories (``retention.prune_text_after_days``
    unless ``prune_days`` is given; 0: none), then compact the file to give the space back.

    A story is closed once its latest article is older than the matching window; its
    texts go when that article is also older than the retention period.
    """
    days = settings.retention.prune_text_after_days if prune_days is None else prune_days
    verify(settings.db_path, wait=settings.storage.writer_wait_seconds)  # damaged: hands off
    now = utcnow()
    before = now - timedelta(days=max(days, settings.match.window_days)) if days > 0 else None
    if dry_run:  # counts only: no run recorded, nothing written
        report = VacuumReport(0, str(settings.db_path), days, before, None, None, True)
        if before is not None:
            with open_reader(settings) as conn:
                report.pruned = retention_db.prune_texts(conn, before, now, dry_run=True)
        return report
    run_id = start_run(settings, [str(settings.db_path)], "vacuum", flow_run_id)
    report = VacuumReport(run_id, str(settings.db_path), days, before, None, None)
    summary = RunSummary(run_id=run_id, db=report.db)
    try:
        if before is not None:
            with open_writer(settings) as conn, transaction(conn):
                report.pruned = retention_db.prune_texts(conn, before, now)
        pause("compact")  # tests: pruned, the file not compacted yet
        if compact_file:
            report.compaction = compact(settings.db_path, wait=settings.storage.writer_wait_seconds)
    except BaseException as exc:
        ended_by_signal(settings, summary, exc, report.counts())
        raise
    finish_run(settings, summary, counts=report.counts())
    return report


def ended_by_signal(
    settings: Settings, summary: RunSummary, exc: BaseException, counts: dict[str, Any] | None
) -> None:
    """Record a run that ``exc`` ended: 'cancelled' when a signal stopped it (Ctrl-C,
    SIGTERM; what was stored stays, whole batches), else 'failed'."""
    signum = interrupt.signal_of(exc) or interrupt.requested()
    if signum is None:
        finish_run(settings, summary, f"{type(exc).__name__}: {exc}", counts)
        return
    interrupt.note(signum)
    error = f"interrupted by {interrupt.signal_name(signum)}"
    finish_run(settings, summary, error, counts, state="cancelled")


def run_changes(settings: Settings, run_id: int, wait: float | None = None) -> runs_db.RunChanges:
    """What a run changed (new and grown stories, groups, failures), read back."""
    wait = settings.storage.reader_wait_seconds if wait is None else wait
    with reader(settings.db_path, wait=wait) as conn:
        return runs_db.changes(conn, run_id)
