"""Full-text search: query parsing, the index kept at store time, BM25 ranking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.search import fold_accents, index_terms, parse_query, snippet, term_variants
from storage import queries, search
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


def test_a_snippet_at_an_end_of_the_text_keeps_what_stands_beside_the_words() -> None:
    segs = snippet("\n <Update> = Flood warning = lifted.\n", parse_query("flood"))
    assert "".join(s.text for s in segs) == "<Update> = Flood warning = lifted."
    assert [s.text for s in segs if s.marked] == ["Flood"]


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


# --- accents in a prefix, and queries of only common words ------------------------------

GERMAN = {
    "url": "https://zeitung.example/flut",
    "title": "Hochwasser in Bremen",
    "text": "Die Straßen sind überflutet, und viele Häuser stehen unter Wasser. "
    "Die Feuerwehr brachte die Bewohner in Sicherheit. " * 4,
    "source": "Nordzeitung",
    "published_at": "2026-05-06T07:00:00",
    "language": "de",
}
ENGLISH = {
    "url": "https://post.example/fair",
    "title": "Hausmann fair opens in Vellmar",
    "text": "The spring fair in Vellmar opened with forty stalls and a brass band. " * 5,
    "source": "Vellmar Voice",
    "published_at": "2026-05-06T08:00:00",
}


@pytest.fixture(scope="module")
def accents_db(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("accents")
    feed = folder / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(a) for a in (GERMAN, ENGLISH)) + "\n", encoding="utf-8")
    db = folder / "accents.duckdb"
    assert main(["ingest", str(feed), "--db", str(db)]) == 0
    return db


def _by_url(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT url, article_id FROM articles").fetchall())


def test_a_prefix_is_folded_like_a_whole_word(accents_db: Path) -> None:
    """UBERFLUTET and Haus find "überflutet" and "Häuser" (through the stems); the
    prefixes uberflut* and haus* must too, as überflut* and häus* do."""
    with reader(accents_db) as c:
        german, english = _by_url(c)[GERMAN["url"]], _by_url(c)[ENGLISH["url"]]
        for q in ("UBERFLUTET", "überflutet", "uberflut*", "überflut*", "UBERFL*", "strass*"):
            assert _ids(c, q) == [german], q
        for q in ("haus*", "häus*", "HÄUS*", "Haus*"):  # Häuser, and the fair's Hausmann
            assert sorted(_ids(c, q)) == sorted([german, english]), q
        assert _ids(c, "häuse*") == _ids(c, "hause*") == [german]
        assert _ids(c, "hausm*") == _ids(c, "häusm*") == [english]
        assert _ids(c, "hauz*") == []
    assert parse_query("häus*").terms == parse_query("HAUS*").terms == parse_query("haus*").terms
    marked = [s.text for s in snippet(GERMAN["text"], parse_query("haus* uberflut*")) if s.marked]
    assert marked[:2] == ["überflutet", "Häuser"]


def test_prefix_expansion_in_sql_agrees_with_fold_accents(accents_db: Path, tmp_path) -> None:
    """The index side is folded in SQL (a pattern), the query side in Python: over a
    vocabulary of accents, marks written apart and other scripts, both pick the same
    words for every prefix."""
    db = tmp_path / "vocabulary.duckdb"
    shutil.copy(accents_db, db)
    vocabulary = [
        *("häuser", "hauser", "haus", "hãus", "ha\u0301us", "ḥasan", "hasen", "ħasan"),
        *("i\u0307stanbul", "istanbul", "ıstanbul", "ärger", "aerger", "naïve", "naive"),
        *("øre", "ore", "москва", "мос", "हिंदी", "हिम", "école", "ecole", "écrou", "2026"),
    ]
    with writer(db) as c, transaction(c):
        c.executemany("INSERT INTO search_terms VALUES (?, 1, 1)", [[t] for t in vocabulary])
    with reader(db) as c:
        words = [r[0] for r in c.execute("SELECT DISTINCT term FROM search_terms").fetchall()]
        latin = ("haus", "häus", "has", "ḥas", "ist", "i\u0307s", "är", "naï", "øre", "ecr", "éco")
        for typed in latin:
            (term,) = parse_query(typed + "*").terms
            assert term.prefix and term.pattern, typed
            want = sorted({w for w in words if fold_accents(w).startswith(term.word)})
            assert search._expand_prefix(c, term) == want, typed
            assert want, typed  # a test that finds nothing tests nothing
        for typed in ("мос", "हिं", "हिंदी", "20"):  # no Latin letter: as written
            (term,) = parse_query(typed + "*").terms
            assert term.prefix and term.pattern is None, typed
            want = sorted({w for w in words if w.startswith(term.word)})
            assert search._expand_prefix(c, term) == want and want, typed
        # a query word keeps its combining marks, as tokens() does (not "ह" and "द")
        assert [t.word for t in parse_query("हिंदी").terms] == ["हिंदी"]
        assert _ids(c, "हिंदी") == _ids(c, "हिं*") == [1]
    assert fold_accents("überflutet") == "uberflutet" and fold_accents("हिंदी") == "हिंदी"


@pytest.mark.parametrize("query", ["the", '"', "AND", "*", "the and of"])
def test_stories_search_of_only_common_words_answers_as_search_does(
    inspect_db: Path, capsys, query: str
) -> None:
    """`stories --search the` listed every story "matching 0"; it says what `search`
    says, with its exit status, and lists nothing."""
    db = str(inspect_db)
    searched = main(["search", query, "--db", db])
    said = capsys.readouterr()
    for json_flag in ([], ["--json"]):
        assert main(["stories", "--search", query, "--db", db, *json_flag]) == searched == 1
        out = capsys.readouterr()
        assert out.out == said.out == ""
        assert out.err == said.err
        assert "nothing to search for" in out.err and "only common words" in out.err
    with reader(inspect_db) as c:
        where = queries.StoryFilter(search=parse_query(query))
        assert queries.list_stories(c, where) == [] and queries.count_stories(c, where) == 0
        assert queries.list_stories(c, queries.StoryFilter(search=parse_query("flooded")))
