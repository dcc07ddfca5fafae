"""Ctrl-C and SIGTERM with real processes: `mediawatch ingest`, `vacuum` and `ui` in a
process group of their own, as a shell runs them, signalled with os.killpg as a
terminal's Ctrl-C is. Each run is stopped at a known step (mediawatch.pausepoint):
at start-up, while its workers extract, while it stores a batch.

Wanted every time: exit 130 (SIGINT) or 143 (SIGTERM), one line saying what happened,
no traceback, the run recorded as cancelled, a consistent database holding whole
batches only, no process left behind (workers, Prefect's temporary server), and a
next run that completes what was left."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from storage.connection import reader

from .conftest import PrefectServer, mediawatch
from .corpus import articles, snapshot, write_jsonl
from .runproc import leftovers, start, states, wait_for_pause

pytestmark = pytest.mark.slow

BATCH = 20


def _stop_at(
    args: list[str],
    env: dict[str, str],
    log: Path,
    point: str,
    signum: int,
    command: str = "ingest",
    times: int = 1,
) -> tuple[subprocess.Popen, list[str]]:
    """Start the command in its own process group, wait for it at ``point``, send
    ``signum`` to the group (``times`` times), wait for the end; its output lines."""
    proc = start(command, args, {**env, "MEDIAWATCH_TEST_PAUSE": point}, log, own_group=True)
    try:
        wait_for_pause(proc, log, point)
        for _ in range(times):
            os.killpg(proc.pid, signum)
        proc.wait(timeout=60)  # a generous bound for a busy machine, not a measurement
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc, log.read_text(errors="replace").splitlines()


def _said(lines: list[str]) -> list[str]:
    """What the command said, without the test's pause marker."""
    return [line for line in lines if line.strip() and not line.startswith("mediawatch-test:")]


def _corpus(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "corpus.jsonl", articles(n_events=20))  # 100 articles


