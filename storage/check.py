"""Consistency of the database: the invariants every committed batch keeps.

Used after crashes (tests kill runs with SIGKILL) and by `mediawatch check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from storage import corrections
from storage.articles import MEMBER_COUNTS

# (what is wrong, a query counting the rows that show it)
_CHECKS: list[tuple[str, str]] = [
    (
        "articles without exactly one story membership",
        """SELECT count(*) FROM articles a
           WHERE (SELECT count(*) FROM story_members sm WHERE sm.article_id = a.article_id) <> 1""",
    ),
    (
        "story memberships of missing articles",
        """SELECT count(*) FROM story_members
           WHERE article_id NOT IN (SELECT article_id FROM articles)""",
    ),
    (
        "articles in a missing or merged story",
        """SELECT count(*) FROM story_members sm LEFT JOIN stories s USING (story_id)
           WHERE s.story_id IS NULL OR s.merged_into IS NOT NULL""",
    ),
    (
        "stories whose size is not their number of articles",
        """SELECT count(*) FROM stories s
           WHERE s.merged_into IS NULL
             AND s.size <> (SELECT count(*) FROM story_members sm
                            WHERE sm.story_id = s.story_id)""",
    ),
    (
        "stories whose numbers of sources, independent articles or duplicate groups"
        " are not what their articles give",
        f"""SELECT count(*) FROM stories s JOIN (
               SELECT sm.story_id, {MEMBER_COUNTS}
               FROM story_members sm JOIN articles a USING (article_id)
               LEFT JOIN dup_members dm USING (article_id)
               GROUP BY sm.story_id) x USING (story_id)
           WHERE s.merged_into IS NULL
             AND (s.n_sources <> x.n_sources OR s.n_independent <> x.n_independent
                  OR s.n_groups <> x.n_groups)""",
    ),
    (
        "duplicate groups whose size is not their number of members",
        """SELECT count(*) FROM dup_groups g
           WHERE g.size <> (SELECT count(*) FROM dup_members m WHERE m.group_id = g.group_id)""",
    ),
    (
        "duplicate groups with fewer than two members",
        "SELECT count(*) FROM dup_groups WHERE size < 2",
    ),
    (
        "group members of missing articles or groups",
        """SELECT count(*) FROM dup_members m
           WHERE m.article_id NOT IN (SELECT article_id FROM articles)
              OR m.group_id NOT IN (SELECT group_id FROM dup_groups)""",
    ),
    (
        "duplicate groups whose origin is not their 'origin' member",
        """SELECT count(*) FROM dup_groups g
           WHERE NOT EXISTS (SELECT 1 FROM dup_members m WHERE m.group_id = g.group_id
                             AND m.article_id = g.origin_article_id AND m.relation = 'origin')""",
    ),
    (
        "duplicate groups spread over more than one story, or not in their story",
        """SELECT count(*) FROM dup_groups g
           WHERE EXISTS (SELECT 1 FROM dup_members m JOIN story_members sm USING (article_id)
                         WHERE m.group_id = g.group_id AND sm.story_id <> g.story_id)""",
    ),
    (
        "LSH bands of missing articles",
        "SELECT count(*) FROM lsh_bands WHERE article_id NOT IN (SELECT article_id FROM articles)",
    ),
    (
        "articles without clustering terms",
        """SELECT count(*) FROM articles
           WHERE article_id NOT IN (SELECT article_id FROM article_terms)""",
    ),
    (
        "articles missing from the search index",
        """SELECT count(*) FROM articles
           WHERE article_id NOT IN (SELECT article_id FROM search_docs)""",
    ),
    (
        "search index rows of missing articles",
        """SELECT count(*) FROM search_docs
           WHERE article_id NOT IN (SELECT article_id FROM articles)""",
    ),
    (
        "feed items pointing at missing articles",
        """SELECT count(*) FROM feed_items
           WHERE article_id IS NOT NULL AND article_id NOT IN (SELECT article_id FROM articles)""",
    ),
    (
        "articles numbered beyond the article counter (ids would be given twice)",
        """SELECT count(*) FROM articles
           WHERE article_id > (SELECT coalesce(last_value, 0) FROM duckdb_sequences()
                               WHERE sequence_name = 'article_ids')""",
    ),
]


@dataclass(frozen=True)
class CheckResult:
    articles: int
    stories: int
    groups: int
    problems: dict[str, int] = field(default_factory=dict)  # what is wrong -> rows

    @property
    def ok(self) -> bool:
        return not self.problems


def check(conn: duckdb.DuckDBPyConnection) -> CheckResult:
    problems: dict[str, int] = {}
    for what, sql in _CHECKS:
        n = conn.execute(sql).fetchone()[0]
        if n:
            problems[what] = n
    for what, ids in corrections.violations(conn).items():  # an analyst's corrections hold
        problems[what] = len(ids)
    return CheckResult(
        conn.execute("SELECT count(*) FROM articles").fetchone()[0],
        conn.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL").fetchone()[0],
        conn.execute("SELECT count(*) FROM dup_groups").fetchone()[0],
        problems,
    )
