"""A feed of pages that never answer cannot hold a run: past the feed's or the run's time
for pages (feeds.feed_deadline_seconds, feeds.run_deadline_seconds) its pages are
recorded as failures with the reason, the run goes on with the other feeds and
completes, and the items are tried again next run. Real loopback HTTP servers, a real
`mediawatch ingest`. Without the deadlines each hanging page would take minutes (a read
timeout per attempt, three attempts): the run would not end within the test's bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.connection import reader

from .conftest import PrefectServer, mediawatch
from .feedserver import FeedServer, article_html, rss

pytestmark = pytest.mark.slow

SLOW = 4  # pages that never answer
FAST = ("harbour", "orchard", "library")


@pytest.mark.parametrize(
    ("setting", "feed_seconds", "run_seconds"),
    [("feeds.feed_deadline_seconds", 3, 0), ("feeds.run_deadline_seconds", 0, 3)],
)
def test_a_feed_of_hanging_pages_is_cut_off_and_the_run_completes(
    prefect_server: PrefectServer,
    tmp_path: Path,
    setting: str,
    feed_seconds: int,
    run_seconds: int,
) -> None:
    slow, fast = FeedServer(), FeedServer()
    try:
        for i in range(SLOW):
            slow.add(f"/p/{i}.html", hang=True)
        slow_items = [
            {"title": f"Slow {i}", "link": f"/p/{i}.html", "guid_plain": f"s{i}"}
            for i in range(SLOW)
        ]
        slow.add("/slow.xml", rss(slow_items, title="Slow"), content_type="application/rss+xml")
        for topic in FAST:
            fast.add(f"/n/{topic}.html", article_html(topic))
        fast_items = [{"title": t, "link": f"/n/{t}.html", "guid_plain": t} for t in FAST]
        fast.add("/fast.xml", rss(fast_items), content_type="application/rss+xml")
        cfg = tmp_path / "deadline.toml"
        cfg.write_text(
            "[feeds]\nallow_private_hosts = true\nper_host_delay_seconds = 0.0\n"
            "per_host_concurrency = 8\nretries = 2\nread_timeout_seconds = 20.0\n"
            f"feed_deadline_seconds = {feed_seconds}\nrun_deadline_seconds = {run_seconds}\n"
        )
        db = tmp_path / "deadline.duckdb"
        args = [slow.url("/slow.xml"), fast.url("/fast.xml"), "--db", str(db)]
        done = mediawatch("ingest", *args, "--config", str(cfg), env=prefect_server.env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    finally:
        slow.close()
        fast.close()

    with reader(db) as conn:
        state = conn.execute("SELECT state FROM runs").fetchone()[0]
        stored = {r[0] for r in conn.execute("SELECT url FROM articles").fetchall()}
        failures = conn.execute("SELECT url, stage, reason FROM failures").fetchall()
        pending = conn.execute("SELECT count(*) FROM feed_items").fetchone()[0]
    assert state == "completed"
    assert stored == {fast.url(f"/n/{t}.html") for t in FAST}  # the other feed went on
    assert sorted(url for url, _, _ in failures) == sorted(
        slow.url(f"/p/{i}.html") for i in range(SLOW)
    )
    for _, stage, reason in failures:
        assert stage == "fetch"
        assert reason.startswith("not fetched: ") and f"({setting} = 3)" in reason
        assert reason.endswith("tried again next run")
    assert pending == len(FAST)  # the slow items are not marked done: the next run tries them
