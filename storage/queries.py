"""Read queries behind the command line and exports. Plain rows in, typed records out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from storage import search as search_db
from storage.lineage import lineage_order
from storage.runs import BY_ORIGIN

if TYPE_CHECKING:
    from mediawatch.search import Query


@dataclass(frozen=True)
class StoryRow:
    story_id: int
    title: str | None
    size: int
    n_sources: int
    n_independent: int
    n_groups: int
    first_date: datetime
    last_date: datetime
    origin_article_id: int | None
    languages: str | None = None  # the members' identified languages, space-separated
    growth: int = 0  # articles dated inside the growth window
    relevance: float | None = None  # best search score of its articles, when searching
    matching: int | None = None  # its articles that match the search


StorySort = Literal["size", "recent", "growth", "relevance"]


@dataclass(frozen=True)
class StoryFilter:
    """What `mediawatch stories` and the web list ask for; every field optional."""

    since: datetime | None = None  # stories with an article dated at or after
    until: datetime | None = None  # ... and at or before
    source: str | None = None  # with an article from a source containing this (any case)
    language: str | None = None  # with an article identified in this language (ISO 639-1)
    search: Query | None = None  # with an article matching this full-text query
    min_size: int = 1
    sort: StorySort = "size"
    growth_hours: float = 24.0  # growth: articles dated in the hours before `until` (or now)
    limit: int | None = 50
    offset: int = 0

    def growth_end(self) -> datetime:
        return self.until or datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ArticleRow:
    article_id: int
    url: str
    title: str | None
    source: str | None
    published_at: datetime | None
    date: datetime
    word_count: int
    extractor: str
    story_id: int | None
    group_id: int | None
    relation: str | None
    story_reason: str | None = None
    story_score: float | None = None
    pruned_at: datetime | None = None  # when its text was pruned (retention)
    published_precision: str | None = None  # second | minute | day | month (mediawatch.times)
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class GroupMember:
    article_id: int
    url: str
    title: str | None
    source: str | None
    date: datetime
    relation: str
    via_article_id: int | None
    similarity: float | None
    containment: float | None
    decision: dict[str, Any] = field(default_factory=dict)
    published_at: datetime | None = None
    published_precision: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class DupGroupRow:
    group_id: int
    story_id: int
    origin_article_id: int
    size: int
    members: list[GroupMember]


@dataclass(frozen=True)
class SourceCount:
    source: str  # the outlet; its URL when the source is unknown (as stories.n_sources counts)
    articles: int
    first_date: datetime
    copies: int  # articles that copy or rewrite another member of their group
    named: bool = True  # False: no source is known and ``source`` is the article's URL


@dataclass(frozen=True)
class StoryDetail:
    story: StoryRow
    articles: list[ArticleRow]  # the timeline: origin first, then as published
    groups: list[DupGroupRow]
    sources: list[SourceCount] = field(default_factory=list)
    independent: list[ArticleRow] = field(default_factory=list)  # one per distinct text


@dataclass(frozen=True)
class RunRow:
    run_id: int
    kind: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    sources: list[str]
    counts: dict[str, Any]
    error: str | None
    failures: int
    flow_run_id: str | None = None
    pid: int | None = None
    host: str | None = None
    articles: int = 0  # articles stored by the run (a crashed run's committed batches too)


@dataclass(frozen=True)
class FailureRow:
    run_id: int
    origin: str
    url: str | None
    stage: str
    reason: str
    at: datetime


_STORY_COLUMNS = """
    s.story_id, s.title, s.size, s.n_sources, s.n_independent,
    (SELECT count(*) FROM dup_groups g WHERE g.story_id = s.story_id) AS n_groups,
    s.first_date, s.last_date, s.origin_article_id,
    (SELECT string_agg(DISTINCT a.language, ' ' ORDER BY a.language)
       FROM story_members sm JOIN articles a USING (article_id)
      WHERE sm.story_id = s.story_id) AS languages
