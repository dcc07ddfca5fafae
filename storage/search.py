"""The full-text index: written with each stored batch, read with BM25 ranking.

``search_terms`` holds (term, article, count); ``search_docs`` each indexed
article's length. Terms come from mediawatch.search.index_terms, queries from
mediawatch.search.parse_query; this module only moves them in and out of SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from storage.bulk import insert_rows

if TYPE_CHECKING:
    from mediawatch.search import Query, QueryTerm

K1, B = 1.2, 0.75  # BM25's usual constants: term saturation and length normalisation
MAX_PREFIX_TERMS = 200  # a prefix expands to at most this many indexed words


def index(
    conn: duckdb.DuckDBPyConnection,
    docs: Iterable[tuple[int, str | None, str | None, str | None]],
) -> int:
    """(Re)index articles given as (article_id, title, text, language); replaces their rows."""
    from mediawatch.search import index_terms  # tokenising loads datasketch: not for readers

    ids: list[int] = []
    lengths: list[tuple[int, int]] = []
    rows: list[tuple[str, int, int]] = []
    for article_id, title, text, language in docs:
        counts, length = index_terms(title, text, language=language)
        ids.append(article_id)
        lengths.append((article_id, length))
        rows.extend((term, article_id, tf) for term, tf in counts.items())
    if not ids:
        return 0
    conn.execute("DELETE FROM search_terms WHERE article_id IN (SELECT unnest(?))", [ids])
    conn.execute("DELETE FROM search_docs WHERE article_id IN (SELECT unnest(?))", [ids])
    insert_rows(conn, "search_terms", ["term", "article_id", "tf"], rows)
    insert_rows(conn, "search_docs", ["article_id", "length"], lengths)
    return len(ids)


def add(conn: duckdb.DuckDBPyConnection, docs: Iterable[tuple[int, dict[str, int]]]) -> int:
    """Index new articles from their term counts (mediawatch.search.index_terms, computed
    where they were fingerprinted); new ids have no rows to replace."""
    lengths: list[tuple[int, int]] = []
    rows: list[tuple[str, int, int]] = []
    for article_id, counts in docs:
        # stem postings ("~stem") repeat words already counted: not part of the length
        lengths.append((article_id, sum(c for t, c in counts.items() if t[:1] != "~")))
        rows.extend((term, article_id, tf) for term, tf in counts.items())
    insert_rows(conn, "search_terms", ["term", "article_id", "tf"], rows)
    insert_rows(conn, "search_docs", ["article_id", "length"], lengths)
    return len(lengths)


def index_stored(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> int:
    """(Re)index stored articles from their stored title and text (new or revised)."""
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    rows = conn.execute(
        "SELECT article_id, title, text, language FROM articles"
        " WHERE article_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall()
    return index(conn, rows)


def backfill(conn: duckdb.DuckDBPyConnection, batch: int = 2000) -> int:
    """Index the articles that have no index rows yet (stored before the index
    existed); returns how many. Cheap when there is nothing to do."""
    total = 0
    while True:
        rows = conn.execute(
            """SELECT a.article_id, a.title, a.text, a.language FROM articles a
               ANTI JOIN search_docs d USING (article_id)
               ORDER BY a.article_id LIMIT ?""",
            [batch],
        ).fetchall()
        if not rows:
            return total
        total += index(conn, rows)


def coverage(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(indexed articles, all articles): a search over a partial index says so."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM search_docs), (SELECT count(*) FROM articles)"
    ).fetchone()


def _expand_prefix(conn: duckdb.DuckDBPyConnection, term: QueryTerm) -> list[str]:
    """The indexed words that ``term`` (a prefix, accent-folded) begins, accents aside:
    "haus" finds "häuser" as "häus" does. The pattern runs only on the words that start
    with the prefix's first letter or with an accented Latin letter (cheap comparisons)."""
    if term.pattern is None:
        sql, params = "starts_with(term, ?)", [term.word]
    else:
        from mediawatch.search import FOLDED_BLOCKS  # loaded already: the query came from it

        blocks = " OR ".join("(term >= ? AND term < ?)" for _ in FOLDED_BLOCKS)
        sql = f"(starts_with(term, ?) OR {blocks}) AND regexp_matches(term, ?)"
        params = [term.word[0], *(b for block in FOLDED_BLOCKS for b in block), term.pattern]
    return [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT term FROM search_terms WHERE {sql} ORDER BY term LIMIT ?",
            [*params, MAX_PREFIX_TERMS],
        ).fetchall()
    ]


