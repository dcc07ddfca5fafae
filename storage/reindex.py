"""Reindexing stored articles after the text analysis changed: the rows that hold
derived text (band keys, term counts, document frequencies, story profiles, search
postings) are replaced; texts, groups, stories and their members stay as they are."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

import duckdb

from storage import search
from storage.bulk import insert_rows
from storage.lineage import story_precision

TEXT_SCHEME = "text_scheme"


def text_scheme(conn: duckdb.DuckDBPyConnection) -> int:
    rows = conn.execute(
        "SELECT value FROM pipeline_state WHERE name = ?", [TEXT_SCHEME]
    ).fetchall()  # fetched to the end: bulk inserts need a connection with no open result
    return int(rows[0][0]) if rows else 1


def set_text_scheme(conn: duckdb.DuckDBPyConnection, version: int) -> None:
    conn.execute(
        "INSERT INTO pipeline_state VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = ?",
        [TEXT_SCHEME, version, version],
    ).fetchall()  # DML answers a row count: fetched, so the connection is free again


def count_indexable(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(articles with a text, pruned articles)."""
    return conn.execute(
        "SELECT count(*) FILTER (WHERE text IS NOT NULL), count(*) FILTER (WHERE text IS NULL)"
        " FROM articles"
    ).fetchall()[0]


def stored_texts(
    conn: duckdb.DuckDBPyConnection, chunk: int = 500
) -> Iterator[list[tuple[int, str | None, str, str | None, datetime]]]:
    """(article_id, title, text, declared language, date) of unpruned articles, in chunks;
    a derived title is left out (it repeats the first sentence: mediawatch.records)."""
    last = -1
    while True:
        rows = conn.execute(
            """SELECT article_id, CASE WHEN title_derived THEN NULL ELSE title END, text,
                      coalesce(declared_language, language), date
               FROM articles WHERE text IS NOT NULL AND article_id > ?
               ORDER BY article_id LIMIT ?""",
            [last, chunk],
        ).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def replace_article_rows(
    conn: duckdb.DuckDBPyConnection,
    rows: list[tuple[int, str, float, str, int]],
    bands: list[tuple[int, int, int, object]],
    terms: list[tuple[int, str]],
    postings: list[tuple[int, dict[str, int]]],
) -> None:
    """New derived rows for a chunk of articles: (article_id, language, confidence,
    text_hash, word_count) updates, LSH band rows, term counts and search postings
    (article_id, term counts)."""
    ids = [r[0] for r in rows]
    select = (
        "SELECT unnest(?) AS id, unnest(?) AS lang, unnest(?) AS conf, unnest(?) AS h,"
        " unnest(?) AS wc"
    )
    conn.execute(
        f"""UPDATE articles SET language = v.lang, language_confidence = v.conf,
                text_hash = v.h, word_count = v.wc
            FROM ({select}) v WHERE articles.article_id = v.id""",
        [ids, *([r[k] for r in rows] for k in range(1, 5))],
    ).fetchall()
    for table in ("lsh_bands", "article_terms", "search_terms", "search_docs"):
        conn.execute(
            f"DELETE FROM {table} WHERE article_id IN (SELECT unnest(?))", [ids]
        ).fetchall()
    insert_rows(conn, "lsh_bands", ["kind", "key", "article_id", "bucket_date"], bands)
    insert_rows(conn, "article_terms", ["article_id", "terms"], terms)
    search.add(conn, postings)


def all_terms(
    conn: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[int, dict, datetime | None, str, str | None]]:
    """Every article's (id, term counts, publication time, language, its precision),
    pruned ones too."""
    last = -1
    while True:
        batch = conn.execute(
            f"""SELECT t.article_id, t.terms, a.published_at, coalesce(a.language, 'und'),
                      {story_precision("a")}
               FROM article_terms t JOIN articles a USING (article_id)
               WHERE t.article_id > ? ORDER BY t.article_id LIMIT 5000""",
            [last],
        ).fetchall()
        if not batch:
            return
        last = batch[-1][0]
        for aid, terms, published, language, precision in batch:
            yield aid, json.loads(terms), published, language, precision


def replace_term_df(conn: duckdb.DuckDBPyConnection, rows: Iterable[tuple[str, str, int]]) -> None:
    conn.execute("DELETE FROM term_df").fetchall()
    insert_rows(conn, "term_df", ["space", "term", "df"], list(rows))


def story_members(conn: duckdb.DuckDBPyConnection) -> dict[int, list[int]]:
    """Live stories (not absorbed) and their members."""
    out: dict[int, list[int]] = {}
    for sid, aid in conn.execute(
        """SELECT m.story_id, m.article_id FROM story_members m
           JOIN stories s USING (story_id) WHERE s.merged_into IS NULL
           ORDER BY m.story_id, m.article_id"""
    ).fetchall():
        out.setdefault(sid, []).append(aid)
    return out


def replace_story_profiles(
    conn: duckdb.DuckDBPyConnection,
    within: list[tuple[int, float, float, float]],
    terms: list[tuple[int, str, str, float]],
    keys: list[tuple[str, int]],
) -> None:
    """Story profiles (summed member vectors, top terms), coherence sums and index keys."""
    ids = [w[0] for w in within]
    conn.execute("DELETE FROM story_terms WHERE story_id IN (SELECT unnest(?))", [ids]).fetchall()
    conn.execute("DELETE FROM story_keys WHERE story_id IN (SELECT unnest(?))", [ids]).fetchall()
    insert_rows(conn, "story_terms", ["story_id", "space", "term", "weight"], terms)
    insert_rows(conn, "story_keys", ["key", "story_id"], keys)
    if within:
        conn.execute(
            """UPDATE stories SET within_words = v.w, within_entities = v.e,
                   within_numbers = v.n
               FROM (SELECT unnest(?) AS id, unnest(?) AS w, unnest(?) AS e, unnest(?) AS n) v
               WHERE stories.story_id = v.id""",
            [ids, [w[1] for w in within], [w[2] for w in within], [w[3] for w in within]],
        ).fetchall()