def test_ctrl_c_at_start_up_stops_the_temporary_server_and_stores_nothing(
    tmp_path: Path,
) -> None:
    """No Prefect server to report to: the command launches Prefect's temporary one;
    Ctrl-C comes before Prefect is imported. The server goes with the command."""
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(home), "MEDIAWATCH_RUN_BATCH_SIZE": str(BATCH)}
    db, log = tmp_path / "startup.duckdb", tmp_path / "startup.log"
    proc, lines = _stop_at(
        [str(_corpus(tmp_path)), "--db", str(db)], env, log, "startup", signal.SIGINT
    )
    assert proc.returncode == 130, lines
    assert not any("Traceback" in line for line in lines), lines
    assert _said(lines) == [
        "mediawatch: stopped by SIGINT before the run started: nothing stored; "
        "`mediawatch ingest` with the same arguments starts it"
    ]
    assert leftovers(log) == []  # the temporary server too (it has the marked environment)
    checked = mediawatch("check", "--db", str(db), env=env)
    assert checked.returncode == 0, checked.stderr
    assert states(db) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_extraction_cancels_the_run_and_stops_the_workers(
    prefect_server: PrefectServer, tmp_path: Path, signum: int, code: int
) -> None:
    """The workers are busy with the first batch (paused in their chunks, and they
    ignore the terminal's Ctrl-C): the run stops them, stores nothing, says so."""
    env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": str(BATCH)}
    db, log = tmp_path / "extract.duckdb", tmp_path / "extract.log"
    proc, lines = _stop_at([str(_corpus(tmp_path)), "--db", str(db)], env, log, "extract", signum)
    name = signal.Signals(signum).name
    assert proc.returncode == code, lines
    assert not any("Traceback" in line for line in lines), lines
    said = _said(lines)
    assert len(said) == 1 and said[0].startswith(f"mediawatch: stopped by {name}: run 1 cancelled")
    assert "after storing 0 new articles" in said[0]
    assert leftovers(log) == []  # the paused workers were stopped
    assert states(db) == ["cancelled"]
    with reader(db) as conn:
        assert conn.execute("SELECT error FROM runs").fetchone()[0] == f"interrupted by {name}"
    assert snapshot(db)["n_articles"] == 0


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_storing_keeps_whole_batches_and_the_next_run_completes(
    prefect_server: PrefectServer, tmp_path: Path, signum: int, code: int
) -> None:
    """Stopped inside the transaction of its second batch: the first batch stays, the
    second is dropped whole; running the same command again takes up the rest."""
    env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": str(BATCH)}
    corpus = _corpus(tmp_path)
    db, log = tmp_path / "store.duckdb", tmp_path / "store.log"
    args = [str(corpus), "--db", str(db)]
    proc, lines = _stop_at(args, env, log, "store:2", signum)
    name = signal.Signals(signum).name
    assert proc.returncode == code, lines
    assert not any("Traceback" in line for line in lines), lines
    assert _said(lines) == [
        f"mediawatch: stopped by {name}: run 1 cancelled after storing {BATCH} new articles "
        "(whole batches; the batch in flight was dropped); `mediawatch ingest` with the same "
        "arguments takes up the rest"
    ]
    assert leftovers(log) == []
    checked = mediawatch("check", "--db", str(db), env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    after = snapshot(db)
    assert after["problems"] == {} and after["n_articles"] == BATCH
    assert states(db) == ["cancelled"]

    again = mediawatch("ingest", *args, env=env)
    assert again.returncode == 0, again.stderr
    done = snapshot(db)
    assert done["n_articles"] == done["distinct_urls"] == 100
    assert done["problems"] == {}
    assert states(db) == ["cancelled", "completed"]


def test_a_second_ctrl_c_exits_at_once_without_a_traceback(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": str(BATCH)}
    db, log = tmp_path / "twice.duckdb", tmp_path / "twice.log"
    args = [str(_corpus(tmp_path)), "--db", str(db)]
    proc, lines = _stop_at(args, env, log, "store:2", signal.SIGINT, times=2)
    assert proc.returncode == 130, lines
    assert not any("Traceback" in line for line in lines), lines
    said = _said(lines)
    assert len(said) == 1 and said[0].startswith("mediawatch: stopped"), said
    assert leftovers(log) == []
    checked = mediawatch("check", "--db", str(db), env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert snapshot(db)["n_articles"] == BATCH  # the first batch; the second dropped whole
    # cancelled, or (the second signal came first) left 'running': the next run says crashed
    again = mediawatch("ingest", *args, env=env)
    assert again.returncode == 0, again.stderr
    assert states(db)[-1] == "completed" and states(db)[0] in ("cancelled", "crashed")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_vacuum_stopped_before_compacting_is_cancelled_and_leaves_a_whole_file(
    prefect_server: PrefectServer, tmp_path: Path, signum: int, code: int
) -> None:
    env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": str(BATCH)}
    db = tmp_path / "vacuum.duckdb"
    assert mediawatch("ingest", str(_corpus(tmp_path)), "--db", str(db), env=env).returncode == 0
    log = tmp_path / "vacuum.log"
    proc, lines = _stop_at(["--db", str(db)], env, log, "compact", signum, command="vacuum")
    name = signal.Signals(signum).name
    assert proc.returncode == code, lines
    assert not any("Traceback" in line for line in lines), lines
    assert _said(lines) == [
        f"mediawatch: stopped by {name}: vacuum run 2 cancelled; the database file is whole "
        "(`mediawatch vacuum` again to finish)"
    ]
    assert not Path(str(db) + ".wal").exists()
    assert states(db) == ["completed", "cancelled"]
    checked = mediawatch("check", "--db", str(db), env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert snapshot(db)["n_articles"] == 100


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_inspector_stops_on_a_signal_with_one_line(
    inspect_db: Path, tmp_path: Path, signum: int, code: int
) -> None:
    log = tmp_path / "ui.log"
    proc = start("ui", ["--db", str(inspect_db), "--port", "0"], dict(os.environ), log, True)
    try:
        wait_for_line = "mediawatch inspector on http://"
        deadline = time.monotonic() + 60
        while wait_for_line not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        os.killpg(proc.pid, signum)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    lines = _said(log.read_text().splitlines())
    assert proc.returncode == code, lines
    name = signal.Signals(signum).name
    assert lines[1:] == [f"mediawatch: stopped by {name}: the inspector is closed"], lines
    assert leftovers(log) == []
