"""Running as a service, end to end: the Prefect server that `mediawatch server start`
runs (tests/conftest.py: prefect_server), `mediawatch serve` running a schedule
against a loopback feed server, and the work-pool form with `prefect worker start`.

Everything Prefect runs here runs in subprocesses with the test server's environment,
apart from the session's test harness."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mediawatch.config import Schedule, load_settings
from mediawatch.service import schedule_parameters
from storage.connection import reader

from .conftest import ROOT, SEEDS, PrefectServer, mediawatch, migrated_home, processes_with_env
from .feedserver import FeedServer, article_html, rss
from .runproc import leftovers, start, states, wait_for_pause

pytestmark = pytest.mark.slow


def _flow_runs(server: PrefectServer, deployment: str, state: str = "COMPLETED") -> list[dict]:
    response = httpx.post(
        server.api_url + "/flow_runs/filter",
        json={
            "flow_runs": {"state": {"type": {"any_": [state]}}},
            "deployments": {"name": {"any_": [deployment]}},
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def _wait_for(condition, timeout: float, what: str, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert proc.poll() is None, f"{what}: the process ended\n{log.read_text()}"
        assert time.monotonic() < deadline, f"{what}: not in {timeout:.0f} s\n{log.read_text()}"
        time.sleep(0.5)
    return result


def test_serve_runs_a_schedule_on_the_server_and_stops_cleanly(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    feed = FeedServer()
    try:
        for topic in ("harbour", "orchard", "library"):
            feed.add(f"/n/{topic}.html", article_html(topic))
        items = [{"title": t, "link": f"/n/{t}.html", "guid_plain": t} for t in ("harbour",
                 "orchard", "library")]  # fmt: skip
        feed.add("/news.xml", rss(items), content_type="application/rss+xml", etag='"a"')
        cfg = tmp_path / "service.toml"
        cfg.write_text(
            "[service]\nmax_runs_at_once = 1\n"
            '[[service.schedules]]\nname = "loopback"\nfeeds = ["Loopback News"]\n'
            "interval_minutes = 0.1\n"  # every 6 seconds
            "[feeds]\nallow_private_hosts = true\nper_host_delay_seconds = 0.0\n"
            f'[[feeds.sources]]\nurl = "{feed.url("/news.xml")}"\nname = "Loopback News"\n'
        )
        db = tmp_path / "served.duckdb"
        log = tmp_path / "serve.log"
        env = {**prefect_server.env, "MEDIAWATCH_TEST_RUN": str(log)}
        command = [sys.executable, "-m", "mediawatch.cli", "serve", "--config", str(cfg)]
        with log.open("w") as out:
            serve = subprocess.Popen(
                [*command, "--db", str(db)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            done = _wait_for(
                lambda: len(runs := _flow_runs(prefect_server, "loopback")) >= 2 and runs,
                180,
                "two scheduled runs completed",
                serve,
                log,
            )
        finally:
            serve.send_signal(signal.SIGTERM)  # as a service manager stops it
            serve.wait(timeout=60)
        # SIGTERM's exit status, one line that says so, no traceback
        assert serve.returncode == 143, log.read_text()
        output = log.read_text()
        assert "Traceback" not in output
        assert output.rstrip().splitlines()[-1].startswith("mediawatch: stopped by SIGTERM: ")
        deadline = time.monotonic() + 30
        while processes_with_env("MEDIAWATCH_TEST_RUN", str(log)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with_env("MEDIAWATCH_TEST_RUN", str(log)) == []  # no orphan
    finally:
        feed.close()

    with reader(db) as conn:
        runs = conn.execute(
            "SELECT flow_run_id, kind, counts FROM runs WHERE state = 'completed' ORDER BY run_id"
        ).fetchall()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert len(runs) >= 2 and {kind for _, kind, _ in runs} == {"scheduled:loopback"}
    first, second = (json.loads(c) for _, _, c in runs[:2])
    assert first["new_articles"] == 3 and second["new_articles"] == 0
    assert second["feeds_unchanged"] == 1  # the next poll got a 304
    assert stored == 3
    assert {r["id"] for r in done} <= {f for f, _, _ in runs}

    # Each flow run published its summary as an artifact.
    response = httpx.post(
        prefect_server.api_url + "/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [f for f, _, _ in runs[:2]]}}},
        timeout=10,
    )
    artifacts = {a["flow_run_id"]: a for a in response.json()}
    summary = artifacts[runs[0][0]]
    assert summary["key"] == "mediawatch-run-summary" and summary["type"] == "markdown"
    assert "## New stories (3)" in summary["data"] and "| harbour |" in summary["data"]
    assert "## New stories (0)" in artifacts[runs[1][0]]["data"]

    # The UI is served, the server reports itself, and its database is vacuumed: old
    # flow runs (with their logs and artifacts) and events are deleted.
    assert httpx.get(prefect_server.url + "/", timeout=10).status_code == 200
    served = httpx.get(prefect_server.api_url + "/admin/settings", timeout=10).json()
    vacuum = served["server"]["services"]["db_vacuum"]
    assert {"events", "flow_runs"} <= set(vacuum["enabled"])
    assert vacuum["retention_period"] == "P30D"  # flows/__init__.py
    assert served["server"]["events"]["retention_period"] == "P7D"
    status = mediawatch("server", "status", env=prefect_server.env)
    assert status.returncode == 0 and prefect_server.url in status.stdout
    pid = json.loads((prefect_server.home / "mediawatch-server.json").read_text())["pid"]
    again = mediawatch("server", "start", env=prefect_server.env)  # finds the running one
    assert again.returncode == 0 and f"pid {pid};" in again.stdout


def test_ctrl_c_to_serve_cancels_the_flow_run_in_flight(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """A terminal's Ctrl-C reaches every process of serve's group, the flow run's too:
    the flow run is stopped by serve (cancelled, in Prefect and in the run history),
    not cut off by the signal (crashed)."""
    feed = FeedServer()
    try:
        feed.add("/n/harbour.html", article_html("harbour"))
        items = [{"title": "harbour", "link": "/n/harbour.html", "guid_plain": "harbour"}]
        feed.add("/news.xml", rss(items), content_type="application/rss+xml")
        cfg = tmp_path / "service.toml"
        cfg.write_text(
            '[[service.schedules]]\nname = "paused"\nfeeds = ["Loopback News"]\n'
            "interval_minutes = 60\n"
            "[feeds]\nallow_private_hosts = true\nper_host_delay_seconds = 0.0\n"
            f'[[feeds.sources]]\nurl = "{feed.url("/news.xml")}"\nname = "Loopback News"\n'
        )
        db = tmp_path / "served.duckdb"
        log = tmp_path / "serve.log"
        env = {**prefect_server.env, "MEDIAWATCH_TEST_PAUSE": "extract"}
        serve = start("serve", ["--config", str(cfg), "--db", str(db)], env, log, own_group=True)
        try:
            wait_for_pause(serve, log, "extract")
            running = _flow_runs(prefect_server, "paused", "RUNNING")
            assert len(running) == 1
            os.killpg(serve.pid, signal.SIGINT)
            serve.wait(timeout=60)
        finally:
            if serve.poll() is None:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
        output = log.read_text()
        assert serve.returncode == 130, output
        assert "Traceback" not in output, output
        assert leftovers(log) == []
        run = httpx.get(f"{prefect_server.api_url}/flow_runs/{running[0]['id']}", timeout=10)
        assert run.json()["state"]["type"] == "CANCELLED", run.json()["state"]
        assert states(db) == ["cancelled"]
        with reader(db) as conn:  # the batch in flight was dropped whole
            assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    finally:
        feed.close()


def test_the_work_pool_form_runs_a_deployment_on_a_worker(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """The multi-machine form, once: the committed prefect.yaml deployed to a process
    work pool, one run triggered, `prefect worker start` picks it up and runs it."""
    prefect = [str(Path(sys.executable).with_name("prefect"))]
    env = {**prefect_server.env, "MEDIAWATCH_DB": str(tmp_path / "worker-default.duckdb")}

    def run(*args: str) -> str:
        result = subprocess.run(
            [*prefect, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    pool = "mediawatch-test"
    run("work-pool", "create", pool, "--type", "process")
    run("--no-prompt", "deploy", "--name", "feeds", "--pool", pool)
    db = tmp_path / "worker.duckdb"
    params = {"sources": [str(SEEDS)], "feeds": False, "db": str(db), "kind": "worker"}
    run("deployment", "run", "mediawatch-ingest/feeds", "--params", json.dumps(params))
    run("worker", "start", "--pool", pool, "--run-once")  # runs what is due, then stops

    runs = _flow_runs(prefect_server, "feeds")
    (flow_run,) = [r for r in runs if r["parameters"].get("db") == str(db)]
    with reader(db) as conn:
        rows = conn.execute("SELECT flow_run_id, state, counts FROM runs").fetchall()
    assert [(f, s) for f, s, _ in rows] == [(flow_run["id"], "completed")]
    assert json.loads(rows[0][2])["new_articles"] == 14


def test_a_one_shot_run_reports_to_the_running_server(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    env = {k: v for k, v in prefect_server.env.items() if k != "PREFECT_API_URL"}
    env["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "INFO"  # a temporary server says so
    db = tmp_path / "one-shot.duckdb"
    done = mediawatch("ingest", str(SEEDS), "--db", str(db), "--json", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Finished in state Completed" in done.stderr  # the console does log INFO
    assert "Starting temporary server" not in done.stderr
    with reader(db) as conn:
        (flow_run_id,) = conn.execute("SELECT flow_run_id FROM runs").fetchone()
    response = httpx.get(f"{prefect_server.api_url}/flow_runs/{flow_run_id}", timeout=10)
    assert response.status_code == 200
    assert response.json()["state"]["type"] == "COMPLETED"


def _outcome(db: Path) -> dict[str, object]:
    """What a run decided, by URL: texts, duplicate groups, stories, fetch times."""
    with reader(db) as conn:
        rows = conn.execute(
            """SELECT a.original_url, a.text_hash, a.fetched_at, d.group_id, d.relation,
                      s.story_id
               FROM articles a LEFT JOIN dup_members d USING (article_id)
               LEFT JOIN story_members s USING (article_id) ORDER BY a.original_url"""
        ).fetchall()

    def partition(col: int) -> set[frozenset[str]]:
        groups: dict[object, set[str]] = {}
        for r in rows:
            if r[col] is not None:
                groups.setdefault(r[col], set()).add(r[0])
        return {frozenset(g) for g in groups.values()}

    return {
        "texts": {r[0]: r[1] for r in rows},
        "relations": {r[0]: r[4] for r in rows},
        "groups": partition(3),
        "stories": partition(5),
        "fetch times": len({r[2] for r in rows}),
    }


def test_a_one_shot_run_without_a_server_extracts_while_one_starts(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    small = {
        "MEDIAWATCH_RUN_WORKERS": "2",
        "MEDIAWATCH_RUN_CHUNK_SIZE": "2",
        "MEDIAWATCH_RUN_BATCH_SIZE": "8",
    }
    env = {**prefect_server.env, **small, "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO"}
    with_server = mediawatch("ingest", str(SEEDS), "--db", str(tmp_path / "a.duckdb"), env=env)
    assert with_server.returncode == 0, with_server.stderr[-2000:]
    assert "while the server starts" not in with_server.stderr  # nothing to wait for
    env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    # no server `mediawatch server start` ran (the database already migrated, as after a
    # first run: a killed run and Ctrl-C at start-up start from an empty home)
    env["PREFECT_HOME"] = str(migrated_home(tmp_path / "prefect"))
    alone = mediawatch("ingest", str(SEEDS), "--db", str(tmp_path / "b.duckdb"), env=env)
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert "Extracting the first 8 documents (6 chunks) while the server starts" in alone.stderr
    assert "Starting temporary server" not in alone.stderr  # ours ran, not a second one
    assert "Error logging to API" not in alone.stderr  # stopped after Prefect's last logs
    assert processes_with_env("PREFECT_HOME", env["PREFECT_HOME"]) == []  # and stopped
    ahead, reference = _outcome(tmp_path / "b.duckdb"), _outcome(tmp_path / "a.duckdb")
    assert len(ahead["texts"]) == 14 and len(ahead["stories"]) > 1
    assert ahead == reference  # the same run, the same decisions
    assert ahead["fetch times"] == 1  # read ahead or by the flow: one fetch time for the run


def test_a_killed_one_shot_run_leaves_no_temporary_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "MEDIAWATCH_RUN_WORKERS": "2"}
    env["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "INFO"
    db = tmp_path / "killed.duckdb"
    run = subprocess.Popen(
        [sys.executable, "-m", "mediawatch.cli", "ingest", str(SEEDS), "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stderr is not None
    for line in run.stderr:  # the server is starting, the first batch is extracting
        if "while the server starts" in line:
            break
    assert processes_with_env("PREFECT_HOME", env["PREFECT_HOME"]) != []
    run.kill()
    run.wait(timeout=10)
    # They notice within a second or two; a busy machine (the server may be migrating its
    # new database) can take longer, and a minute still tells ending from staying.
    deadline = time.monotonic() + 60
    while (left := processes_with_env("PREFECT_HOME", env["PREFECT_HOME"])) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert left == []  # the server and the workers noticed, and ended


def test_a_server_that_is_gone_is_reported_and_forgotten(tmp_path: Path, monkeypatch) -> None:
    from mediawatch import service

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setenv("MEDIAWATCH_SERVICE_PORT", "9")  # nothing answers there
    settings = load_settings()
    assert not service.status(settings).running
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = {"pid": dead.pid, "host": "127.0.0.1", "port": 9, "home": str(tmp_path)}
    state |= {"log": str(tmp_path / "server.log"), "started_at": "2026-01-01T00:00:00+00:00"}
    (tmp_path / "mediawatch-server.json").write_text(json.dumps(state))
    status = service.status(settings)
    assert not status.running and "is gone" in status.message
    assert service.stop() is not None and service.read_state() is None


def test_schedules_become_flow_parameters(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text(
        '[[feeds.sources]]\nurl = "https://a.example/rss"\nname = "A"\n'
        '[[feeds.sources]]\nurl = "https://b.example/rss"\n'
    )
    settings = load_settings(cfg, db=tmp_path / "x.duckdb")
    group = Schedule(
        name="group", feeds=("A", "https://b.example/rss"), sources=("seeds",), cron="0 * * * *"
    )
    params = schedule_parameters(group, settings, str(cfg))
    assert params["sources"] == [
        str(ROOT / "seeds"),
        "https://a.example/rss",
        "https://b.example/rss",
    ]
    assert params["feeds"] is False and params["kind"] == "scheduled:group"
    assert params["db"] == str(tmp_path / "x.duckdb") and params["config"] == str(cfg)
    every = Schedule(name="all", feeds=("all",), interval_minutes=5)
    assert schedule_parameters(every, settings)["feeds"] is True
    from mediawatch.config import ConfigError

    with pytest.raises(ConfigError, match="no configured feed named 'Nope'"):
        schedule_parameters(Schedule(name="x", feeds=("Nope",), cron="* * * * *"), settings)
    with pytest.raises(ConfigError, match="either interval_minutes or cron"):
        Schedule(name="both", feeds=("all",), interval_minutes=5, cron="* * * * *")
    with pytest.raises(ConfigError, match="lowercase"):
        Schedule(name="Bad Name", feeds=("all",), interval_minutes=5)
    assert os.path.isabs(params["sources"][0])
