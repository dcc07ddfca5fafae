"""Run bookkeeping: the runs table and recorded failures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb

from mediawatch.records import Failure
from storage.bulk import insert_rows


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(
    conn: duckdb.DuckDBPyConnection, kind: str, sources: list[str], flow_run_id: str | None
) -> int:
    """Open a run; runs left 'running' by a killed process are marked crashed first."""
    conn.execute(
        "UPDATE runs SET state = 'crashed', finished_at = ?,"
        " error = 'the process ended before the run finished' WHERE state = 'running'",
        [now()],
    )
    run_id = conn.execute("SELECT nextval('run_ids')").fetchone()[0]
    conn.execute(
        "INSERT INTO runs (run_id, flow_run_id, kind, started_at, state, sources, counts)"
        " VALUES (?, ?, ?, ?, 'running', ?, '{}')",
        [run_id, flow_run_id or None, kind, now(), json.dumps(sources)],
    )
    return run_id


def update_counts(conn: duckdb.DuckDBPyConnection, run_id: int, counts: dict[str, Any]) -> None:
    conn.execute("UPDATE runs SET counts = ? WHERE run_id = ?", [json.dumps(counts), run_id])


def finish_run(
    conn: duckdb.DuckDBPyConnection, run_id: int, counts: dict[str, Any], error: str | None
) -> None:
    conn.execute(
        "UPDATE runs SET state = ?, finished_at = ?, counts = ?, error = ? WHERE run_id = ?",
        ["failed" if error else "completed", now(), json.dumps(counts), error, run_id],
    )


def record_failures(
    conn: duckdb.DuckDBPyConnection, run_id: int, failures: Iterable[Failure]
) -> None:
    at = now()
    rows = [(run_id, f.origin, f.url, f.stage, f.reason, at) for f in failures]
    insert_rows(conn, "failures", ["run_id", "origin", "url", "stage", "reason", "failed_at"], rows)
