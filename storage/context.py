"""An article's own record and its history, for `mediawatch article` and its page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb


@dataclass(frozen=True)
class ArticleRecord:
    """Everything stored about one article but its memberships (storage.queries has those)."""

    article_id: int
    url: str
    original_url: str | None
    guid: str | None
    title: str | None
    text: str | None
    word_count: int
    author: str | None
    source: str | None
    language: str | None
    language_confidence: float | None
    declared_language: str | None
    extractor: str
    published_at: datetime | None
    published_precision: str | None
    fetched_at: datetime
    date: datetime
    origin: str | None
    run_id: int
    stored_at: datetime
    summary: str | None
    pruned_at: datetime | None
    title_derived: bool = False  # the title is the first sentence: none was given
    canonical_url: str | None = None  # the address the page names for itself


@dataclass(frozen=True)
class StoryMembership:
    story_id: int
    reason: str
    score: float | None
    scores: dict[str, Any] = field(default_factory=dict)
    joined_at: datetime | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class Revision:
    """An earlier version: what the article said until ``replaced_at``."""

    revision: int
    title: str | None
    text: str | None  # None once pruned
    replaced_at: datetime
    run_id: int


def article_record(conn: duckdb.DuckDBPyConnection, article_id: int) -> ArticleRecord | None:
    row = conn.execute(
        """SELECT article_id, url, original_url, guid, title, text, word_count, author, source,
                  language, language_confidence, declared_language, extractor, published_at,
                  published_precision, fetched_at, date, origin, run_id, stored_at, summary,
                  pruned_at, title_derived, canonical_url
           FROM articles WHERE article_id = ?""",
        [article_id],
    ).fetchone()
    return ArticleRecord(*row) if row else None


def story_membership(conn: duckdb.DuckDBPyConnection, article_id: int) -> StoryMembership | None:
    row = conn.execute(
        "SELECT story_id, reason, score, scores, joined_at, run_id FROM story_members"
        " WHERE article_id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    return StoryMembership(row[0], row[1], row[2], json.loads(row[3]) if row[3] else {}, *row[4:])


def revisions(conn: duckdb.DuckDBPyConnection, article_id: int) -> list[Revision]:
    """Earlier versions, oldest first."""
    rows = conn.execute(
        "SELECT revision, title, text, replaced_at, run_id FROM article_revisions"
        " WHERE article_id = ? ORDER BY revision",
        [article_id],
    ).fetchall()
    return [Revision(*r) for r in rows]
