"""Everyday runs as a user runs them (real processes, a real Prefect server):

- a run that finds nothing new answers without Prefect: no server started (not even
  Prefect's temporary one: the Prefect home stays empty), no process left, and the run
  is recorded in the database's run history, with the item that gave no article before
  (same content) as its failure again;
- with ``service.background_idle_minutes`` on, the first run starts the project's Prefect
  server in the background and reports to it, the next run reports to the same server,
  and once no run has used it for the idle time the server stops by itself, leaving no
  process and no state file.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import httpx

from storage.connection import reader

from .conftest import (
    SEEDS,
    PrefectServer,
    free_port,
    mediawatch,
    migrated_home,
    processes_with_env,
)

ARTICLE = """---
title: Harbour ferry timetable changes from Monday
published_at: 2026-05-06T08:00:00
source: Quill Wire
---
The harbour ferry will leave every twenty minutes instead of every half hour from Monday,
the transport office said, after a winter in which the morning boats were full before the
last stop. Two extra crews have been hired and the evening service runs until midnight.
"""


def _runs(db: Path) -> list[tuple]:
    with reader(db) as conn:
        return conn.execute(
            "SELECT run_id, state, flow_run_id, counts FROM runs ORDER BY run_id"
        ).fetchall()


def _env(home: Path, marker: str, idle_minutes: str, migrated: bool = True) -> dict[str, str]:
    """A run's environment with its own Prefect home (its database already migrated,
    unless ``migrated`` is False: the home is then left as it is)."""
    if migrated:
        migrated_home(home)
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "CI")}
    return env | {
        "PREFECT_HOME": str(home),
        "MEDIAWATCH_SERVICE_PORT": str(free_port()),
        "MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES": idle_minutes,
        "MEDIAWATCH_TEST_RUN": marker,
    }


def test_a_run_with_nothing_new_starts_no_prefect_and_is_recorded(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    db = tmp_path / "n.duckdb"
    folder = tmp_path / "src"
    folder.mkdir()
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, folder / f.name)
    (folder / "short.html").write_text(
        "<html><body><p>Too short to be an article.</p></body></html>", encoding="utf-8"
    )
    first = mediawatch("ingest", str(folder), "--db", str(db), env=prefect_server.env)
    assert first.returncode == 0, first.stderr
    assert "1 failed" in first.stdout
    home = tmp_path / "prefect-home"
    home.mkdir()
    marker = str(tmp_path / "nothing-new")
    # a background server would be started if the run needed Prefect
    env = _env(home, marker, idle_minutes="5", migrated=False)
    again = mediawatch("ingest", str(folder), "--db", str(db), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 new articles" in again.stdout and "already stored (skipped)" in again.stdout
    # the short page is not extracted again: rejected before with the same content
    assert "1 failed" in again.stdout and "no article text found" in again.stdout
    assert list(home.iterdir()) == []  # no Prefect server of any kind: no Prefect database
    assert processes_with_env("MEDIAWATCH_TEST_RUN", marker) == []
    runs = _runs(db)
    assert len(runs) == 2
    _, state, flow_run_id, counts = runs[-1]
    assert state == "completed" and flow_run_id is None
    counts = json.loads(counts)
    assert counts["documents"] == counts["already_known"] + 1 == 3
    assert counts["new_articles"] == 0 and counts["failed_by_stage"] == {"extract": 1}
    shown = mediawatch("runs", "--db", str(db), env=env)
    assert shown.returncode == 0 and shown.stdout.count("completed") == 2


def test_the_background_server_serves_later_runs_and_stops_when_idle(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    marker = str(tmp_path / "background")
    env = _env(home, marker, idle_minutes="0.25")  # 15 s
    db = tmp_path / "b.duckdb"
    first = mediawatch("ingest", str(SEEDS), "--db", str(db), env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    state = json.loads((home / "mediawatch-server.json").read_text())
    assert state["idle_minutes"] == 0.25
    url = f"http://127.0.0.1:{state['port']}"
    assert httpx.get(url + "/api/health", timeout=10).json() is True  # outlived the run

    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "ferry.txt").write_text(ARTICLE, encoding="utf-8")
    second = mediawatch("ingest", str(folder), "--db", str(db), env=env)
    assert second.returncode == 0, second.stderr
    assert "1 new article" in second.stdout
    assert json.loads((home / "mediawatch-server.json").read_text())["pid"] == state["pid"]
    flow_runs = [r[2] for r in _runs(db)]
    assert len(flow_runs) == 2 and all(flow_runs)  # both in Prefect's run history
    found = httpx.post(
        url + "/api/flow_runs/filter",
        json={"flow_runs": {"id": {"any_": flow_runs}}},
        timeout=30,
    ).json()
    assert sorted(r["state_type"] for r in found) == ["COMPLETED", "COMPLETED"]

    deadline = time.monotonic() + 120
    while processes_with_env("MEDIAWATCH_TEST_RUN", marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_with_env("MEDIAWATCH_TEST_RUN", marker) == []  # stopped by itself
    assert not (home / "mediawatch-server.json").exists()
    status = mediawatch("server", "status", env=env)
    assert status.returncode == 1 and "no Prefect server running" in status.stdout
