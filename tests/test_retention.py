"""The matching window and retention: idle stories close to new members; `mediawatch
vacuum` prunes the texts of old closed stories, keeps everything else, and the
archive still reads, searches, explains and grows afterwards."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flows.ingest import ingest_flow
from mediawatch.cli import main
from mediawatch.config import load_settings
from storage.connection import reader

from .corpus import articles, snapshot, write_jsonl

with warnings.catch_warnings():  # Starlette prefers httpx2; httpx (Prefect's) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

EVENT = articles(n_events=1)  # wire, copy, edit, own3, own4 of one event


def _dated(record: dict, when: datetime, url: str | None = None) -> dict:
    return {**record, "published_at": when.isoformat(), "url": url or record["url"]}


def _ingest(db: Path, tmp_path: Path, records: list[dict], name: str, config=None):
    path = write_jsonl(tmp_path / f"{name}.jsonl", records)
    return ingest_flow(sources=[str(path)], db=str(db), config=config)


def _story_of(db: Path, url: str) -> int:
    with reader(db) as conn:
        return conn.execute(
            "SELECT story_id FROM story_members JOIN articles USING (article_id) WHERE url = ?",
            [url],
        ).fetchone()[0]


@pytest.mark.parametrize("window_days", [30, 60])
def test_a_story_idle_for_longer_than_the_window_is_closed(
    prefect_harness, tmp_path: Path, window_days: int
) -> None:
    """match.window_days: an article joins a story whose latest article is at most the
    window older than it; later coverage of the same event starts a new story, and
    copies are matched only against articles inside the window."""
    cfg = tmp_path / "window.toml"
    cfg.write_text(f"[match]\nwindow_days = {window_days}\n")
    db = tmp_path / "window.duckdb"
    wire, copy, _, own3, own4 = EVENT
    sentences = wire["text"].split("\n")

    def follow_up(name: str, keep: slice, extra: dict) -> dict:
        # Half the wire's sentences and half new ones: the same event, not a copy.
        text = sentences[keep] + extra["text"].split("\n")[:4]
        return {**extra, "url": f"https://follow.example/{name}", "text": "\n".join(text)}

    day = datetime(2026, 3, 1, 8, 0)
    _ingest(db, tmp_path, [_dated(wire, day)], "wire", str(cfg))
    soon = follow_up("soon", slice(0, 4), own3)
    _ingest(db, tmp_path, [_dated(soon, day + timedelta(days=20))], "soon", str(cfg))
    assert _story_of(db, soon["url"]) == _story_of(db, wire["url"])  # inside the window
    # 31 days after the story's latest article, 51 after the wire.
    late_day = day + timedelta(days=51)
    late = follow_up("late", slice(3, 7), own4)
    _ingest(db, tmp_path, [_dated(late, late_day), _dated(copy, late_day)], "late", str(cfg))
    joined = _story_of(db, late["url"]) == _story_of(db, wire["url"])
    with reader(db) as conn:
        group = {
            r[0]
            for r in conn.execute(
                """SELECT a.url FROM dup_members m JOIN articles a USING (article_id)
                   WHERE m.group_id = (SELECT group_id FROM dup_members JOIN articles
                                       USING (article_id) WHERE url = ?)""",
                [wire["url"]],
            ).fetchall()
        }
    if window_days == 30:
        assert not joined  # the story was closed: a new one started
        assert group == {wire["url"], soon["url"]}  # the copy is outside the window
    else:
        assert joined and group == {wire["url"], soon["url"], copy["url"]}
    assert snapshot(db)["problems"] == {}


def test_vacuum_prunes_old_closed_stories_and_keeps_everything_else(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    db = tmp_path / "archive.duckdb"
    old = articles(n_events=2)  # dated March 2026
    recent_day = datetime.now() - timedelta(days=2)
    recent = articles(n_events=1, seed=99)  # another event
    recent = [
        _dated(r, recent_day + timedelta(hours=i), r["url"].replace("/0/", "/recent/"))
        for i, r in enumerate(recent)
    ]
    _ingest(db, tmp_path, old + recent, "archive")
    before = snapshot(db)
    with reader(db) as conn:
        kept_tables = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("lsh_bands", "article_terms", "story_members", "dup_members", "search_terms")
        }
    common = ["--db", str(db)]

    assert main(["vacuum", "--prune-days", "60", "--dry-run", "--json", *common]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["pruned_articles"] == 10 and dry["dry_run"] and dry["bytes_after"] is None
    assert main(["vacuum", "--prune-days", "60", *common]) == 0
    out = capsys.readouterr().out
    assert "pruned the texts of 10 articles" in out and "compacted" in out

    with reader(db) as conn:
        texts = dict(conn.execute("SELECT url, text FROM articles").fetchall())
        pruned_at = conn.execute(
            "SELECT count(*) FROM articles WHERE pruned_at IS NOT NULL"
        ).fetchone()[0]
        for t, n in kept_tables.items():  # fingerprints, memberships, index: all kept
            assert conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == n
        vacuum_runs = conn.execute(
            "SELECT state, counts FROM runs WHERE kind = 'vacuum'"
        ).fetchall()
    assert {u for u, t in texts.items() if t is None} == {r["url"] for r in old}
    assert all(texts[r["url"]] for r in recent)
    assert pruned_at == 10
    ((state, counts),) = vacuum_runs  # the dry run recorded nothing
    assert state == "completed" and json.loads(counts)["pruned_articles"] == 10
    after = snapshot(db)
    assert after["stories"] == before["stories"] and after["groups"] == before["groups"]
    assert after["problems"] == {}

    # Read commands show pruned articles and say what is missing.
    wire = next(r for r in old if r["url"].endswith("/0/wire"))
    word = wire["title"].split(":")[0].lower()  # the place
    assert main(["search", word, "--json", *common]) == 0
    hits = {h["url"]: h for h in json.loads(capsys.readouterr().out)}
    assert hits[wire["url"]]["snippet"] == "(pruned)"  # still found: its index rows stay
    ids = _ids(db, [r["url"] for r in old[:2]])
    assert main(["diff", *map(str, ids), *common]) == 1
    assert "were pruned by retention" in capsys.readouterr().err
    assert main(["explain", *map(str, ids), *common]) == 0
    assert "cannot be recomputed" in capsys.readouterr().out
    assert main(["story", str(_story_of(db, wire["url"])), *common]) == 0
    assert wire["title"][:20] in capsys.readouterr().out
    assert main(["export", "--what", "articles", *common]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sum(r["text"] is None and r["pruned_at"] is not None for r in exported) == 10
    from mediawatch.web import app as web

    with TestClient(web.create_app(load_settings(db=db))) as client:
        page = client.get(f"/article/{ids[0]}").text
        assert "pruned on" in page
        group = _group_of(db, ids[0])
        page = client.get(f"/group/{group}").text
        assert "Nothing to compare: the text" in page and " pruned by retention" in page

    # The archive grows on: new ids follow the old ones (the counters survived the
    # compaction), a back-dated copy of a pruned text is stored without being compared
    # to it, and everything stays consistent.
    again = _ingest(
        db,
        tmp_path,
        [
            {**wire, "url": "https://late.example/copy"},
            {**EVENT[3], "url": "https://late.example/x"},
        ],
        "later",
    )
    assert again.new_articles == 2 and min(again.new_article_ids) > max(_ids(db, list(texts)))
    assert snapshot(db)["problems"] == {}


def _ids(db: Path, urls: list[str]) -> list[int]:
    with reader(db) as conn:
        rows = dict(
            conn.execute(
                "SELECT url, article_id FROM articles WHERE url IN (SELECT unnest(?))", [urls]
            ).fetchall()
        )
    return [rows[u] for u in urls if u in rows]


def _group_of(db: Path, article_id: int) -> int:
    with reader(db) as conn:
        return conn.execute(
            "SELECT group_id FROM dup_members WHERE article_id = ?", [article_id]
        ).fetchone()[0]


def test_vacuum_without_retention_only_compacts(tmp_path: Path, capsys) -> None:
    db = tmp_path / "empty.duckdb"
    assert main(["migrate", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["vacuum", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "no pruning" in out and "compacted" in out
    assert main(["check", "--db", str(db)]) == 0
    assert main(["vacuum", "--db", str(tmp_path / "missing.duckdb")]) == 1


def test_serve_adds_the_nightly_vacuum_when_retention_is_set(tmp_path: Path) -> None:
    from flows.service import deployments

    cfg = tmp_path / "r.toml"
    cfg.write_text("[retention]\nprune_text_after_days = 90\n")
    names = [d.name for d in deployments(load_settings(cfg, db=tmp_path / "x.duckdb"))]
    assert names == ["main", "vacuum"]
    assert [d.name for d in deployments(load_settings(db=tmp_path / "x.duckdb"))] == ["main"]
