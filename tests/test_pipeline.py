"""The whole pipeline through real Prefect flow runs into real DuckDB files."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest_flow
from mediawatch.cli import main
from storage.connection import reader
from storage.queries import get_story

from .conftest import SEEDS

SEED_A = "000_16416721b22052af.txt"
SEED_B = "001_1a12cbee7aca723b.txt"
TABLES = [
    "articles",
    "lsh_bands",
    "dup_groups",
    "dup_members",
    "stories",
    "story_members",
    "story_terms",
    "story_keys",
    "article_terms",
    "term_df",
    "article_revisions",
]


def ingest(db: Path, *paths: Path):
    return ingest_flow(sources=[str(p) for p in paths], db=str(db))


def counts(db: Path) -> dict[str, int]:
    with reader(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def by_origin(db: Path) -> dict[str, dict]:
    """Every article with its story, group and relation, keyed by file name or URL."""
    with reader(db) as conn:
        rows = conn.execute(
            """SELECT a.article_id, a.origin, a.url, sm.story_id, dm.group_id, dm.relation,
                      dm.containment
               FROM articles a JOIN story_members sm USING (article_id)
               LEFT JOIN dup_members dm USING (article_id)"""
        ).fetchall()
    out = {}
    for aid, origin, url, story, group, relation, containment in rows:
        record = {
            "id": aid,
            "story": story,
            "group": group,
            "relation": relation,
            "containment": containment,
        }
        out[Path(origin.split(":")[0]).name if url.startswith("file:") else url] = record
        out[url] = record
    return out


@pytest.fixture(scope="module")
def demo_db(prefect_harness, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = ingest(db, SEEDS)
    assert summary.failures == []
    return db


def test_demo_corpus_gives_the_expected_stories_and_groups(demo_db: Path) -> None:
    arts = by_origin(demo_db)
    seed_a, seed_b = arts[SEED_A], arts[SEED_B]
    # The seed pair: one duplicate group, related as a rewrite, one story.
    assert seed_a["group"] is not None and seed_a["group"] == seed_b["group"]
    assert {seed_a["relation"], seed_b["relation"]} == {"origin", "rewrite"}
    assert seed_a["story"] == seed_b["story"]
    # Nothing else joins them: the same-topic Dutch camera vote stays apart.
    seed_story = [k for k, v in arts.items() if v["story"] == seed_a["story"]]
    assert {v["id"] for k, v in arts.items() if k in seed_story} == {seed_a["id"], seed_b["id"]}
    assert arts["seed_topic_dutch_camera_vote.txt"]["story"] != seed_a["story"]

    # Story A: the wire original, a near-copy, a truncated copy and an independent article.
    original = arts["a_harbourton_flood_coastwire.html"]
    near = arts["https://www.baylinedaily.example/news/2026/02/24/harbourton-sea-wall-flood"]
    truncated = arts["https://northshoreherald.example/regional/harbourton-flood-sea-wall-breach"]
    independent = (
        arts["a_harbourton_flood_marrow_gazette.md"]
        if ("a_harbourton_flood_marrow_gazette.md" in arts)
        else arts["https://www.marrowgazette.example/news/harbourton-counts-the-cost-storm-idris"]
    )
    assert original["relation"] == "origin"
    assert near["group"] == truncated["group"] == original["group"]
    assert near["relation"] == "near_copy" and truncated["relation"] == "near_copy"
    assert truncated["containment"] is not None and truncated["containment"] > 0.9
    assert independent["group"] is None
    assert len({original["story"], near["story"], truncated["story"], independent["story"]}) == 1

    with reader(demo_db) as conn:
        assert (
            conn.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL").fetchone()[0]
            == 7
        )
        assert conn.execute("SELECT count(*) FROM dup_groups").fetchone()[0] == 2
        sizes = sorted(
            r[0]
            for r in conn.execute("SELECT size FROM stories WHERE merged_into IS NULL").fetchall()
        )
    assert sizes == [1, 1, 1, 2, 2, 3, 4]


def test_story_lineage(demo_db: Path) -> None:
    arts = by_origin(demo_db)
    original = arts["a_harbourton_flood_coastwire.html"]
    with reader(demo_db) as conn:
        row = conn.execute(
            "SELECT origin_article_id, size, n_sources, n_independent, n_groups, title"
            " FROM stories WHERE story_id = ?",
            [original["story"]],
        ).fetchone()
    # Earliest by publication date; 4 outlets; the 3 copies of one text count once.
    assert row[:5] == (original["id"], 4, 4, 2, 1)
    assert row[5].startswith("Sea wall breach floods 312 homes in Harbourton")


def _story_by_text(conn, phrase: str) -> int:
    (sid,) = {
        r[0]
        for r in conn.execute(
            "SELECT sm.story_id FROM articles a JOIN story_members sm USING (article_id)"
            " WHERE a.text LIKE ?",
            [f"%{phrase}%"],
        ).fetchall()
    }
    return sid


def test_demo_origins_follow_true_publication_times(demo_db: Path, capsys) -> None:
    """The demo pages carry times (article:published_time); kept to the date, the Valley
    Post's 18:20 page sorted before the Eastvale Echo's 12:40 record, and GadgetBeat's
    15:30 (+01:00) page before the Ledger's 10:05 UTC."""
    with reader(demo_db) as conn:
        flood = get_story(conn, _story_by_text(conn, "River Wend"))
        recall = get_story(conn, _story_by_text(conn, "VoltRide PX48"))
        harbour = get_story(conn, _story_by_text(conn, "Harbourton"))
        seeds = get_story(conn, _story_by_text(conn, "Uyghur"))
    assert flood is not None and recall is not None and harbour is not None and seeds
    timeline = [(a.source, a.published_at, a.published_precision) for a in flood.articles]
    assert timeline == [
        ("Eastvale Echo", datetime(2026, 3, 6, 12, 40), "second"),
        ("The Valley Post", datetime(2026, 3, 6, 18, 20), "second"),
    ]
    assert flood.story.origin_article_id == flood.articles[0].article_id
    assert [(a.source, a.published_at) for a in recall.articles] == [
        ("The Ledger", datetime(2026, 3, 11, 10, 5)),
        ("GadgetBeat", datetime(2026, 3, 11, 14, 30)),  # 15:30 at +01:00
        ("Consumer Watch Weekly", datetime(2026, 3, 12, 8, 0)),
    ]
    assert recall.story.origin_article_id == recall.articles[0].article_id
    assert recall.story.title.startswith("Norvik Systems recalls")
    # The wire original leads its duplicate group; its copies follow in time order.
    (group,) = harbour.groups
    members = [(m.source, m.relation, m.published_at) for m in group.members]
    assert members == [
        ("CoastWire News", "origin", datetime(2026, 2, 24, 9, 12)),
        ("Northshore Herald", "near_copy", datetime(2026, 2, 24, 11, 2)),
        ("Bayline Daily", "near_copy", datetime(2026, 2, 24, 13, 45)),
    ]
    assert harbour.story.origin_article_id == group.origin_article_id
    # The two seed texts have no publication time and were read together: a tie, explained.
    capsys.readouterr()
    assert main(["story", str(seeds.story.story_id), "--db", str(demo_db)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "origin tie:" in out and "no publication time" in out
    assert "the one stored first (lower article number) goes first" in out


def test_ingesting_the_same_sources_again_adds_nothing(prefect_harness, tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    ingest(db, SEEDS)
    before = counts(db)
    second = ingest(db, SEEDS)
    assert second.new_articles == 0
    assert second.already_known == before["articles"]
    assert counts(db) == before


def test_a_later_batch_attaches_to_stored_groups_and_stories(
    prefect_harness, tmp_path: Path
) -> None:
    db = tmp_path / "later.duckdb"
    ingest(db, SEEDS)
    first = by_origin(db)
    original_text = (SEEDS / SEED_A).read_text(encoding="utf-8")
    copy = "\n\n".join(original_text.split("\n\n")[:-1]) + "\n\nRead more on our website."
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps(
            {
                "url": "https://mirror.example/china-surveillance?utm_source=x",
                "title": "China threatens minorities abroad",
                "text": copy,
                "source": "Mirror",
            }
        )
        + "\n"
    )
    summary = ingest(db, later)
    assert summary.new_articles == 1 and summary.grown_groups == 1 and summary.new_groups == 0
    after = by_origin(db)
    mirror = after["https://mirror.example/china-surveillance"]
    assert mirror["group"] == first[SEED_A]["group"]
    assert mirror["relation"] == "near_copy"
    assert mirror["story"] == first[SEED_A]["story"]


def test_bad_input_is_recorded_and_the_run_goes_on(prefect_harness, tmp_path: Path) -> None:
    db = tmp_path / "bad.duckdb"
    ingest(db, SEEDS / SEED_A)
    before = counts(db)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    (bad / "binary.html").write_bytes(bytes(range(256)) * 8)
    (bad / "latin1.txt").write_bytes(
        ("Überschwemmung in Köln\n\n" + "Die Stadt meldet Hochwasser am Rhein. " * 10).encode(
            "latin-1"
        )
    )
    (bad / "nav.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    (bad / "list.jsonl").write_text(
        '{"url": "https://x.example/1", "text": "'
        + "Word " * 40
        + '"}\n{broken\n{"text": "no url"}\n'
    )
    (bad / "rows.csv").write_text("url,title,text\nhttps://y.example/1,T,too,many\n")
    summary = ingest(db, bad)
    reasons = {
        Path(f.origin.split(":")[0]).name
        + (
            ":" + f.origin.rsplit(":", 1)[1] if f.origin.endswith(tuple("0123456789")) else ""
        ): f.reason
        for f in summary.failures
    }
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.html"] == "binary content, not text or HTML"
    assert "no article text" in reasons["nav.html"] or "too little text" in reasons["nav.html"]
    assert reasons["list.jsonl:2"].startswith("malformed JSON")
    assert reasons["list.jsonl:3"] == "missing 'url'"
    assert reasons["rows.csv:2"].startswith("malformed CSV row")
    assert summary.new_articles == 2  # the latin-1 text and the good JSONL line
    after = counts(db)
    assert after["articles"] == before["articles"] + 2
    with reader(db) as conn:
        stored = conn.execute("SELECT count(*) FROM failures").fetchone()[0]
        text = conn.execute("SELECT text FROM articles WHERE url LIKE '%latin1.txt'").fetchone()[0]
    assert stored == len(summary.failures)
    assert "Die Stadt meldet Hochwasser am Rhein." in text


def test_exact_copy_at_another_url_joins_as_exact(prefect_harness, tmp_path: Path) -> None:
    db = tmp_path / "exact.duckdb"
    folder = tmp_path / "copies"
    folder.mkdir()
    shutil.copy(SEEDS / SEED_A, folder / "original.txt")
    shutil.copy(SEEDS / SEED_A, folder / "copy.txt")
    summary = ingest(db, folder)
    assert summary.exact_copies == 1
    arts = by_origin(db)
    assert {arts["original.txt"]["relation"], arts["copy.txt"]["relation"]} == {"origin", "exact"}


def test_the_run_is_recorded(demo_db: Path) -> None:
    with reader(demo_db) as conn:
        state, counts_json, flow_run = conn.execute(
            "SELECT state, counts, flow_run_id FROM runs ORDER BY run_id LIMIT 1"
        ).fetchone()
    assert state == "completed"
    assert json.loads(counts_json)["new_articles"] == 14
    assert flow_run  # the Prefect flow run it belongs to


def test_database_file_is_plain_duckdb(demo_db: Path) -> None:
    """Users query the file with DuckDB itself (read-only while nothing writes)."""
    conn = duckdb.connect(str(demo_db), read_only=True)
    try:
        n = conn.execute(
            "SELECT count(*) FROM stories s JOIN story_members m USING (story_id)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert n == 14


def test_lines_repeated_across_a_site_are_dropped_as_boilerplate(
    prefect_harness, tmp_path: Path
) -> None:
    """After site_boilerplate_min_pages (5) pages of one host, its repeated line goes."""
    chrome = "The Harbour Times is owned by its readers in Marrow County since 1921."
    topics = ["quay", "ferry", "school", "bridge", "market", "museum", "library"]
    lines = []
    for i, topic in enumerate(topics):
        body = " ".join(
            f"The {topic} council meeting number {j} discussed the {topic} budget of {i * 10 + j} "
            f"thousand and the plans of resident group {topic}-{j}."
            for j in range(8)
        )
        html = (
            f"<html><body><article><h1>{topic}</h1><p>{body}</p><p>{chrome}</p>"
            f"<p>{body.replace('discussed', 'also noted')}</p></article></body></html>"
        )
        lines.append(
            json.dumps(
                {
                    "url": f"https://harbour.example/{topic}",
                    "html": html,
                    "published_at": f"2026-03-0{i + 1}T10:00:00",
                }
            )
        )
    (tmp_path / "site.jsonl").write_text("\n".join(lines) + "\n")
    db = tmp_path / "site.duckdb"
    ingest(db, tmp_path / "site.jsonl")
    with reader(db) as conn:
        texts = dict(conn.execute("SELECT url, text FROM articles").fetchall())
    has_chrome = [chrome in texts[f"https://harbour.example/{t}"] for t in topics]
    assert has_chrome == [True, True, True, True, False, False, False]
