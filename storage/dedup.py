"""Duplicate groups and the persistent LSH index in DuckDB.

Candidates for a batch are an equi-join of its band keys with ``lsh_bands``,
restricted to the matching window by ``bucket_date``. Rows are appended in arrival
order, which is mostly date order, so DuckDB's per-row-group min/max skips
everything outside the window: the join's cost follows the window, not the archive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime

import duckdb

from mediawatch.fingerprint import SENT_MAX_BUCKET
from mediawatch.match.batch import (
    KIND_IDS,
    MatchOutcome,
    StoredArticle,
    StoredGroup,
    StoredMember,
)
from mediawatch.match.revise import GroupChange, GroupTexts, MemberText
from mediawatch.match.storymates import StoryCheck
from mediawatch.times import lineage_key
from storage.bulk import insert_rows

# The columns of a dup_members row, in the order the writers give them.
MEMBER_COLUMNS = [
    "article_id",
    "group_id",
    "relation",
    "via_article_id",
    "similarity",
    "containment",
    "decision",
    "joined_at",
    "run_id",
]


def candidate_ids(
    conn: duckdb.DuckDBPyConnection, keys: Iterable[tuple[int, int]], since: date, until: date
) -> set[int]:
    """Stored articles sharing a band key with the batch, inside the window.

    A sentence key held by more than SENT_MAX_BUCKET articles is a boilerplate
    sentence and is skipped: it would pair everything with everything. Articles whose
    text was pruned (retention) cannot be verified against and are left out; their
    bands stay (old bands drop out of the window by their date anyway).
    """
    keys = sorted(set(keys))
    if not keys:
        return set()
    rows = conn.execute(
        """
        WITH q AS (SELECT DISTINCT unnest(?) AS kind, unnest(?) AS key),
        hits AS (
            SELECT b.article_id, b.kind, b.key
            FROM lsh_bands b JOIN q ON b.key = q.key AND b.kind = q.kind
            WHERE b.bucket_date BETWEEN ? AND ?
        ),
        crowded AS (
            SELECT key FROM hits WHERE kind = ? GROUP BY key HAVING count(*) > ?
        )
        SELECT DISTINCT h.article_id FROM hits h JOIN articles a USING (article_id)
        WHERE h.key NOT IN (SELECT key FROM crowded) AND a.text IS NOT NULL
        """,
        [
            [k for k, _ in keys],
            [v for _, v in keys],
            since,
            until,
            KIND_IDS["sent"],
            SENT_MAX_BUCKET,
        ],
    ).fetchall()
    return {r[0] for r in rows}


def load_neighbourhood(
    conn: duckdb.DuckDBPyConnection, candidates: set[int]
) -> tuple[list[StoredArticle], list[StoredGroup]]:
    """The candidates, every member of their groups, and those groups."""
    if not candidates:
        return [], []
    group_ids = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT group_id FROM dup_members WHERE article_id IN (SELECT unnest(?))",
            [sorted(candidates)],
        ).fetchall()
    ]
    groups: list[StoredGroup] = []
    ids = set(candidates)
    if group_ids:
        members: dict[int, list[StoredMember]] = {}
        for gid, aid, rel, via, decision in conn.execute(
            """SELECT group_id, article_id, relation, via_article_id, decision
               FROM dup_members WHERE group_id IN (SELECT unnest(?)) ORDER BY article_id""",
            [group_ids],
        ).fetchall():
            members.setdefault(gid, []).append(
                StoredMember(aid, rel, via, json.loads(decision) if decision else None)
            )
            ids.add(aid)
        for gid, anchor in conn.execute(
            "SELECT group_id, origin_article_id FROM dup_groups"
            " WHERE group_id IN (SELECT unnest(?))",
            [group_ids],
        ).fetchall():
            groups.append(StoredGroup(gid, anchor, tuple(members.get(gid, ()))))
    keys: dict[int, list[tuple[int, int]]] = {}
    for aid, kind, key in conn.execute(
        "SELECT article_id, kind, key FROM lsh_bands WHERE article_id IN (SELECT unnest(?))",
        [sorted(ids)],
    ).fetchall():
        keys.setdefault(aid, []).append((kind, key))
    articles = [
        StoredArticle(
            aid,
            text or "",
            day,
            tuple(keys.get(aid, ())),
            text_hash,
            lineage_key(published, precision, fetched),
        )
        for aid, text, day, text_hash, published, precision, fetched in conn.execute(
            "SELECT article_id, text, date, text_hash, published_at, published_precision,"
            " fetched_at FROM articles WHERE article_id IN (SELECT unnest(?))"
            " ORDER BY article_id",
            [sorted(ids)],
        ).fetchall()
    ]
    return articles, groups


def line_hash(key: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(key.encode(), digest_size=8).digest(), "little", signed=True
    )


def line_groups(conn: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> dict[str, set[str]]:
    """How many groups each line of the batch was already seen in (furniture counting)."""
    by_hash = {line_hash(k): k for k in set(keys)}
    if not by_hash:
        return {}
    out: dict[str, set[str]] = {}
    for h, group_key in conn.execute(
        "SELECT line_hash, group_key FROM dup_line_groups WHERE line_hash IN (SELECT unnest(?))",
        [list(by_hash)],
    ).fetchall():
        out.setdefault(by_hash[h], set()).add(group_key)
    return out


def furniture(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT line_key FROM dup_furniture").fetchall()}


def add_bands(conn: duckdb.DuckDBPyConnection, rows: list[tuple[int, int, int, date]]) -> None:
    """(kind, key, article_id, bucket_date) rows of new articles."""
    insert_rows(conn, "lsh_bands", ["kind", "key", "article_id", "bucket_date"], rows)


def save(
    conn: duckdb.DuckDBPyConnection, outcome: MatchOutcome, run_id: int, now: datetime
) -> dict[str, int]:
    """Write the groups a batch touched; returns in-memory group key -> database id."""
    ids: dict[str, int] = {}
    for g in outcome.groups:
        if g.group_id is None:
            g.group_id = conn.execute("SELECT nextval('group_ids')").fetchone()[0]
        ids[g.key] = g.group_id
    stale = sorted({g.group_id for g in outcome.groups} | set(outcome.dissolved))
    members = [m.article_id for g in outcome.groups for m in g.members] + outcome.ungrouped
    created = dict(
        conn.execute(
            "SELECT group_id, created_at FROM dup_groups WHERE group_id IN (SELECT unnest(?))",
            [stale],
        ).fetchall()
    )
    joined = {
        aid: (gid, at, run)
        for aid, gid, at, run in conn.execute(
            "SELECT article_id, group_id, joined_at, run_id FROM dup_members"
            " WHERE article_id IN (SELECT unnest(?))",
            [members],
        ).fetchall()
    }

    def kept(aid: int, gid: int) -> tuple[datetime, int]:
        """A member that stays in its group keeps the time and run it joined."""
        prev = joined.get(aid)
        return (prev[1], prev[2]) if prev and prev[0] == gid else (now, run_id)

    if members:
        conn.execute("DELETE FROM dup_members WHERE article_id IN (SELECT unnest(?))", [members])
    if stale:
        conn.execute("DELETE FROM dup_members WHERE group_id IN (SELECT unnest(?))", [stale])
        conn.execute("DELETE FROM dup_groups WHERE group_id IN (SELECT unnest(?))", [stale])
    insert_rows(
        conn,
        "dup_groups",
        ["group_id", "origin_article_id", "story_id", "size", "created_at", "updated_at"],
        [
            (g.group_id, g.anchor_id, 0, len(g.members), created.get(g.group_id, now), now)
            for g in outcome.groups
        ],
    )
    insert_rows(
        conn,
        "dup_members",
        MEMBER_COLUMNS,
        [
            (
                m.article_id,
                g.group_id,
                m.relation,
                m.via,
                m.similarity,
                m.containment,
                json.dumps(m.decision) if m.decision else None,
                *kept(m.article_id, g.group_id),
            )
            for g in outcome.groups
            for m in g.members
        ],
    )
    pairs = {
        (line_hash(key), f"g{ids[gk]}" if gk in ids else gk)
        for key, gk in outcome.line_pairs
        if gk in ids or gk.startswith(("g", "s"))
    }
    insert_rows(conn, "dup_line_groups", ["line_hash", "group_key"], sorted(pairs))
    insert_rows(conn, "dup_furniture", ["line_key"], [(k,) for k in outcome.new_furniture])
    return ids


def replace_bands(
    conn: duckdb.DuckDBPyConnection, article_id: int, keys: Iterable[tuple[int, int]]
) -> None:
    """A revised text's band keys replace the old ones (same bucket date: the article's)."""
    day = conn.execute("SELECT date FROM articles WHERE article_id = ?", [article_id]).fetchone()[0]
    conn.execute("DELETE FROM lsh_bands WHERE article_id = ?", [article_id])
    add_bands(conn, [(kind, key, article_id, day.date()) for kind, key in keys])


def group_texts(conn: duckdb.DuckDBPyConnection, article_id: int) -> GroupTexts | None:
    """The duplicate group of an article with every member's text, or None. A group
    with a pruned member cannot be re-verified: None, and it stays as it is."""
    row = conn.execute(
        "SELECT g.group_id, g.origin_article_id FROM dup_members m JOIN dup_groups g"
        " USING (group_id) WHERE m.article_id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    rows = conn.execute(
        "SELECT m.article_id, m.relation, m.via_article_id, a.text, a.date, a.published_at,"
        " a.published_precision, a.fetched_at"
        " FROM dup_members m JOIN articles a USING (article_id) WHERE m.group_id = ?",
        [row[0]],
    ).fetchall()
    if any(r[3] is None for r in rows):
        return None
    members = {
        aid: MemberText(aid, relation, via, text, day, lineage_key(published, precision, fetched))
        for aid, relation, via, text, day, published, precision, fetched in rows
    }
    return GroupTexts(row[0], row[1], members)


def apply_change(
    conn: duckdb.DuckDBPyConnection, change: GroupChange, run_id: int, now: datetime
) -> None:
    """Write a re-verified group: new rows for re-checked members, the leavers removed."""
    if change.dissolved:
        conn.execute("DELETE FROM dup_members WHERE group_id = ?", [change.group_id])
        conn.execute("DELETE FROM dup_groups WHERE group_id = ?", [change.group_id])
        return
    if change.left:
        conn.execute(
            "DELETE FROM dup_members WHERE group_id = ? AND article_id IN (SELECT unnest(?))",
            [change.group_id, change.left],
        )
    for m in change.updated:
        conn.execute(
            "UPDATE dup_members SET relation = ?, via_article_id = ?, similarity = ?,"
            " containment = ?, decision = ?, run_id = ? WHERE article_id = ? AND group_id = ?",
            [
                m.relation,
                m.via,
                m.similarity,
                m.containment,
                json.dumps(m.decision) if m.decision else None,
                run_id,
                m.article_id,
                change.group_id,
            ],
        )
    conn.execute(
        "UPDATE dup_groups SET origin_article_id = ?, size = ?, updated_at = ? WHERE group_id = ?",
        [change.origin_id, change.size, now, change.group_id],
    )


def mate_dates(
    conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]
) -> tuple[dict[int, datetime], set[int]]:
    """Dates of stored story-mates (which are most recent), and those whose text is pruned."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}, set()
    rows = conn.execute(
        "SELECT article_id, date, text IS NULL FROM articles"
        " WHERE article_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall()
    return {aid: day for aid, day, _ in rows}, {aid for aid, _, gone in rows if gone}


def anchors(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, int]:
    """The origin (anchor) of each grouped article's duplicate group."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return dict(
        conn.execute(
            "SELECT m.article_id, g.origin_article_id FROM dup_members m JOIN dup_groups g"
            " USING (group_id) WHERE m.article_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    )


def groups_of(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, list[int]]:
    """group id -> its members among ``article_ids``."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    out: dict[int, list[int]] = {}
    for gid, aid in conn.execute(
        "SELECT group_id, article_id FROM dup_members WHERE article_id IN (SELECT unnest(?))"
        " ORDER BY group_id, article_id",
        [ids],
    ).fetchall():
        out.setdefault(gid, []).append(aid)
    return out


def texts(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, str]:
    """Stored texts (pruned ones left out)."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return dict(
        conn.execute(
            "SELECT article_id, text FROM articles"
            " WHERE article_id IN (SELECT unnest(?)) AND text IS NOT NULL",
            [ids],
        ).fetchall()
    )


def save_story_checks(
    conn: duckdb.DuckDBPyConnection, checks: Iterable[StoryCheck], run_id: int, now: datetime
) -> None:
    insert_rows(
        conn,
        "story_checks",
        [
            "article_id",
            "story_id",
            "checked",
            "found",
            "beyond",
            "pruned",
            "rival_id",
            "rival_checked",
            "run_id",
            "checked_at",
        ],
        [
            (
                c.article_id,
                c.story_id,
                list(c.checked),
                list(c.found),
                c.beyond,
                c.pruned,
                c.rival_id,
                list(c.rival_checked),
                run_id,
                now,
            )
            for c in checks
        ],
    )


def story_checks_of(
    conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]
) -> dict[int, StoryCheck]:
    """The stored story-mate checks of these articles (none for articles stored before
    schema 11)."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return {
        aid: StoryCheck(
            aid, sid, tuple(checked), tuple(found), beyond, pruned, rival, tuple(rivals or ())
        )
        for aid, sid, checked, found, beyond, pruned, rival, rivals in conn.execute(
            "SELECT article_id, story_id, checked, found, beyond, pruned, rival_id,"
            " rival_checked FROM story_checks WHERE article_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    }