"""


_SORTS: dict[str, str] = {
    "size": "s.size DESC, s.last_date DESC, s.story_id",
    "recent": "s.last_date DESC, s.size DESC, s.story_id",
    "growth": "growth DESC, s.last_date DESC, s.size DESC, s.story_id",
    "relevance": "relevance DESC NULLS LAST, s.size DESC, s.story_id",
}


def list_stories(
    conn: duckdb.DuckDBPyConnection,
    where: StoryFilter | None = None,
    *,
    min_size: int | None = None,
    limit: int | None = None,
) -> list[StoryRow]:
    """Current stories that pass the filter, sorted as asked (largest first by default)."""
    f = where or StoryFilter(limit=None)
    if min_size is not None:
        f = replace(f, min_size=min_size)
    if limit is not None:
        f = replace(f, limit=limit)
    sql, params = _stories_sql(conn, f)
    if f.limit:
        sql += " LIMIT ? OFFSET ?"
        params += [f.limit, f.offset]
    elif f.offset:
        sql += " OFFSET ?"
        params.append(f.offset)
    return [StoryRow(*r) for r in conn.execute(sql, params).fetchall()]


def count_stories(conn: duckdb.DuckDBPyConnection, where: StoryFilter) -> int:
    """How many current stories pass the filter (for "50 of 348 shown")."""
    sql, params = _stories_sql(conn, where)
    return conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]


def _stories_sql(conn: duckdb.DuckDBPyConnection, f: StoryFilter) -> tuple[str, list]:
    if f.sort not in _SORTS:
        raise ValueError(f"unknown sort {f.sort!r}: {', '.join(_SORTS)}")
    ctes, params = [], []
    searching = f.search is not None and not f.search.empty
    if searching:
        sql, more = search_db.matches_sql(conn, f.search)
        ctes.append(f"hits AS ({sql})")
        params += more
        ctes.append(
            """found AS (SELECT sm.story_id, max(h.score) AS relevance, count(*) AS matching
                         FROM hits h JOIN story_members sm USING (article_id)
                         GROUP BY sm.story_id)"""
        )
    end = f.growth_end()
    ctes.append(
        """grown AS (SELECT sm.story_id, count(*) AS growth
                     FROM story_members sm JOIN articles a USING (article_id)
                     WHERE a.date > ? AND a.date <= ? GROUP BY sm.story_id)"""
    )
    params += [end - timedelta(hours=f.growth_hours), end]
    conditions = ["s.merged_into IS NULL", "s.size >= ?"]
    params.append(f.min_size)
    if f.search is not None and f.search.empty:  # only common words: no article matches,
        conditions.append("FALSE")  # as search_db.search finds none (not every story)
    if f.since is not None:
        conditions.append("s.last_date >= ?")
        params.append(f.since)
    if f.until is not None:
        conditions.append("s.first_date <= ?")
        params.append(f.until)
    if f.source:
        conditions.append(
            """EXISTS (SELECT 1 FROM story_members sm JOIN articles a USING (article_id)
                       WHERE sm.story_id = s.story_id AND a.source ILIKE ? ESCAPE '\\')"""
        )
        params.append(search_db.like_pattern(f.source))
    if f.language:
        conditions.append(
            """EXISTS (SELECT 1 FROM story_members sm JOIN articles a USING (article_id)
                       WHERE sm.story_id = s.story_id AND a.language = ?)"""
        )
        params.append(f.language)
    join = "JOIN found fd USING (story_id)" if searching else ""
    extra = "fd.relevance, fd.matching" if searching else "NULL AS relevance, NULL AS matching"
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT {_STORY_COLUMNS}, coalesce(g.growth, 0) AS growth, {extra}
        FROM stories s LEFT JOIN grown g USING (story_id) {join}
        WHERE {" AND ".join(conditions)}
        ORDER BY {_SORTS[f.sort]}
    """
    return sql, params


