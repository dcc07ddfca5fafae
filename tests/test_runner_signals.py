"""Ctrl-C and SIGTERM through the thin client (mediawatch.handoff): the command hands its
run to the warm runner, and the terminal's signal, sent to the command's process group,
reaches the run through the client. Wanted exactly what an in-process run gives
(tests/test_interrupts.py): exit 130 or 143, one line, no traceback, the run recorded as
cancelled, a consistent database with whole batches only, the run's process and its
extraction workers gone; then a next run that completes, and no process at all after
`mediawatch server stop`. Run on their own (Makefile: ALONE): they signal processes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import SEEDS, mediawatch, processes_with_env
from .corpus import articles, snapshot, write_jsonl
from .runproc import start, states, wait_for_pause
from .test_background import _env
from .test_runner import children, runs_taken, wait_for_runner

pytestmark = pytest.mark.slow

BATCH = 20


@dataclass
class Warm:
    home: Path
    env: dict[str, str]
    marker: str
    runner: int


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warm]:
    tmp = tmp_path_factory.mktemp("warm")
    home, marker = tmp / "prefect-home", str(tmp / "warm")
    env = _env(home, marker, idle_minutes="5") | {"MEDIAWATCH_RUN_BATCH_SIZE": str(BATCH)}
    try:
        first = mediawatch("ingest", str(SEEDS), "--db", str(tmp / "first.duckdb"), env=env)
        assert first.returncode == 0, first.stderr
        yield Warm(home, env, marker, wait_for_runner(home))
    finally:
        stopped = mediawatch("server", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert processes_with_env("MEDIAWATCH_TEST_RUN", marker) == []


def _forks(warm: Warm) -> list[str]:
    """The runner's process and what was forked from it (runs, their workers)."""
    return [
        p
        for p in processes_with_env("MEDIAWATCH_TEST_RUN", warm.marker)
        if "mediawatch.runner" in p
    ]


def _stop_at(warm: Warm, args: list[str], log: Path, point: str, signum: int) -> list[str]:
    proc = start("ingest", args, {**warm.env, "MEDIAWATCH_TEST_PAUSE": point}, log, True)
    try:
        wait_for_pause(proc, log, point)
        # the workers start on the first batch while the flow run is being created: the
        # signal comes once the run is recorded (else: "before the run started")
        deadline = time.monotonic() + 120
        db = Path(args[args.index("--db") + 1])
        while point.startswith("extract") and states(db) != ["running"]:
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.1)
        os.killpg(proc.pid, signum)  # the terminal's Ctrl-C: the command's process group
        proc.wait(timeout=90)  # a generous bound for a busy machine, not a measurement
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    code = 128 + signum
    lines = log.read_text(errors="replace").splitlines()
    assert proc.returncode == code, lines
    return [line for line in lines if line.strip() and not line.startswith("mediawatch-test:")]


def _wait_forks_gone(warm: Warm) -> list[str]:
    deadline = time.monotonic() + 30  # workers see their run gone within a second
    while len(left := _forks(warm)) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.parametrize(
    ("signum", "point"), [(signal.SIGINT, "store:2"), (signal.SIGTERM, "extract")]
)
def test_a_signal_through_the_client_cancels_the_runners_run(
    warm: Warm, tmp_path: Path, signum: int, point: str
) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", articles(n_events=20))  # 100 articles
    db, log = tmp_path / "s.duckdb", tmp_path / "s.log"
    args = [str(corpus), "--db", str(db)]
    taken = runs_taken(warm.home)
    said = _stop_at(warm, args, log, point, signum)
    assert runs_taken(warm.home) == taken + 1  # the runner ran it
    name = signal.Signals(signum).name
    stored = BATCH if point == "store:2" else 0
    assert not any("Traceback" in line for line in said), said
    assert len(said) == 1 and said[0].startswith(
        f"mediawatch: stopped by {name}: run 1 cancelled after storing {stored} new articles"
    ), said
    assert children(warm.runner) == []
    assert [p.split(":")[0] for p in _wait_forks_gone(warm)] == [str(warm.runner)]
    assert states(db) == ["cancelled"]
    checked = mediawatch("check", "--db", str(db), env=warm.env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    after = snapshot(db)
    assert after["problems"] == {} and after["n_articles"] == stored

    again = mediawatch("ingest", *args, env=warm.env)
    assert again.returncode == 0, again.stderr
    assert runs_taken(warm.home) == taken + 2
    done = snapshot(db)
    assert done["n_articles"] == done["distinct_urls"] == 100 and done["problems"] == {}
    assert states(db) == ["cancelled", "completed"]
    assert [p.split(":")[0] for p in _wait_forks_gone(warm)] == [str(warm.runner)]


def test_the_client_killed_means_the_run_is_cancelled(warm: Warm, tmp_path: Path) -> None:
    """SIGKILL to the command (no chance to pass anything on): the runner sees its caller
    gone and cancels the run as SIGTERM does."""
    corpus = write_jsonl(tmp_path / "corpus.jsonl", articles(n_events=20))
    db, log = tmp_path / "k.duckdb", tmp_path / "k.log"
    proc = start(
        "ingest",
        [str(corpus), "--db", str(db)],
        {**warm.env, "MEDIAWATCH_TEST_PAUSE": "store:2"},
        log,
        True,
    )
    try:
        wait_for_pause(proc, log, "store:2")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [p.split(":")[0] for p in _wait_forks_gone(warm)] == [str(warm.runner)]
    assert states(db) == ["cancelled"]
    assert snapshot(db)["n_articles"] == BATCH
