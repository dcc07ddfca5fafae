"""The one line an interrupted command prints: what it stored and how to go on.

Read back from the database (the run this process recorded), not from the run's
memory: the line says what is really there. Resuming is running the same command
again: items stored before are skipped as known, the rest is read, fetched and stored.
"""

from __future__ import annotations

import os
import socket

from mediawatch.config import Settings
from mediawatch.interrupt import signal_name

READ_WAIT_SECONDS = 2.0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _last_run(settings: Settings):
    from storage import runs as runs_db
    from storage.connection import reader

    if not settings.db_path.exists():
        return None
    with reader(settings.db_path, wait=READ_WAIT_SECONDS) as conn:
        return runs_db.last_run_of(conn, os.getpid(), socket.gethostname())


def message(command: str, settings: Settings | None, signum: int) -> str:
    """``mediawatch: stopped by SIGINT: ...`` for ``command`` (the subcommand's name)."""
    head = f"mediawatch: stopped by {signal_name(signum)}"
    if command == "ui":
        return f"{head}: the inspector is closed"
    if command == "serve":
        return (
            f"{head}: no more scheduled runs; a run in flight was cancelled, and the next "
            "one takes up what it had not stored (`mediawatch serve` to serve again)"
        )
    if command not in ("ingest", "run", "vacuum") or settings is None:
        return head
    try:
        run = _last_run(settings)
    except Exception:  # the line must come out, whatever the database says
        run = None
    if command == "vacuum":
        if run is None:
            return f"{head} before it changed anything"
        return (
            f"{head}: vacuum run {run.run_id} {run.state}; the database file is whole "
            "(`mediawatch vacuum` again to finish)"
        )
    again = f"`mediawatch {command}` with the same arguments"
    if run is None:
        return f"{head} before the run started: nothing stored; {again} starts it"
    stored = int(run.counts.get("new_articles", 0) or 0)
    revised = int(run.counts.get("revisions", 0) or 0)
    what = _plural(stored, "new article")
    if revised:
        what += f" and {_plural(revised, 'revision')}"
    return (
        f"{head}: run {run.run_id} {run.state} after storing {what} (whole batches; "
        f"the batch in flight was dropped); {again} takes up the rest"
    )
