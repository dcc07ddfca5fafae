"""Run bookkeeping: the runs table and recorded failures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from mediawatch.records import Failure
from storage.bulk import insert_rows

# Failures of one moment by file, then line as a number ("list.jsonl:3" before ":11").
BY_ORIGIN = (
    "regexp_replace(origin, ':[0-9]+$', ''),"
    " TRY_CAST(regexp_extract(origin, ':([0-9]+)$', 1) AS BIGINT) NULLS FIRST, origin"
)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    sources: list[str],
    flow_run_id: str | None,
    pid: int | None = None,
    host: str | None = None,
) -> int:
    """Open a run (state 'running'); returns its id."""
    run_id = conn.execute("SELECT nextval('run_ids')").fetchone()[0]
    conn.execute(
        "INSERT INTO runs (run_id, flow_run_id, kind, started_at, state, sources, counts,"
        " pid, host) VALUES (?, ?, ?, ?, 'running', ?, '{}', ?, ?)",
        [run_id, flow_run_id or None, kind, now(), json.dumps(sources), pid, host],
    )
    return run_id


@dataclass(frozen=True)
class OpenRun:
    """A run recorded as 'running': alive, or ended without saying so."""

    run_id: int
    pid: int | None
    host: str | None


def open_runs(conn: duckdb.DuckDBPyConnection) -> list[OpenRun]:
    rows = conn.execute(
        "SELECT run_id, pid, host FROM runs WHERE state = 'running' ORDER BY run_id"
    ).fetchall()
    return [OpenRun(*r) for r in rows]


def mark_crashed(conn: duckdb.DuckDBPyConnection, run_ids: list[int]) -> None:
    """Runs whose process ended before they finished (killed, or the machine went down)."""
    if not run_ids:
        return
    conn.execute(
        "UPDATE runs SET state = 'crashed', finished_at = ?,"
        " error = 'the process ended before the run finished'"
        " WHERE state = 'running' AND run_id IN (SELECT unnest(?))",
        [now(), run_ids],
    )


def update_counts(conn: duckdb.DuckDBPyConnection, run_id: int, counts: dict[str, Any]) -> None:
    conn.execute("UPDATE runs SET counts = ? WHERE run_id = ?", [json.dumps(counts), run_id])


RUN_STATES = ("running", "completed", "failed", "cancelled", "crashed")


def finish_run(
    conn: duckdb.DuckDBPyConnection,
    run_id: int,
    counts: dict[str, Any],
    error: str | None,
    state: str | None = None,
) -> None:
    """Close a run: 'completed', 'failed' (with ``error``), or ``state`` when given
    ('cancelled': stopped by Ctrl-C or SIGTERM, its stored batches whole)."""
    state = state or ("failed" if error else "completed")
    if state not in RUN_STATES:
        raise ValueError(f"unknown run state {state!r}")
    conn.execute(
        "UPDATE runs SET state = ?, finished_at = ?, counts = ?, error = ? WHERE run_id = ?",
        [state, now(), json.dumps(counts), error, run_id],
    )


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    state: str
    counts: dict[str, Any]


def last_run_of(conn: duckdb.DuckDBPyConnection, pid: int, host: str) -> RunRecord | None:
    """The latest run recorded by process ``pid`` on ``host`` (what an interrupted
    command reports)."""
    row = conn.execute(
        "SELECT run_id, state, counts FROM runs WHERE pid = ? AND host = ?"
        " ORDER BY run_id DESC LIMIT 1",
        [pid, host],
    ).fetchone()
    if row is None:
        return None
    return RunRecord(row[0], row[1], json.loads(row[2] or "{}"))


def record_failures(
    conn: duckdb.DuckDBPyConnection, run_id: int, failures: Iterable[Failure]
) -> None:
    at = now()
    rows = [(run_id, f.origin, f.url, f.stage, f.reason, at) for f in failures]
    insert_rows(conn, "failures", ["run_id", "origin", "url", "stage", "reason", "failed_at"], rows)


@dataclass(frozen=True)
class StoryChange:
    story_id: int
    title: str | None
    size: int
    added: int  # articles that joined it in the run


@dataclass(frozen=True)
class GroupChange:
    group_id: int
    story_id: int
    size: int
    added: int  # members that joined it in the run
    title: str | None  # its origin article's


@dataclass(frozen=True)
class RunChanges:
    """What one run changed, read back from the database (by run id)."""

    run_id: int
    new_stories: list[StoryChange]
    n_new_stories: int
    grown_stories: list[StoryChange]
    n_grown_stories: int
    groups: list[GroupChange]  # the largest duplicate groups the run touched
    n_groups: int
    failures: list[Failure]
    n_failures: int


def changes(conn: duckdb.DuckDBPyConnection, run_id: int, limit: int = 10) -> RunChanges:
    stories = conn.execute(
        """
        WITH added AS (
            SELECT story_id, count(*) AS n FROM story_members WHERE run_id = ? GROUP BY story_id
        )
        SELECT s.story_id, s.title, s.size, a.n, s.created_run = ? AS is_new
        FROM stories s JOIN added a USING (story_id)
        WHERE s.merged_into IS NULL
        ORDER BY a.n DESC, s.size DESC, s.story_id
        """,
        [run_id, run_id],
    ).fetchall()
    new = [StoryChange(*r[:4]) for r in stories if r[4]]
    grown = [StoryChange(*r[:4]) for r in stories if not r[4]]
    groups = conn.execute(
        """
        WITH added AS (
            SELECT group_id, count(*) AS n FROM dup_members WHERE run_id = ? GROUP BY group_id
        )
        SELECT g.group_id, g.story_id, g.size, a.n, o.title
        FROM dup_groups g JOIN added a USING (group_id)
        LEFT JOIN articles o ON o.article_id = g.origin_article_id
        ORDER BY g.size DESC, a.n DESC, g.group_id
        """,
        [run_id],
    ).fetchall()
    failures = conn.execute(
        f"SELECT origin, stage, reason, url FROM failures WHERE run_id = ?"
        f" ORDER BY failed_at, {BY_ORIGIN}",
        [run_id],
    ).fetchall()
    return RunChanges(
        run_id,
        new[:limit],
        len(new),
        grown[:limit],
        len(grown),
        [GroupChange(*r) for r in groups[:limit]],
        len(groups),
        [Failure(*r) for r in failures[: limit * 2]],
        len(failures),
    )