def matches_sql(conn: duckdb.DuckDBPyConnection, query: Query) -> tuple[str, list]:
    """A SELECT of (article_id, score) for the articles that satisfy ``query``:
    every word (in one of its forms) and every phrase; BM25 over the words."""
    qi: list[int] = []
    terms: list[str] = []
    for i, t in enumerate(query.terms):
        forms = _expand_prefix(conn, t) if t.prefix else list(t.forms)
        qi.extend([i] * len(forms))
        terms.extend(forms)
    params: list = []
    if query.terms:
        sql = f"""
            WITH q AS (SELECT unnest(?::INTEGER[]) AS qi, unnest(?::VARCHAR[]) AS term),
            stats AS (SELECT count(*) AS n, greatest(coalesce(avg(length), 1), 1) AS avglen
                      FROM search_docs),
            hits AS (SELECT t.term, t.article_id, t.tf, q.qi
                     FROM search_terms t JOIN q USING (term)),
            df AS (SELECT term, count(*) AS df FROM hits GROUP BY term)
            SELECT h.article_id,
                   sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
                       * h.tf * {K1 + 1} / (h.tf + {K1} * (1 - {B} + {B} * d.length / s.avglen)))
                       AS score
            FROM hits h JOIN df USING (term) JOIN search_docs d USING (article_id)
                 CROSS JOIN stats s
            GROUP BY h.article_id
            HAVING count(DISTINCT h.qi) = ?
        """
        params += [qi, terms, len(query.terms)]
    else:  # phrases of stopwords only: nothing to rank by
        sql = "SELECT article_id, 0.0::DOUBLE AS score FROM articles"
    for pattern in query.phrases:
        sql = f"""
            SELECT m.article_id, m.score FROM ({sql}) m JOIN articles a USING (article_id)
            WHERE regexp_matches(coalesce(a.title, '') || chr(10) || coalesce(a.text, ''), ?)
        """
        params.append(pattern)
    return sql, params


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    score: float
    title: str | None
    source: str | None
    date: datetime
    url: str
    story_id: int | None
    group_id: int | None
    relation: str | None
    text: str | None  # for a snippet; not part of the JSON a script wants


def search(
    conn: duckdb.DuckDBPyConnection,
    query: Query,
    *,
    limit: int | None = 50,
    offset: int = 0,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
) -> list[SearchHit]:
    """Matching articles, best first, with their story and duplicate group; ``limit``
    None: all."""
    if query.empty:
        return []
    sql, params = matches_sql(conn, query)
    where, more = _article_filters(since, until, source)
    rows = conn.execute(
        f"""
        WITH m AS ({sql})
        SELECT a.article_id, m.score, a.title, a.source, a.date, a.url,
               sm.story_id, dm.group_id, dm.relation, a.text
        FROM m JOIN articles a USING (article_id)
        LEFT JOIN story_members sm USING (article_id)
        LEFT JOIN dup_members dm USING (article_id)
        WHERE {where}
        ORDER BY m.score DESC, a.date DESC, a.article_id
        LIMIT ? OFFSET ?
        """,
        [*params, *more, limit, offset],
    ).fetchall()
    return [SearchHit(*r) for r in rows]


def like_pattern(text: str) -> str:
    """``text`` anywhere, case-insensitive, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _article_filters(
    since: datetime | None, until: datetime | None, source: str | None
) -> tuple[str, list]:
    where, params = ["TRUE"], []
    if since is not None:
        where.append("a.date >= ?")
        params.append(since)
    if until is not None:
        where.append("a.date <= ?")
        params.append(until)
    if source:
        where.append("a.source ILIKE ? ESCAPE '\\'")
        params.append(like_pattern(source))
    return " AND ".join(where), params


def count_matches(
    conn: duckdb.DuckDBPyConnection,
    query: Query,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
) -> int:
    """How many articles ``search`` would find without a limit (for "20 of 75 shown")."""
    if query.empty:
        return 0
    sql, params = matches_sql(conn, query)
    where, more = _article_filters(since, until, source)
    return conn.execute(
        f"WITH m AS ({sql}) SELECT count(*) FROM m JOIN articles a USING (article_id) "
        f"WHERE {where}",
        [*params, *more],
    ).fetchone()[0]
