"""Run history: a run left 'running' is marked crashed only once its process is gone,
never while it lives (two runs at once), and counts are kept per stage."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from mediawatch import pipeline
from mediawatch.cli import main
from mediawatch.config import load_settings
from storage import runlock
from storage.connection import reader, transaction, writer

from .conftest import ROOT

START_AND_WAIT = """
import sys, time
from mediawatch import pipeline
from mediawatch.config import load_settings
settings = load_settings(db=sys.argv[1])
run_id = pipeline.start_run(settings, ["somewhere"], "ingest")
print(run_id, flush=True)
time.sleep(60)
"""


def _states(db: Path) -> dict[int, str]:
    with reader(db) as conn:
        return dict(conn.execute("SELECT run_id, state FROM runs").fetchall())


def _start_elsewhere(db: Path) -> tuple[subprocess.Popen, int]:
    """A run started by another process that stays alive until killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", START_AND_WAIT, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    return proc, int(proc.stdout.readline())


def test_two_runs_at_once_leave_each_other_alone(db_path: Path) -> None:
    settings = load_settings(db=db_path)
    other, other_id = _start_elsewhere(db_path)
    try:
        mine = pipeline.start_run(settings, ["a"], "ingest")
        second = pipeline.start_run(settings, ["b"], "ingest")  # two in this process too
        assert _states(db_path) == {other_id: "running", mine: "running", second: "running"}
        for run_id in (mine, second):
            pipeline.finish_run(settings, pipeline.RunSummary(run_id=run_id, db=str(db_path)))
        assert _states(db_path)[other_id] == "running"
        assert runlock.is_alive(db_path, other_id)
        assert not runlock.lock_path(db_path, mine).exists()  # a finished run's lock goes
    finally:
        other.kill()
        other.wait()


def test_a_killed_run_shows_as_crashed_and_is_recorded_so_by_the_next(
    db_path: Path, capsys
) -> None:
    proc, killed = _start_elsewhere(db_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _states(db_path) == {killed: "running"}  # nobody has looked yet
    # `mediawatch runs` already tells, without writing (it only reads).
    assert main(["runs", "--json", "--db", str(db_path)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["state"] == "crashed" and row["pid"] == proc.pid
    assert _states(db_path) == {killed: "running"}

    settings = load_settings(db=db_path)
    next_run = pipeline.start_run(settings, ["again"], "ingest")
    assert _states(db_path) == {killed: "crashed", next_run: "running"}
    assert not runlock.lock_path(db_path, killed).exists()
    pipeline.finish_run(settings, pipeline.RunSummary(run_id=next_run, db=str(db_path)))


def test_runs_of_another_host_and_of_older_versions(db_path: Path) -> None:
    """A run recorded by another machine cannot be checked from here and is left alone;
    a 'running' row without host (written before runs had locks) is not alive."""
    with writer(db_path) as conn, transaction(conn):
        for run_id, host in ((101, "elsewhere.example"), (102, None)):
            conn.execute(
                "INSERT INTO runs (run_id, kind, started_at, state, host)"
                " VALUES (?, 'ingest', now(), 'running', ?)",
                [run_id, host],
            )
    settings = load_settings(db=db_path)
    run_id = pipeline.start_run(settings, [], "ingest")
    states = _states(db_path)
    assert (states[101], states[102], states[run_id]) == ("running", "crashed", "running")


def test_counts_per_stage() -> None:
    from mediawatch.records import Failure

    s = pipeline.RunSummary(run_id=1, db="x")
    report = pipeline.BatchReport(
        new_articles=3,
        extracted=4,
        revisions=1,
        failures=[Failure("a", "extract", "empty"), Failure("b", "ingest", "bad")],
    )
    s.add(report, documents=8, already_known=2)
    s.failures.append(Failure("c", "fetch", "timeout"))
    counts = s.counts()
    assert {k: counts[k] for k in ("documents", "already_known", "extracted", "stored")} == {
        "documents": 8,
        "already_known": 2,
        "extracted": 4,
        "stored": 4,
    }
    assert counts["failed_by_stage"] == {"extract": 1, "fetch": 1, "ingest": 1}
    assert counts["failures"] == 3
    assert dataclasses.asdict(s)["extracted"] == 4
