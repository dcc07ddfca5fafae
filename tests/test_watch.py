"""Watchlists through the real command line and real runs: hits stored once, webhooks
to a real HTTP server on loopback (each hit exactly once across runs; a refused host
recorded while the run goes on), hits, digests, and hostile titles in every output."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mediawatch.cli import main
from storage.connection import reader

from .conftest import SEEDS

DEMO = SEEDS / "demo"
FLOOD_FIRST = [DEMO / "a_harbourton_flood_coastwire.html", DEMO / "partner_export.csv"]


class Receiver:
    """A webhook on loopback: records every POST body; answers ``status`` (or, while
    ``fail_first`` > 0, 500 to that many requests first)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.answers: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                with receiver._lock:
                    receiver.paths.append(self.path)
                    receiver.bodies.append(body)
                    status = receiver.answers.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hit_ids(self, path: str) -> list[int]:
        return [
            h["hit_id"]
            for p, b in zip(self.paths, self.bodies, strict=True)
            if p == path
            for h in b["hits"]
        ]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with reader(db) as conn:
        return conn.execute(sql, list(params)).fetchall()


def settings_file(tmp_path: Path, receiver: Receiver, private: bool = True) -> Path:
    # allowed_hosts names the host alone and with its port: the port-aware allow-list
    # (issue 14) wants host:port for a port other than 80/443.
    hosts = json.dumps(["127.0.0.1", f"127.0.0.1:{receiver.port}"])
    text = f"""
[feeds]
allow_private_hosts = {"true" if private else "false"}
per_host_delay_seconds = 0.0
retries = 1
backoff_seconds = 0.05
connect_timeout_seconds = 2.0
read_timeout_seconds = 2.0
total_timeout_seconds = 5.0

[watch]
allowed_hosts = {hosts}
delivery_attempts = 3

[[watch.lists]]
name = "floods"
query = "flood*"
webhook = "{receiver.url("/floods")}"

[[watch.lists]]
name = "flaky"
query = "flood*"
min_size = 2
webhook = "{receiver.url("/flaky")}"

[[watch.lists]]
name = "refused"
query = "flood*"
webhook = "{receiver.url("/refused", host="localhost")}"
"""
    path = tmp_path / "mediawatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_webhook_gets_each_hit_exactly_once_across_two_runs(
    prefect_harness, tmp_path: Path, receiver: Receiver, capsys
) -> None:
    db, cfg = tmp_path / "w.duckdb", settings_file(tmp_path, receiver)
    receiver.answers["/flaky"] = 500  # down during the first run (after its retry)
    args = ["--db", str(db), "--config", str(cfg)]
    assert main(["ingest", *map(str, FLOOD_FIRST), *args]) == 0
    out = capsys.readouterr().out
    assert "watchlist hits:" in out and "deliveries:" in out
    first = set(receiver.hit_ids("/floods"))
    assert first and len(receiver.hit_ids("/floods")) == len(first)
    assert len(receiver.hit_ids("/flaky")) == 2 * len(set(receiver.hit_ids("/flaky")))  # + retry
    assert receiver.hit_ids("/refused") == []  # never sent: the host is not allowed

    receiver.answers["/flaky"] = 200
    flaky_before = len(receiver.paths)
    assert main(["ingest", str(DEMO), *args]) == 0  # the rest of the demo: more floods
    received = receiver.hit_ids("/floods")
    assert len(received) == len(set(received)), "a hit was delivered twice"
    stored = {
        r[0]
        for r in rows(
            db,
            "SELECT hit_id FROM watch_hits JOIN watchlists USING (watchlist_id) WHERE name = ?",
            "floods",
        )
    }
    assert set(received) == stored and stored > first
    kinds = {h["kind"] for b in receiver.bodies for h in b["hits"]}
    assert kinds == {"article", "story"}
    # the failed deliveries were tried again by the next run, and went through once
    flaky = rows(
        db,
        """SELECT d.state, d.attempts FROM watch_deliveries d JOIN watch_hits USING (hit_id)
           JOIN watchlists w USING (watchlist_id) WHERE w.name = 'flaky'""",
    )
    assert flaky and all(state == "delivered" for state, _ in flaky)
    assert {a for _, a in flaky} >= {2}
    assert len(receiver.paths) > flaky_before

    # a third run with nothing new sends nothing
    sent = len(receiver.paths)
    assert main(["ingest", str(DEMO), *args]) == 0
    assert len(receiver.paths) == sent

    # the refused host: recorded per hit, as a failure of each run; the runs completed
    refused = rows(
        db,
        """SELECT d.state, d.detail, d.attempts FROM watch_deliveries d JOIN watch_hits
           USING (hit_id) JOIN watchlists w USING (watchlist_id) WHERE w.name = 'refused'""",
    )
    assert refused and {r[0] for r in refused} == {"failed"}
    assert all("localhost is not in watch.allowed_hosts" in r[1] for r in refused)
    assert max(r[2] for r in refused) == 3  # delivery_attempts, then given up
    assert {r[0] for r in rows(db, "SELECT state FROM runs")} == {"completed"}
    reasons = [r[0] for r in rows(db, "SELECT reason FROM failures WHERE stage = 'watch'")]
    assert any("localhost is not in watch.allowed_hosts" in r for r in reasons)
    assert any("HTTP 500" in r for r in reasons)  # the flaky webhook of the first run
    capsys.readouterr()
    assert main(["watch", "hits", "refused", "--db", str(db), "--config", str(cfg)]) == 0
    assert "webhook failed" in capsys.readouterr().out


