"""Read queries behind the command line and exports. Plain rows in, typed records out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb


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


@dataclass(frozen=True)
class DupGroupRow:
    group_id: int
    story_id: int
    origin_article_id: int
    size: int
    members: list[GroupMember]


@dataclass(frozen=True)
class StoryDetail:
    story: StoryRow
    articles: list[ArticleRow]
    groups: list[DupGroupRow]


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
    s.first_date, s.last_date, s.origin_article_id
"""


def list_stories(
    conn: duckdb.DuckDBPyConnection, *, min_size: int = 1, limit: int | None = None
) -> list[StoryRow]:
    sql = (
        f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.merged_into IS NULL AND s.size >= ?"
        " ORDER BY s.size DESC, s.last_date DESC, s.story_id"
    )
    params: list[Any] = [min_size]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [StoryRow(*r) for r in conn.execute(sql, params).fetchall()]


def get_story(conn: duckdb.DuckDBPyConnection, story_id: int) -> StoryDetail | None:
    row = conn.execute(
        f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.story_id = ?", [story_id]
    ).fetchone()
    if row is None:
        return None
    story = StoryRow(*row)
    articles = _articles(conn, "sm.story_id = ?", [story_id])
    group_ids = [
        r[0]
        for r in conn.execute(
            "SELECT group_id FROM dup_groups WHERE story_id = ? ORDER BY size DESC, group_id",
            [story_id],
        ).fetchall()
    ]
    return StoryDetail(
        story, articles, [g for g in map(lambda i: get_group(conn, i), group_ids) if g]
    )


def _articles(conn: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[ArticleRow]:
    rows = conn.execute(
        f"""
        SELECT a.article_id, a.url, a.title, a.source, a.published_at, a.date, a.word_count,
               a.extractor, sm.story_id, dm.group_id, dm.relation, sm.reason, sm.score
        FROM articles a
        LEFT JOIN story_members sm USING (article_id)
        LEFT JOIN dup_members dm USING (article_id)
        WHERE {where}
        ORDER BY a.date, a.fetched_at, a.article_id
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
        """
        SELECT a.article_id, a.url, a.title, a.source, a.date, dm.relation,
               dm.via_article_id, dm.similarity, dm.containment, dm.decision
        FROM dup_members dm JOIN articles a USING (article_id)
        WHERE dm.group_id = ?
        ORDER BY dm.relation <> 'origin', a.date, a.article_id
        """,
        [group_id],
    ).fetchall()
    members = [GroupMember(*r[:9], decision=json.loads(r[9]) if r[9] else {}) for r in rows]
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


def list_runs(conn: duckdb.DuckDBPyConnection, limit: int = 20) -> list[RunRow]:
    rows = conn.execute(
        """
        SELECT r.run_id, r.kind, r.state, r.started_at, r.finished_at, r.sources, r.counts,
               r.error, (SELECT count(*) FROM failures f WHERE f.run_id = r.run_id)
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
        )
        for r in rows
    ]


def list_failures(
    conn: duckdb.DuckDBPyConnection, run_id: int | None = None, limit: int = 100
) -> list[FailureRow]:
    where, params = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
    rows = conn.execute(
        f"SELECT run_id, origin, url, stage, reason, failed_at FROM failures {where}"
        " ORDER BY failed_at DESC, origin LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [FailureRow(*r) for r in rows]


EXPORT_SQL = """
    SELECT a.article_id, a.url, a.title, a.text, a.published_at, a.source,
           sm.story_id, dm.group_id AS duplicate_group_id, dm.relation,
           a.author, a.language, a.fetched_at, a.extractor, a.text_hash,
           dm.similarity, dm.containment, sm.score AS story_score, a.guid, a.summary
    FROM articles a
    LEFT JOIN story_members sm USING (article_id)
    LEFT JOIN dup_members dm USING (article_id)
    ORDER BY a.article_id
"""


def export(conn: duckdb.DuckDBPyConnection, path: str, fmt: str) -> int:
    """Write one record per article; DuckDB's own writers keep types for Parquet."""
    options = {"jsonl": "FORMAT JSON", "csv": "FORMAT CSV, HEADER", "parquet": "FORMAT PARQUET"}
    if fmt not in options:
        raise ValueError(f"unknown export format {fmt!r} (jsonl, csv, parquet)")
    quoted = path.replace("'", "''")
    conn.execute(f"COPY ({EXPORT_SQL}) TO '{quoted}' ({options[fmt]})")
    return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def export_rows(conn: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    cur = conn.execute(EXPORT_SQL)
    return [d[0] for d in cur.description], cur.fetchall()
