"""The warm runner (mediawatch.runner) as a user meets it, with real processes and a real
background Prefect server:

- the first one-shot run starts the server and leaves a warm runner listening on a socket
  in the Prefect home (0600); the next `mediawatch ingest` hands its run over: the run is
  stored, recorded in the run history and in Prefect as a completed flow run with its
  artifact; `mediawatch server stop` leaves no process;
- a runner that is gone (killed, its socket left behind) or that refuses (another
  environment) means the run goes in-process, stored once; once idle, the runner and the
  server stop by themselves, leaving no process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import httpx

from storage.connection import reader

from .conftest import SEEDS, mediawatch, processes_with_env
from .corpus import articles, write_jsonl
from .terminal import in_terminal
from .test_background import ARTICLE, _env, _runs
from .test_service import _outcome

RUNNER_STATE = "mediawatch-runner.json"


def wait_for_runner(home: Path, timeout: float = 180, other_than: int = 0) -> int:
    """The pid of the runner once it listens (it imports for a few seconds first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = json.loads((home / RUNNER_STATE).read_text())
        except (OSError, ValueError):
            state = None
        if state and state["pid"] != other_than and (home / "mediawatch-runner.sock").exists():
            return state["pid"]
        time.sleep(0.2)
    log = home / "runner.log"
    raise AssertionError("no runner: " + (log.read_text() if log.exists() else "no log"))


def _articles(db: Path) -> int:
    with reader(db) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def runs_taken(home: Path) -> int:
    return (home / "runner.log").read_text().count("took a run")


def new_article(folder: Path, name: str, place: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_text(ARTICLE.replace("Harbour", place), encoding="utf-8")


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def gone(marker: str, timeout: float = 120) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := processes_with_env("MEDIAWATCH_TEST_RUN", marker)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)
    return left


def test_a_run_is_handed_to_the_warm_runner_and_server_stop_ends_it(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    marker = str(tmp_path / "handed")
    env = _env(home, marker, idle_minutes="5") | {
        # small batches and chunks: several of each, extracted by forked workers
        "MEDIAWATCH_RUN_WORKERS": "2",
        "MEDIAWATCH_RUN_CHUNK_SIZE": "2",
        "MEDIAWATCH_RUN_BATCH_SIZE": "8",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO",
    }
    db = tmp_path / "r.duckdb"
    try:
        first = mediawatch("ingest", str(SEEDS), "--db", str(db), env=env, timeout=300)
        assert first.returncode == 0, first.stderr
        before = _articles(db)
        runner = wait_for_runner(home)
        assert (home / "mediawatch-runner.sock").stat().st_mode & 0o777 == 0o600
        assert runs_taken(home) == 0  # the first run ran in its own process

        folder = tmp_path / "new"
        new_article(folder, "ferry", "Harbour")
        second = mediawatch("ingest", str(folder), "--db", str(db), env=env)
        assert second.returncode == 0, second.stderr
        assert "1 new article" in second.stdout and "Run 2 into" in second.stdout
        assert runs_taken(home) == 1
        assert children(runner) == []  # the run's process ended

        runs = _runs(db)
        assert [r[1] for r in runs] == ["completed", "completed"]
        flow_run_id = runs[-1][2]
        assert flow_run_id
        url = "http://127.0.0.1:" + env["MEDIAWATCH_SERVICE_PORT"]
        flow_run = httpx.get(f"{url}/api/flow_runs/{flow_run_id}", timeout=30).json()
        assert flow_run["state_type"] == "COMPLETED"
        artifacts = httpx.post(
            f"{url}/api/artifacts/filter",
            json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}},
            timeout=30,
        ).json()
        assert [a["key"] for a in artifacts] == ["mediawatch-run-summary"]
        assert _articles(db) == before + 1

        # the same folder again: nothing new, answered by the runner's run too
        again = mediawatch("ingest", str(folder), "--db", str(db), env=env)
        assert again.returncode == 0 and "0 new articles" in again.stdout, again.stderr
        assert runs_taken(home) == 2

        # a new database through the runner: its workers start on the first batch while
        # the flow run starts; the same decisions as the same run in-process
        warm = mediawatch("ingest", str(SEEDS), "--db", str(tmp_path / "w.duckdb"), env=env)
        assert warm.returncode == 0, warm.stderr[-2000:]
        assert runs_taken(home) == 3
        assert "Extracting the first 8 documents (6 chunks) while the flow run starts" in (
            warm.stderr
        )
        alone = {**env, "MEDIAWATCH_SERVICE_WARM_RUNNER": "false"}
        cold = mediawatch("ingest", str(SEEDS), "--db", str(tmp_path / "c.duckdb"), env=alone)
        assert cold.returncode == 0, cold.stderr[-2000:]
        assert runs_taken(home) == 3
        ahead, reference = _outcome(tmp_path / "w.duckdb"), _outcome(tmp_path / "c.duckdb")
        assert len(ahead["texts"]) == 14 and len(ahead["stories"]) > 1
        assert ahead == reference and ahead["fetch times"] == 1
        assert children(runner) == []

        # on a terminal: the run draws its progress, styles and widths for that terminal
        # (100 columns, where the runner was started with 250), as in-process
        corpus = write_jsonl(tmp_path / "tty.jsonl", articles(n_events=10))  # 50 articles
        shown = {}
        for how, run_env in (("runner", env), ("in-process", alone)):
            db_tty = tmp_path / f"tty-{how}.duckdb"
            shown[how] = in_terminal(
                ["ingest", str(corpus), "--db", str(db_tty)], run_env, 100
            ).decode(errors="replace")
        assert runs_taken(home) == 4
        bars = {}
        for how, out in shown.items():
            assert "50/50" in out and "/s" in out and "50 new articles" in out
            assert "\x1b[1m" in out  # bold: styled as for a terminal
            text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
            bars[how] = max(len(bar) for bar in re.findall("[━╸╺]+", text))
        assert bars["runner"] == bars["in-process"] < 100  # sized for this terminal
    finally:
        stopped = mediawatch("server", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert processes_with_env("MEDIAWATCH_TEST_RUN", marker) == []
    assert not (home / RUNNER_STATE).exists() and not (home / "mediawatch-runner.sock").exists()


def test_without_a_runner_to_take_it_a_run_goes_in_process_and_all_stops_when_idle(
    tmp_path: Path,
) -> None:
    home = tmp_path / "prefect-home"
    marker = str(tmp_path / "fallback")
    env = _env(home, marker, idle_minutes="0.25")  # 15 s
    db = tmp_path / "f.duckdb"
    folder = tmp_path / "src"
    folder.mkdir()
    for f in sorted(SEEDS.glob("*.txt")):
        shutil.copy(f, folder / f.name)
    first = mediawatch("ingest", str(folder), "--db", str(db), env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _articles(db)
    killed = wait_for_runner(home)
    os.kill(killed, signal.SIGKILL)  # its socket file stays behind
    deadline = time.monotonic() + 30
    while killed in {
        int(p.split(":")[0]) for p in processes_with_env("MEDIAWATCH_TEST_RUN", marker)
    }:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (home / "mediawatch-runner.sock").exists()

    new_article(folder, "ferry", "Harbour")
    second = mediawatch("ingest", str(folder), "--db", str(db), env=env)
    assert second.returncode == 0, second.stderr
    assert "1 new article" in second.stdout
    assert runs_taken(home) == 0  # in-process: nobody listened

    # a new runner (the run left one), which refuses a caller with other Prefect settings
    wait_for_runner(home, other_than=killed)
    new_article(folder, "tram", "Tramway")
    other = {**env, "PREFECT_LOGGING_LEVEL": "WARNING"}
    third = mediawatch("ingest", str(folder), "--db", str(db), env=other)
    assert third.returncode == 0, third.stderr
    assert "1 new article" in third.stdout
    assert runs_taken(home) == 0
    assert "a run refused: another environment" in (home / "runner.log").read_text()

    runs = _runs(db)
    assert [r[1] for r in runs] == ["completed"] * 3 and all(r[2] for r in runs)
    assert _articles(db) == before + 2

    assert gone(marker) == []  # runner and server stopped by themselves once idle
    assert not (home / RUNNER_STATE).exists()
    assert not (home / "mediawatch-server.json").exists()
