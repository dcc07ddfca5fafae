"""Crash safety with real processes and real SIGKILL: a run killed at any point leaves
the database consistent, and the next run finishes the work as if nothing happened,
without duplicates and without losing what was fetched but not stored.

The runs are `mediawatch ingest` subprocesses reporting to the session's Prefect
server (tests/conftest.py: prefect_server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from storage.connection import reader

from .conftest import ROOT, PrefectServer, mediawatch
from .corpus import articles, snapshot, write_jsonl
from .feedserver import FeedServer, rss
from .runproc import leftovers, start, states, wait_for_pause


def _kill_at(args: list[str], env: dict[str, str], log: Path, point: str) -> None:
    """Run `mediawatch ingest`, SIGKILL it where it pauses (``stored:N``: right after its
    N-th batch committed); nothing of it may survive. The run waits there for the kill,
    however busy the machine: no race between the run and the test."""
    proc = start("ingest", args, {**env, "MEDIAWATCH_TEST_PAUSE": point}, log)
    wait_for_pause(proc, log, point)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it was killed"


def test_a_run_killed_midway_resumes_to_exactly_an_uninterrupted_run(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    records = articles()  # 250 articles: 50 stories, 50 duplicate groups
    corpus = write_jsonl(tmp_path / "corpus.jsonl", records)
    env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": "20"}  # 13 commits
    reference = tmp_path / "reference.duckdb"
    done = mediawatch("ingest", str(corpus), "--db", str(reference), env=env)
    assert done.returncode == 0, done.stderr

    db = tmp_path / "killed.duckdb"
    # Killed after its 2nd commit, then the next run after its 6th (its first two
    # batches are known already: committed without new articles), each right after a
    # commit. (A kill timed by polling the database could overshoot on a busy machine:
    # a first run killed past 120 articles made the second one be killed before it had
    # recorded itself, and the run history missed a crash.)
    for point, stored in (("stored:2", 40), ("stored:6", 120)):
        log = tmp_path / f"killed-at-{stored}.log"
        _kill_at([str(corpus), "--db", str(db)], env, log, point)
        assert leftovers(log) == []
        # Right after the kill the file opens (a write-ahead log, if one was left, is
        # replayed) and holds whole batches only, consistently.
        after = snapshot(db)
        assert after["problems"] == {}
        assert after["n_articles"] == stored  # whole batches: every one committed, no more

    again = mediawatch("ingest", str(corpus), "--db", str(db), "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert not Path(str(db) + ".wal").exists()
    got, want = snapshot(db), snapshot(reference)
    assert got["n_articles"] == got["distinct_urls"] == len(records)  # no duplicates
    assert got["articles"] == want["articles"]  # same URLs, titles and texts
    assert got["stories"] == want["stories"]  # same story partition
    assert got["groups"] == want["groups"]  # same duplicate groups and relations
    assert got["problems"] == {}
    assert states(db) == ["crashed", "crashed", "completed"]


def test_a_feed_run_killed_midway_refetches_only_what_was_not_stored(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    """Feed state is written after the articles: the next run reads the feed in full,
    skips the items stored before the kill without requesting their pages, and fetches
    the rest again. Fetched pages are not spooled: a refetch is the cost of a crash."""
    records = articles(n_events=6)  # 30 pages
    server = FeedServer()
    try:
        items = []
        for i, r in enumerate(records):
            paragraphs = "".join(f"<p>{p}</p>" for p in r["text"].split("\n"))
            page = (
                f"<!DOCTYPE html><html><head><title>{r['title']}</title></head><body>"
                f"<nav><a href='/'>Home</a></nav><main><article><h1>{r['title']}</h1>"
                f"{paragraphs}</article></main></body></html>"
            )
            server.add(f"/p/{i}.html", page, sleep=0.1)  # slow enough to be killed midway
            items.append({"title": r["title"], "link": f"/p/{i}.html", "guid_plain": f"g{i}"})
        server.add("/feed.xml", rss(items), content_type="application/rss+xml", etag='"v1"')
        cfg = tmp_path / "feeds.toml"
        cfg.write_text(
            "[feeds]\nper_host_delay_seconds = 0.0\nper_host_concurrency = 2\n"
            "max_items = 100\nretries = 0\n"
        )
        env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": "5"}
        db = tmp_path / "feeds.duckdb"
        args = [server.url("/feed.xml"), "--allow-private-hosts", "--db", str(db)]
        args += ["--config", str(cfg)]
        log = tmp_path / "killed.log"
        _kill_at(args, env, log, "stored:1")  # its first batch (5 pages) committed
        assert leftovers(log) == []
        with reader(db) as conn:
            stored_before = {
                r[0].rsplit("/", 1)[1] for r in conn.execute("SELECT url FROM articles").fetchall()
            }
            assert conn.execute("SELECT count(*) FROM feeds").fetchone()[0] == 0
        assert len(stored_before) == 5
        requests_before = len(server.requests)

        again = mediawatch("ingest", *args, env=env)
        assert again.returncode == 0, again.stderr
        later = server.requests[requests_before:]
        feed_polls = [r for r in later if r.path == "/feed.xml"]
        assert "if-none-match" not in feed_polls[0].headers  # the feed is read in full
        refetched = {r.path.rsplit("/", 1)[1] for r in later if r.path.startswith("/p/")}
        assert not refetched & stored_before  # stored items: no request
        assert refetched | stored_before == {f"{i}.html" for i in range(len(records))}
        with reader(db) as conn:
            n, urls = conn.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
            items_stored = conn.execute(
                "SELECT count(*) FROM feed_items WHERE status = 'stored'"
            ).fetchone()[0]
        assert n == urls == items_stored == len(records)
        assert snapshot(db)["problems"] == {}
        assert states(db) == ["crashed", "completed"]
    finally:
        server.close()


KILL_AFTER_COMMIT = """
import sys, time
from storage.connection import transaction, writer
with writer(sys.argv[1]) as conn:
    with transaction(conn):
        conn.execute("INSERT INTO pipeline_state VALUES ('committed', 1)")
    conn.begin()
    conn.execute("INSERT INTO pipeline_state VALUES ('uncommitted', 2)")
    print("ready", flush=True)
    time.sleep(60)
"""


def test_a_writer_killed_after_a_commit_leaves_a_log_that_is_replayed(tmp_path: Path) -> None:
    """DuckDB writes committed transactions to the write-ahead log and checkpoints on
    close: killed in between, the log is left; readers replay it in memory, the next
    writer into the file. What was not committed is gone."""
    db = tmp_path / "wal.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_AFTER_COMMIT, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wal = Path(str(db) + ".wal")
    assert wal.exists()
    names = "SELECT name FROM pipeline_state ORDER BY name"
    with reader(db) as conn:
        assert conn.execute(names).fetchall() == [("committed",), ("n_docs",), ("text_scheme",)]
    assert wal.exists()  # a reader does not write
    conn = duckdb.connect(str(db))
    assert conn.execute(names).fetchall() == [("committed",), ("n_docs",), ("text_scheme",)]
    conn.close()
    assert not wal.exists()