def test_private_addresses_are_refused_for_webhooks_as_for_feeds(
    prefect_harness, tmp_path: Path, receiver: Receiver
) -> None:
    db, cfg = tmp_path / "p.duckdb", settings_file(tmp_path, receiver, private=False)
    assert main(["ingest", str(FLOOD_FIRST[0]), "--db", str(db), "--config", str(cfg)]) == 0
    assert receiver.bodies == []
    details = [
        r[0]
        for r in rows(
            db,
            """SELECT d.detail FROM watch_deliveries d JOIN watch_hits USING (hit_id)
               JOIN watchlists w USING (watchlist_id) WHERE w.name = 'floods'""",
        )
    ]
    assert details and all("private, loopback" in d for d in details)


def test_a_missing_prefect_block_is_recorded_plainly(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    db = tmp_path / "b.duckdb"
    cfg = tmp_path / "b.toml"
    cfg.write_text(
        '[[watch.lists]]\nname = "glacier"\nquery = "glacier"\n'
        'notify_block = "slack-webhook/no-such-block"\n',
        encoding="utf-8",
    )
    assert (
        main(["ingest", str(DEMO / "wire_feed.jsonl"), "--db", str(db), "--config", str(cfg)]) == 0
    )
    assert "no-such-block" in capsys.readouterr().out
    (detail,) = {
        r[0] for r in rows(db, "SELECT detail FROM watch_deliveries WHERE channel = 'prefect'")
    }
    assert "cannot load the Prefect block 'slack-webhook/no-such-block'" in detail


def test_a_prefect_notification_block_receives_each_hit_once(
    prefect_harness, tmp_path: Path, receiver: Receiver
) -> None:
    """A saved Prefect block (a custom webhook, here on loopback) is loaded by name and
    sent each hit once: a second run with nothing new sends nothing."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(
        name="desk",
        url=receiver.url("/block"),
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
    ).save("mediawatch-test-desk", overwrite=True)
    db, cfg = tmp_path / "nb.duckdb", tmp_path / "nb.toml"
    cfg.write_text(
        '[[watch.lists]]\nname = "glacier"\nquery = "glacier"\n'
        'notify_block = "custom-webhook/mediawatch-test-desk"\n',
        encoding="utf-8",
    )
    feed = str(DEMO / "wire_feed.jsonl")
    assert main(["ingest", feed, "--db", str(db), "--config", str(cfg)]) == 0
    sent = [b for p, b in zip(receiver.paths, receiver.bodies, strict=True) if p == "/block"]
    assert len(sent) == 1
    assert sent[0]["subject"].startswith("mediawatch: ") and "for glacier" in sent[0]["subject"]
    assert "glacier" in sent[0]["body"].lower()
    outcomes = rows(db, "SELECT state, detail FROM watch_deliveries WHERE channel = 'prefect'")
    assert outcomes and all(state == "delivered" for state, _ in outcomes), outcomes
    assert main(["ingest", feed, "--db", str(db), "--config", str(cfg)]) == 0
    assert [p for p in receiver.paths if p == "/block"] == ["/block"]  # nothing new: no send


# --- the commands -----------------------------------------------------------------------

HOSTILE = [
    {
        "url": "javascript:alert('harbour')",
        "title": "\x1b]8;;https://evil.example\x07Harbourton\x1b]8;;\x07 [bold red]dykes[/] "
        "<script>alert(1)</script> ](javascript:alert(2)) \u202egnp.exe",
        "text": " ".join(
            ["Harbourton dykes hold after the flooding of the sea wall last month, the council"] * 4
        ),
        "published_at": "2026-02-27T10:00:00",
        "source": "<b>Evil</b> [link=https://x.example]Wire[/link]",
    }
]


@pytest.fixture(scope="module")
def watched(prefect_harness, tmp_path_factory) -> Path:
    """The demo and a hostile article, ingested after two watchlists were added."""
    folder = tmp_path_factory.mktemp("watched")
    db = folder / "watched.duckdb"
    hostile = folder / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(a) for a in HOSTILE) + "\n", encoding="utf-8")
    d = ["--db", str(db)]
    assert (
        main(
            [
                "watch",
                "add",
                "harbour",
                'harbour* "sea wall"',
                "--growth-articles",
                "3",
                "--growth-hours",
                "12",
                *d,
            ]
        )
        == 0
    )
    assert (
        main(["watch", "add", "recalls", "recall*", "--min-size", "3", "--language", "en", *d]) == 0
    )
    assert main(["ingest", str(DEMO), str(hostile), *d]) == 0
    return db


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_watch_add_list_hits_digest_remove(watched: Path, capsys, tmp_path: Path) -> None:
    d = ("--db", str(watched))
    code, out, _ = run(capsys, "watch", "list", "--json", *d)
    lists = {w["name"]: w for w in json.loads(out)}
    assert set(lists) == {"harbour", "recalls"}
    assert lists["harbour"]["hits"] > 0 and lists["harbour"]["definition"]["growth_articles"] == 3

    code, out, _ = run(capsys, "watch", "hits", "harbour", "--json", *d)
    hits = json.loads(out)
    kinds = {h["kind"] for h in hits}
    assert kinds == {"article", "story", "growth"}
    articles = {h["article_id"] for h in hits if h["kind"] == "article"}
    with reader(watched) as conn:
        harbourton = {
            r[0]
            for r in conn.execute(
                "SELECT article_id FROM articles WHERE source IN "
                "('CoastWire News', 'Northshore Herald', 'Bayline Daily', 'Marrow Gazette')"
            ).fetchall()
        }
    assert harbourton <= articles
    growth = next(h for h in hits if h["kind"] == "growth")
    assert growth["detail"]["articles"] >= 3 and growth["detail"]["hours"] == 12
    recalls = json.loads(run(capsys, "watch", "hits", "recalls", "--json", *d)[1])
    assert {h["kind"] for h in recalls} == {"article", "story"}
    assert all(h["story_size"] >= 3 for h in recalls)

    # errors a user can make: one line, exit status 1
    for args, message in [
        (("watch", "add", "harbour", "x"), "exists already"),
        (("watch", "add", "Bad Name", "x"), "lowercase letters"),
        (("watch", "add", "empty", "the and of"), "nothing to search for"),
        (("watch", "add", "hook", "x", "--webhook", "ftp://x.example/"), "http:// or https://"),
        (("watch", "add", "nothing"), "nothing to watch"),
        (("watch", "hits", "nope"), "no watchlist 'nope'"),
        (("watch", "hits", "harbour", "--since", "yesterday-ish"), "cannot read the time"),
        (("watch", "remove", "nope"), "no watchlist 'nope'"),
    ]:
        code, out, err = run(capsys, *args, *d)
        assert code == 1, args
        assert message in err and "Traceback" not in err, (args, err)

    code, out, _ = run(capsys, "watch", "hits", "harbour", *d)
    assert code == 0 and "grew" not in out and "growing" in out and "Harbourton" in out
    code, md, _ = run(capsys, "watch", "digest", "harbour", "--since", "24h", *d)
    assert code == 0 and md.startswith("# mediawatch digest: harbour")
    assert "growing: " in md and "](https://northshoreherald.example/" in md
    code, html, _ = run(capsys, "watch", "digest", "harbour", "--format", "html", *d)
    assert code == 0 and html.startswith("<!doctype html>")
    assert 'href="https://northshoreherald.example/' in html

    code, out, _ = run(capsys, "watch", "remove", "recalls", *d)
    assert code == 0 and "removed watchlist recalls" in out
    assert run(capsys, "watch", "hits", "recalls", *d)[0] == 1
    assert rows(
        watched,
        "SELECT count(*) FROM watch_hits h LEFT JOIN watchlists w "
        "USING (watchlist_id) WHERE w.name IS NULL",
    ) == [(0,)]


def test_hostile_titles_stay_text_in_hits_and_digests(watched: Path, capsys) -> None:
    d = ("--db", str(watched))
    code, out, _ = run(capsys, "watch", "hits", "harbour", *d)
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "[bold red]dykes[/]" in out  # markup shown as written, not applied
    code, html, _ = run(capsys, "watch", "digest", "harbour", "--format", "html", *d)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Evil&lt;/b&gt;" in html
    assert 'href="javascript' not in html.lower() and "\x1b" not in html
    code, md, _ = run(capsys, "watch", "digest", "harbour", *d)
    assert "<script>" not in md and "\\<script\\>" in md
    assert "](javascript" not in md  # the title cannot close a link and open another
    assert "(javascript:alert('harbour'))" not in md  # a javascript: URL is never a link


def test_the_run_summary_and_artifact_show_hits(watched: Path) -> None:
    from mediawatch.report import run_markdown
    from mediawatch.watch.run import WatchReport
    from storage import runs as runs_db
    from storage import watch as watch_db

    with reader(watched) as conn:
        hits = watch_db.list_hits(conn)
        changes = runs_db.changes(conn, 1)
        counts = json.loads(conn.execute("SELECT counts FROM runs WHERE run_id = 1").fetchone()[0])
    assert counts["watch_hits"] >= len(hits) > 0  # (a watchlist was removed since)
    text = run_markdown(changes, counts, WatchReport(hits=hits))
    assert f"## Watchlist hits ({len(hits)})" in text
    assert "<script>" not in text and "\\<script\\>" in text


def test_watch_refuses_a_file_that_is_not_a_database(tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes.duckdb"
    notes.write_bytes(b"not a database at all, just some bytes of notes" * 20)
    for args in (("list",), ("add", "quake", "earthquake")):
        code, _, err = run(capsys, "watch", *args, "--db", str(notes))
        assert code == 1
        assert f"cannot open {notes}: it is not a mediawatch (DuckDB) database" in err
    assert not (tmp_path / "notes.duckdb.lock").exists()