def list_sources(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Every source with its article count, most articles first (for filters)."""
    return conn.execute(
        "SELECT source, count(*) FROM articles WHERE source IS NOT NULL"
        " GROUP BY source ORDER BY count(*) DESC, source"
    ).fetchall()


def list_languages(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Every identified language with its article count, most articles first."""
    return conn.execute(
        "SELECT language, count(*) FROM articles WHERE language IS NOT NULL"
        " GROUP BY language ORDER BY count(*) DESC, language"
    ).fetchall()


def get_story_row(conn: duckdb.DuckDBPyConnection, story_id: int) -> StoryRow | None:
    """The story's own row, without its articles."""
    row = conn.execute(
        f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.story_id = ?", [story_id]
    ).fetchone()
    return StoryRow(*row) if row else None


# The lineage order: the story's origin is the first article in it (storage.lineage).
_LINEAGE_ORDER = lineage_order("a")


def get_story(conn: duckdb.DuckDBPyConnection, story_id: int) -> StoryDetail | None:
    """The story with its timeline, duplicate groups, sources and distinct texts."""
    story = get_story_row(conn, story_id)
    if story is None:
        return None
    articles = _articles(conn, "sm.story_id = ?", [story_id], order=_LINEAGE_ORDER)
    if story.origin_article_id is not None:  # the stored origin leads, whatever the clock
        articles.sort(key=lambda a: a.article_id != story.origin_article_id)
    group_ids = [
        r[0]
        for r in conn.execute(
            "SELECT group_id FROM dup_groups WHERE story_id = ? ORDER BY size DESC, group_id",
            [story_id],
        ).fetchall()
    ]
    sources = [
        SourceCount(*r)
        for r in conn.execute(
            """SELECT coalesce(a.source, a.url), count(*), min(a.date),
                      count(*) FILTER (WHERE dm.relation IS NOT NULL AND dm.relation <> 'origin'),
                      a.source IS NOT NULL
               FROM story_members sm JOIN articles a USING (article_id)
               LEFT JOIN dup_members dm USING (article_id)
               WHERE sm.story_id = ?
               GROUP BY ALL ORDER BY min(a.date), 1""",
            [story_id],
        ).fetchall()
    ]
    return StoryDetail(
        story,
        articles,
        [g for g in (get_group(conn, i) for i in group_ids) if g],
        sources,
        [a for a in articles if a.relation in (None, "origin")],
    )


def _articles(
    conn: duckdb.DuckDBPyConnection,
    where: str,
    params: list[Any],
    order: str = "a.date, a.fetched_at, a.article_id",
) -> list[ArticleRow]:
    rows = conn.execute(
        f"""
        SELECT a.article_id, a.url, a.title, a.source, a.published_at, a.date, a.word_count,
               a.extractor, sm.story_id, dm.group_id, dm.relation, sm.reason, sm.score,
               a.pruned_at, a.published_precision, a.fetched_at
        FROM articles a
        LEFT JOIN story_members sm USING (article_id)
        LEFT JOIN dup_members dm USING (article_id)
        WHERE {where}
        ORDER BY {order}
        """,
        params,
    ).fetchall()
    return [ArticleRow(*r) for r in rows]


def get_article(conn: duckdb.DuckDBPyConnection, article_id: int) -> ArticleRow | None:
    rows = _articles(conn, "a.article_id = ?", [article_id])
    return rows[0] if rows else None


def article_texts(conn: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, str | None]:
    rows = conn.execute(
        "SELECT article_id, text FROM articles WHERE article_id IN (SELECT unnest(?))", [ids]
    ).fetchall()
    return dict(rows)


def get_group(conn: duckdb.DuckDBPyConnection, group_id: int) -> DupGroupRow | None:
    head = conn.execute(
        "SELECT group_id, story_id, origin_article_id, size FROM dup_groups WHERE group_id = ?",
        [group_id],
    ).fetchone()
    if head is None:
        return None
    rows = conn.execute(
        f"""
        SELECT a.article_id, a.url, a.title, a.source, a.date, dm.relation,
               dm.via_article_id, dm.similarity, dm.containment, dm.decision,
               a.published_at, a.published_precision, a.fetched_at
        FROM dup_members dm JOIN articles a USING (article_id)
        WHERE dm.group_id = ?
        ORDER BY dm.relation <> 'origin', {lineage_order("a")}
        """,
        [group_id],
    ).fetchall()
    members = [GroupMember(*r[:9], json.loads(r[9]) if r[9] else {}, *r[10:]) for r in rows]
    return DupGroupRow(*head, members=members)


def list_groups(conn: duckdb.DuckDBPyConnection, *, limit: int | None = None) -> list[DupGroupRow]:
    sql = "SELECT group_id FROM dup_groups ORDER BY size DESC, group_id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [g for g in (get_group(conn, r[0]) for r in conn.execute(sql).fetchall()) if g]


def group_of(conn: duckdb.DuckDBPyConnection, article_id: int) -> int | None:
    row = conn.execute(
        "SELECT group_id FROM dup_members WHERE article_id = ?", [article_id]
    ).fetchone()
    return row[0] if row else None


def run_exists(conn: duckdb.DuckDBPyConnection, run_id: int) -> bool:
    return conn.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0] > 0


def list_runs(conn: duckdb.DuckDBPyConnection, limit: int | None = 20) -> list[RunRow]:
    """The latest runs first; ``limit`` None: all."""
    rows = conn.execute(
        """
        SELECT r.run_id, r.kind, r.state, r.started_at, r.finished_at, r.sources, r.counts,
               r.error, (SELECT count(*) FROM failures f WHERE f.run_id = r.run_id),
               r.flow_run_id, r.pid, r.host,
               (SELECT count(*) FROM articles a WHERE a.run_id = r.run_id)
        FROM runs r ORDER BY r.run_id DESC LIMIT ?
        """,
        [limit],
    ).fetchall()
    return [
        RunRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            json.loads(r[5]) if r[5] else [],
            json.loads(r[6]) if r[6] else {},
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
        )
        for r in rows
    ]


