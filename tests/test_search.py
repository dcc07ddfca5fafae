"""Full-text search: query parsing, the index kept at store time, BM25 ranking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.search import index_terms, parse_query, snippet, term_variants
from storage import search
from storage.connection import reader, transaction, writer


def test_term_variants_cover_simple_inflections() -> None:
    assert {"flood", "floods", "flooded", "flooding"} <= set(term_variants("flood"))
    assert {"flood", "floods", "flooded"} <= set(term_variants("flooded"))
    assert {"battery", "batteries"} <= set(term_variants("batteries"))
    assert {"evacuate", "evacuated", "evacuating"} <= set(term_variants("evacuated"))
    assert term_variants("312") == ["312"] and term_variants("sea") == ["sea"]


def test_parse_query_words_prefixes_and_phrases() -> None:
    q = parse_query('harb* "Sea Wall" the flooded')
    assert [(t.word, t.prefix) for t in q.terms] == [
        ("sea", False),
        ("wall", False),
        ("harb", True),
        ("flooded", False),
    ]
    assert len(q.phrases) == 1
    assert parse_query("the and of").empty
    assert not parse_query('"to be or not"').empty  # a phrase of stopwords still filters


def test_index_terms_weight_titles_and_drop_stopwords() -> None:
    counts, length = index_terms("Sea wall breach", "The sea wall gave way. The sea rose.")
    assert counts["sea"] == 2 + 3 and counts["breach"] == 3 and "the" not in counts
    assert length == sum(counts.values())


def test_snippet_marks_hits_around_the_first_one() -> None:
    text = " ".join(f"w{i}" for i in range(100)) + " the sea wall flooded " + "tail " * 50
    segs = snippet(text, parse_query("flood"), width=12)
    assert segs[0].text.startswith("…") and segs[-1].text.endswith("…")
    assert [s.text for s in segs if s.marked] == ["flooded"]


@pytest.fixture(scope="module")
def conn(inspect_db: Path):
    with reader(inspect_db) as c:
        yield c


def _ids(conn, q: str, **kw) -> list[int]:
    return [h.article_id for h in search.search(conn, parse_query(q), **kw)]


def _titles(conn, q: str) -> list[str]:
    return [h.title for h in search.search(conn, parse_query(q))]


def test_every_stored_article_is_indexed(conn) -> None:
    indexed, total = search.coverage(conn)
    assert indexed == total == 16


def test_search_ranks_and_filters(conn) -> None:
    titles = _titles(conn, "battery recall")
    assert len(titles) == 3 and all("Norvik" in t for t in titles)
    # every word must occur: the flood stories share "flood" but only one names the river
    assert {h.source for h in search.search(conn, parse_query("flood Wend"))} == {
        "The Valley Post",
        "Eastvale Echo",
    }
    flood = search.search(conn, parse_query("flooded"))
    assert len(flood) == 6 and flood == sorted(flood, key=lambda h: -h.score)
    assert _ids(conn, "flooded", source="bayline") == [
        h.article_id for h in flood if h.source == "Bayline Daily"
    ]
    assert _ids(conn, "xyzzy") == [] and _ids(conn, "the") == []


def test_phrases_and_prefixes(conn) -> None:
    wall = _titles(conn, '"sea wall"')
    assert len(wall) == 4 and all("Harbourton" in t for t in wall)
    assert _titles(conn, '"wall sea"') == []
    assert set(_titles(conn, "harbourt*")) == set(wall)
    # an apostrophe in the phrase matches either kind of apostrophe in the text
    assert _ids(conn, '"St Aidan\'s Primary School"')


def test_a_revised_article_is_searched_by_its_new_text(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    db, feed = tmp_path / "rev.duckdb", tmp_path / "feed.jsonl"
    record = {
        "url": "https://example.org/a",
        "title": "Glassworks opens in Vellmar",
        "text": " ".join(["The glassworks in Vellmar opened its doors to visitors today."] * 6),
    }
    feed.write_text(json.dumps(record) + "\n")
    assert main(["ingest", str(feed), "--db", str(db)]) == 0
    record["text"] = record["text"].replace("glassworks", "ropewalk")
    feed.write_text(json.dumps(record) + "\n")
    assert main(["ingest", str(feed), "--db", str(db)]) == 0
    assert "1 revised" in capsys.readouterr().out
    with reader(db) as c:
        assert _ids(c, "ropewalk") == [1]
        assert _ids(c, "glassworks") == [1]  # still in the title
        assert search.coverage(c) == (1, 1)
        terms = c.execute("SELECT count(*) FROM search_terms WHERE term = 'doors'").fetchone()
        assert terms == (1,)  # replaced, not added twice


def test_migrate_indexes_a_database_from_before_the_index(inspect_db: Path, tmp_path: Path, capsys):
    db = tmp_path / "old.duckdb"
    shutil.copy(inspect_db, db)
    with writer(db) as c, transaction(c):  # as a database made before 0003 would be
        c.execute("DELETE FROM search_terms")
        c.execute("DELETE FROM search_docs")
    assert main(["stories", "--db", str(db), "-q", "flood"]) == 0
    assert "search index covers 0 of 16 articles" in capsys.readouterr().err
    assert main(["migrate", "--db", str(db)]) == 0
    assert "indexed 16 articles for search" in capsys.readouterr().out
    with reader(db) as c:
        assert search.coverage(c) == (16, 16)
        assert len(_ids(c, "flooded")) == 6
