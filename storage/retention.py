"""Retention: prune the texts of old articles, keep everything else.

An article's text (and the texts of its earlier revisions) can be pruned once its
story is closed and old: the story's latest article is older than both the
matching window and the retention period. Whole stories are pruned at once, so a
duplicate group (which lives inside one story) is either fully kept or fully
pruned. Titles, metadata, story and duplicate-group membership, LSH bands, terms
and the search index rows stay: pruned articles still count, show and are found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

_ELIGIBLE = """
    SELECT sm.article_id
    FROM story_members sm JOIN stories s USING (story_id)
    WHERE s.last_date < ?
"""


@dataclass(frozen=True)
class PruneResult:
    articles: int  # article texts pruned now
    revisions: int  # earlier revisions' texts pruned now
    stories: int  # stories whose texts are now all pruned


def prune_texts(
    conn: duckdb.DuckDBPyConnection, before: datetime, now: datetime, dry_run: bool = False
) -> PruneResult:
    """Prune the texts of every article in a story whose latest article is dated before
    ``before``; ``dry_run`` counts without changing anything."""
    articles = conn.execute(
        f"SELECT count(*) FROM articles WHERE text IS NOT NULL AND article_id IN ({_ELIGIBLE})",
        [before],
    ).fetchone()[0]
    revisions = conn.execute(
        f"SELECT count(*) FROM article_revisions WHERE text IS NOT NULL"
        f" AND article_id IN ({_ELIGIBLE})",
        [before],
    ).fetchone()[0]
    stories = conn.execute(
        """SELECT count(DISTINCT sm.story_id)
           FROM story_members sm JOIN stories s USING (story_id)
           JOIN articles a USING (article_id)
           WHERE s.last_date < ? AND a.text IS NOT NULL""",
        [before],
    ).fetchone()[0]
    if not dry_run and (articles or revisions):
        conn.execute(
            f"UPDATE articles SET text = NULL, pruned_at = ?"
            f" WHERE text IS NOT NULL AND article_id IN ({_ELIGIBLE})",
            [now, before],
        )
        conn.execute(
            f"UPDATE article_revisions SET text = NULL"
            f" WHERE text IS NOT NULL AND article_id IN ({_ELIGIBLE})",
            [before],
        )
    return PruneResult(articles, revisions, stories)


def pruned_count(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT count(*) FROM articles WHERE pruned_at IS NOT NULL").fetchone()[0]
