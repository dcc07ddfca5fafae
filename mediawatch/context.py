"""One article in its context: its story and how it joined, its duplicate group and
relation with the scores that decided it, its revisions with what changed between
them, its source, publication time (and how precise it is) and language.

Read by `mediawatch article ID` (mediawatch.article_view) and the inspector's
article page; both show the same record.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import duckdb

from mediawatch.diff import TextDiff, diff_texts
from mediawatch.times import describe
from storage import context as context_db
from storage import queries
from storage.context import ArticleRecord, StoryMembership

# (score, its threshold in the stored decision): the scores a duplicate decision rests on
DECISION_SCORES = [
    ("coverage_shorter", "near_copy_coverage"),
    ("sentence_alignment", "rewrite_alignment"),
    ("aligned_sentences", "rewrite_min_aligned"),
    ("word_containment", "rewrite_word_containment"),
    ("length_ratio", "containment_report_ratio"),
    ("shingle_jaccard", None),
    ("tokens_a", "min_tokens"),
    ("tokens_b", "min_tokens"),
]
MAX_DIFF_VERSIONS = 20  # diffs shown between the latest versions; older ones are listed


@dataclass(frozen=True)
class Score:
    name: str
    value: Any
    threshold: Any = None


@dataclass(frozen=True)
class Version:
    number: int  # 1: as first stored
    title: str | None
    text: str | None  # None once pruned
    until: datetime | None  # when the next version replaced it; None: the current one
    run_id: int | None


@dataclass(frozen=True)
class VersionChange:
    """What changed from one version to the next."""

    older: int
    newer: int
    title_before: str | None
    title_after: str | None
    diff: TextDiff | None  # None when a text was pruned or the text did not change
    note: str | None = None

    @property
    def title_changed(self) -> bool:
        return self.title_before != self.title_after


@dataclass(frozen=True)
class ArticleContext:
    article: ArticleRecord
    published: str  # the publication time as precisely as it is known, in words
    web_url: str | None  # the original address, when it is an http(s) URL
    story: queries.StoryRow | None
    membership: StoryMembership | None
    story_scores: list[Score]
    group: queries.DupGroupRow | None
    member: queries.GroupMember | None
    relation_scores: list[Score]
    versions: list[Version] = field(default_factory=list)
    changes: list[VersionChange] = field(default_factory=list)


def web_url(*urls: str | None) -> str | None:
    """The first of ``urls`` a browser may follow (http or https), else None."""
    for url in urls:
        if not url:
            continue
        try:
            scheme = urlsplit(url.strip()).scheme.lower()
        except ValueError:
            continue
        if scheme in ("http", "https"):
            return url.strip()
    return None


def decision_scores(decision: dict[str, Any]) -> list[Score]:
    scores, thresholds = decision.get("scores", {}), decision.get("thresholds", {})
    return [
        Score(name, scores.get(name), thresholds.get(key) if key else None)
        for name, key in DECISION_SCORES
        if name in scores
    ]


def story_scores(scores: dict[str, Any]) -> list[Score]:
    """The clustering scores that joined the article to its story (stored when it joined)."""
    out = [
        Score(f"similarity ({space})", value, None)
        for space, value in (scores.get("space_scores") or {}).items()
    ]
    for name in ("fit", "time_factor", "margin"):
        if scores.get(name) is not None:
            out.append(Score(name.replace("_", " "), scores[name], None))
    return out


def article_context(conn: duckdb.DuckDBPyConnection, article_id: int) -> ArticleContext | None:
    record = context_db.article_record(conn, article_id)
    if record is None:
        return None
    membership = context_db.story_membership(conn, article_id)
    story = queries.get_story_row(conn, membership.story_id) if membership else None
    group_id = queries.group_of(conn, article_id)
    group = queries.get_group(conn, group_id) if group_id is not None else None
    member = next((m for m in group.members if m.article_id == article_id), None) if group else None
    s_scores = story_scores(membership.scores) if membership else []
    if membership and membership.score is not None:
        s_scores.insert(
            0, Score("story score", membership.score, membership.scores.get("threshold"))
        )
    versions = [
        Version(i, r.title, r.text, r.replaced_at, r.run_id)
        for i, r in enumerate(context_db.revisions(conn, article_id), start=1)
    ]
    versions.append(Version(len(versions) + 1, record.title, record.text, None, record.run_id))
    return ArticleContext(
        article=record,
        published=describe(record.published_at, record.published_precision),
        web_url=web_url(record.original_url, record.url, record.canonical_url),
        story=story,
        membership=membership,
        story_scores=s_scores,
        group=group,
        member=member,
        relation_scores=decision_scores(member.decision) if member and member.decision else [],
        versions=versions,
        changes=_changes(versions),
    )


def _changes(versions: list[Version]) -> list[VersionChange]:
    out = []
    pairs = list(itertools.pairwise(versions))
    for older, newer in pairs[-MAX_DIFF_VERSIONS:]:
        note, diff = None, None
        if older.text is None or newer.text is None:
            note = "a text was pruned (retention): nothing to compare"
        elif older.text == newer.text:
            note = "the text did not change"
        else:
            diff = diff_texts(older.text, newer.text)
        out.append(VersionChange(older.number, newer.number, older.title, newer.title, diff, note))
    return out