def list_failures(
    conn: duckdb.DuckDBPyConnection, run_id: int | None = None, limit: int | None = 100
) -> list[FailureRow]:
    """The latest failures first; ``limit`` None: all. Within a batch, by file and then
    line number as a number (``list.jsonl:3`` before ``:11``), the order they were read
    in and the run's summary lists them in."""
    where, params = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
    rows = conn.execute(
        f"SELECT run_id, origin, url, stage, reason, failed_at FROM failures {where}"
        f" ORDER BY failed_at DESC, {BY_ORIGIN} LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [FailureRow(*r) for r in rows]


EXPORTS: dict[str, str] = {
    # one record per article, with its story and duplicate group
    "articles": """
        SELECT a.article_id, a.url, a.title, a.text, a.published_at, a.published_precision,
               a.source, sm.story_id, dm.group_id AS duplicate_group_id, dm.relation,
               a.author, a.language, a.language_confidence, a.declared_language,
               a.fetched_at, a.extractor, a.text_hash,
               dm.similarity, dm.containment, sm.score AS story_score, a.guid, a.summary,
               a.pruned_at
        FROM articles a
        LEFT JOIN story_members sm USING (article_id)
        LEFT JOIN dup_members dm USING (article_id)
        ORDER BY a.article_id
    """,
    # one record per current story, with its origin article
    "stories": """
        SELECT s.story_id, s.title, s.size, s.n_sources, s.n_independent, s.n_groups,
               s.first_date, s.last_date, s.first_published, s.last_published,
               s.origin_article_id, o.url AS origin_url, o.source AS origin_source,
               (SELECT string_agg(DISTINCT a.language, ' ' ORDER BY a.language)
                  FROM story_members sm JOIN articles a USING (article_id)
                 WHERE sm.story_id = s.story_id) AS languages,
               s.created_at, s.updated_at
        FROM stories s LEFT JOIN articles o ON o.article_id = s.origin_article_id
        WHERE s.merged_into IS NULL
        ORDER BY s.story_id
    """,
    # one record per article membership: its story (with the clustering scores) and its
    # duplicate group (with the relation and the stored decision); the JSON columns are
    # nested objects in JSON exports, JSON text in CSV and Parquet
    "members": """
        SELECT sm.article_id, sm.story_id, sm.reason AS story_reason, sm.score AS story_score,
               sm.scores::JSON AS story_scores, dm.group_id AS duplicate_group_id, dm.relation,
               dm.via_article_id, dm.similarity, dm.containment, dm.decision::JSON AS decision,
               a.source, a.language, a.date, a.url, a.title, sm.joined_at
        FROM story_members sm JOIN articles a USING (article_id)
        LEFT JOIN dup_members dm USING (article_id)
        ORDER BY sm.story_id, a.date, sm.article_id
    """,
}
EXPORT_SQL = EXPORTS["articles"]


def export(conn: duckdb.DuckDBPyConnection, path: str, fmt: str, what: str = "articles") -> int:
    """Write one record per article, story or membership; DuckDB's own writers keep
    types for Parquet. Returns the number of records. (CSV for people goes through
    mediawatch.exports, which keeps spreadsheet formulas out.)"""
    options = {
        "jsonl": "FORMAT JSON",
        "json": "FORMAT JSON, ARRAY true",
        "csv": "FORMAT CSV, HEADER",
        "parquet": "FORMAT PARQUET",
    }
    if fmt not in options:
        raise ValueError(f"unknown export format {fmt!r} (jsonl, csv, parquet)")
    sql = EXPORTS[what]
    quoted = path.replace("'", "''")
    conn.execute(f"COPY ({sql}) TO '{quoted}' ({options[fmt]})")
    return conn.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]


def export_rows(
    conn: duckdb.DuckDBPyConnection, what: str = "articles"
) -> tuple[list[str], list[tuple]]:
    cur = conn.execute(EXPORTS[what])
    return [d[0] for d in cur.description], cur.fetchall()


def export_batches(
    conn: duckdb.DuckDBPyConnection, what: str = "articles", size: int = 1000
) -> tuple[list[tuple[str, str]], Iterator[list[tuple]]]:
    """The export's (column, type) pairs and its rows a batch at a time: a large
    archive is never held in memory whole."""
    cur = conn.execute(EXPORTS[what])
    columns = [(d[0], str(d[1])) for d in cur.description]

    def batches() -> Iterator[list[tuple]]:
        while rows := cur.fetchmany(size):
            yield rows

    return columns, batches()
