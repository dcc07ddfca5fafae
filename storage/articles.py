"""Articles, their revisions, story memberships and story aggregates."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.bulk import insert_rows
from storage.lineage import lineage_struct


@dataclass(frozen=True)
class Known:
    article_id: int
    raw_hash: str | None
    text_hash: str
    title: str | None


def known(conn: duckdb.DuckDBPyConnection, url_keys: Iterable[str]) -> dict[str, Known]:
    keys = sorted(set(url_keys))
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT url_key, article_id, raw_hash, text_hash, title FROM articles"
        " WHERE url_key IN (SELECT unnest(?))",
        [keys],
    ).fetchall()
    return {r[0]: Known(*r[1:]) for r in rows}


def store_is_empty(conn: duckdb.DuckDBPyConnection) -> bool:
    """No article and no rejected item: every item a run reads is new to this database."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM articles) OR EXISTS (SELECT 1 FROM rejected_items)"
    ).fetchone()
    return not (row and row[0])


def known_by_id(conn: duckdb.DuckDBPyConnection, ids: Iterable[int]) -> dict[int, Known]:
    """Stored articles by id: a feed item known by its guid may come back at a new URL."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT article_id, raw_hash, text_hash, title FROM articles"
        " WHERE article_id IN (SELECT unnest(?))",
        [wanted],
    ).fetchall()
    return {r[0]: Known(*r) for r in rows}


def fetched(
    conn: duckdb.DuckDBPyConnection, url_keys: Iterable[str]
) -> dict[str, tuple[int, datetime]]:
    """url_key -> (article_id, fetched_at): feed items already stored from elsewhere."""
    keys = sorted(set(url_keys))
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT url_key, article_id, fetched_at FROM articles WHERE url_key IN (SELECT unnest(?))",
        [keys],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def next_ids(conn: duckdb.DuckDBPyConnection, n: int) -> list[int]:
    if n == 0:
        return []
    return [
        r[0] for r in conn.execute("SELECT nextval('article_ids') FROM range(?)", [n]).fetchall()
    ]


ARTICLE_COLUMNS = [
    "article_id",
    "url",
    "url_key",
    "original_url",
    "guid",
    "title",
    "text",
    "text_hash",
    "raw_hash",
    "word_count",
    "author",
    "source",
    "language",
    "extractor",
    "published_at",
    "fetched_at",
    "date",
    "origin",
    "run_id",
    "stored_at",
    "summary",
    "language_confidence",
    "declared_language",
    "published_precision",
    "title_derived",
    "canonical_url",
]


def insert(conn: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    insert_rows(conn, "articles", ARTICLE_COLUMNS, rows)


def touch_raw_hash(conn: duckdb.DuckDBPyConnection, article_id: int, raw_hash: str) -> None:
    """Same text from changed bytes (new ads, new markup): remember the bytes, nothing else."""
    conn.execute("UPDATE articles SET raw_hash = ? WHERE article_id = ?", [raw_hash, article_id])


def revise(
    conn: duckdb.DuckDBPyConnection,
    article_id: int,
    title: str | None,
    text: str,
    text_hash: str,
    raw_hash: str,
    run_id: int,
    now: datetime,
    title_derived: bool = False,
) -> None:
    """Keep the previous version in article_revisions, then store the new one."""
    from mediawatch.text.segment import word_count  # the count a new article gets

    conn.execute(
        """INSERT INTO article_revisions
           SELECT article_id,
                  (SELECT count(*) + 1 FROM article_revisions r WHERE r.article_id = a.article_id),
                  title, text, text_hash, ?, ?
           FROM articles a WHERE article_id = ?""",
        [now, run_id, article_id],
    )
    conn.execute(
        "UPDATE articles SET title = ?, text = ?, text_hash = ?, raw_hash = ?, word_count = ?,"
        " title_derived = ? WHERE article_id = ?",
        [title, text, text_hash, raw_hash, word_count(text), title_derived, article_id],
    )


def story_of(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return dict(
        conn.execute(
            "SELECT article_id, story_id FROM story_members WHERE article_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    )


@dataclass(frozen=True)
class Membership:
    article_id: int
    story_id: int
    reason: str
    score: float | None
    scores: dict | None


def set_memberships(
    conn: duckdb.DuckDBPyConnection, rows: list[Membership], run_id: int, now: datetime
) -> None:
    if not rows:
        return
    conn.execute(
        "DELETE FROM story_members WHERE article_id IN (SELECT unnest(?))",
        [[m.article_id for m in rows]],
    )
    insert_rows(
        conn,
        "story_members",
        ["article_id", "story_id", "reason", "score", "scores", "joined_at", "run_id"],
        [
            (
                m.article_id,
                m.story_id,
                m.reason,
                m.score,
                json.dumps(m.scores) if m.scores is not None else None,
                now,
                run_id,
            )
            for m in rows
        ],
    )


def mark_merged(conn: duckdb.DuckDBPyConnection, merged: dict[int, int], now: datetime) -> None:
    for gone, into in merged.items():
        conn.execute(
            "UPDATE stories SET merged_into = ?, size = 0, updated_at = ? WHERE story_id = ?",
            [into, now, gone],
        )


# A story's counts from its members (story_members joined to articles ``a`` and, left,
# dup_members ``dm``): independent articles count each duplicate group once. Written by
# refresh_stories, compared with the stored ones by storage.check.
MEMBER_COUNTS = """count(*) AS size,
                   count(DISTINCT coalesce(a.source, a.url)) AS n_sources,
                   count(DISTINCT coalesce('g' || dm.group_id, 'a' || a.article_id))
                       AS n_independent,
                   count(DISTINCT dm.group_id) AS n_groups"""


def refresh_stories(conn: duckdb.DuckDBPyConnection, story_ids: Iterable[int]) -> None:
    """Recompute each story's lineage and aggregates from its members.

    The origin is the article published first (storage.lineage: the latest moment each
    publication time allows, ties to the finer precision, the earlier fetch, the lower id);
    independent articles count each duplicate group once.
    """
    ids = sorted(set(story_ids))
    if not ids:
        return
    conn.execute(
        """
        UPDATE dup_groups SET story_id = sm.story_id
        FROM story_members sm
        WHERE sm.article_id = dup_groups.origin_article_id
          AND dup_groups.group_id IN (
              SELECT dm.group_id FROM dup_members dm JOIN story_members s USING (article_id)
              WHERE s.story_id IN (SELECT unnest($1)))
        """,
        [ids],
    )
    conn.execute(
        """
        UPDATE stories SET
            size = x.size, n_sources = x.n_sources, n_independent = x.n_independent,
            n_groups = x.n_groups, first_date = x.first_date, last_date = x.last_date,
            origin_article_id = x.origin, title = x.title
        FROM (
            SELECT sm.story_id,
                   {counts},
                   min(a.date) AS first_date,
                   max(a.date) AS last_date,
                   arg_min(a.article_id, {first}) AS origin,
                   arg_min(a.title, {first}) AS title
            FROM story_members sm
            JOIN articles a USING (article_id)
            LEFT JOIN dup_members dm USING (article_id)
            WHERE sm.story_id IN (SELECT unnest($1))
            GROUP BY sm.story_id
        ) x
        WHERE stories.story_id = x.story_id
        """.replace("{first}", lineage_struct("a")).replace("{counts}", MEMBER_COUNTS),
        [ids],
    )
