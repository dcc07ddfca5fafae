"""An analyst's corrections in DuckDB: the record, the articles each binds, the rows a
correction changes (story memberships, story rows, duplicate-group rows) and the
invariants `mediawatch check` verifies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.articles import refresh_stories
from storage.bulk import insert_rows
from storage.dedup import MEMBER_COLUMNS
from storage.lineage import story_precision

# Which kinds bind their articles how (see migration 0009).
TOGETHER = ("story-merge", "article-move")  # every listed article in one story
APART = ("story-split",)  # part 1 and part 2 never in one story (nor one group)
UNGROUP = ("group-detach",)  # part 2 never in one duplicate group with part 1
GROUP = ("group-attach",)  # part 2 in part 1's duplicate group


@dataclass(frozen=True)
class CorrectionRow:
    correction_id: int
    kind: str
    subject: dict
    note: str | None
    reason: str | None
    made_by: str
    made_via: str
    made_at: datetime
    state: str
    undone_by: str | None
    undone_at: datetime | None
    before: dict
    after: dict


_COLUMNS = (
    "correction_id, kind, subject, note, reason, made_by, made_via, made_at, state,"
    " undone_by, undone_at, before, after"
)


def _row(r: tuple) -> CorrectionRow:
    return CorrectionRow(
        r[0],
        r[1],
        json.loads(r[2]),
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        json.loads(r[11]),
        json.loads(r[12]),
    )


def next_id(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT nextval('correction_ids')").fetchall()[0][0]


def insert(
    conn: duckdb.DuckDBPyConnection,
    row: CorrectionRow,
    parts: dict[int, Iterable[int]],
) -> None:
    """The correction and its bound articles (part -> article ids)."""
    conn.execute(
        f"INSERT INTO corrections ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row.correction_id,
            row.kind,
            json.dumps(row.subject),
            row.note,
            row.reason,
            row.made_by,
            row.made_via,
            row.made_at,
            row.state,
            None,
            None,
            json.dumps(row.before),
            json.dumps(row.after),
        ],
    )
    insert_rows(
        conn,
        "correction_articles",
        ["correction_id", "article_id", "part"],
        sorted({(row.correction_id, aid, part) for part, ids in parts.items() for aid in ids}),
    )


def get(conn: duckdb.DuckDBPyConnection, correction_id: int) -> CorrectionRow | None:
    r = conn.execute(
        f"SELECT {_COLUMNS} FROM corrections WHERE correction_id = ?", [correction_id]
    ).fetchall()
    return _row(r[0]) if r else None


def listing(conn: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[CorrectionRow]:
    """Newest first."""
    sql = f"SELECT {_COLUMNS} FROM corrections ORDER BY correction_id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_row(r) for r in conn.execute(sql).fetchall()]


def mark_undone(
    conn: duckdb.DuckDBPyConnection, correction_id: int, by: str, now: datetime
) -> None:
    conn.execute(
        "UPDATE corrections SET state = 'undone', undone_by = ?, undone_at = ?"
        " WHERE correction_id = ?",
        [by, now, correction_id],
    )


def active_bindings(conn: duckdb.DuckDBPyConnection) -> list[tuple[int, str, int, int]]:
    """(correction id, kind, part, article id) of every active correction. Corrections
    are made by hand: a few hundred rows even in a big archive."""
    return conn.execute(
        """SELECT c.correction_id, c.kind, a.part, a.article_id
           FROM corrections c JOIN correction_articles a USING (correction_id)
           WHERE c.state = 'active' ORDER BY c.correction_id, a.part, a.article_id"""
    ).fetchall()


def about_pair(
    conn: duckdb.DuckDBPyConnection, a: int, b: int
) -> list[tuple[int, str, str, datetime, str | None, int, int]]:
    """Active corrections that bind both articles: (id, kind, by, at, note, part of a,
    part of b)."""
    return conn.execute(
        """SELECT c.correction_id, c.kind, c.made_by, c.made_at, c.note, x.part, y.part
           FROM corrections c
           JOIN correction_articles x ON x.correction_id = c.correction_id AND x.article_id = ?
           JOIN correction_articles y ON y.correction_id = c.correction_id AND y.article_id = ?
           WHERE c.state = 'active' ORDER BY c.correction_id""",
        [a, b],
    ).fetchall()


def of_article(conn: duckdb.DuckDBPyConnection, article_id: int) -> list[CorrectionRow]:
    """Corrections (active or undone) that bind an article, newest first."""
    rows = conn.execute(
        f"""SELECT {_COLUMNS} FROM corrections WHERE correction_id IN
            (SELECT correction_id FROM correction_articles WHERE article_id = ?)
            ORDER BY correction_id DESC""",
        [article_id],
    ).fetchall()
    return [_row(r) for r in rows]


# ---- stories and memberships --------------------------------------------------------


def story_state(conn: duckdb.DuckDBPyConnection, story_id: int) -> tuple[int, int | None] | None:
    """(size, merged_into) of a story, or None."""
    rows = conn.execute(
        "SELECT size, merged_into FROM stories WHERE story_id = ?", [story_id]
    ).fetchall()
    return rows[0] if rows else None


def members(conn: duckdb.DuckDBPyConnection, story_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT article_id FROM story_members WHERE story_id = ? ORDER BY article_id",
            [story_id],
        ).fetchall()
    ]


def membership_rows(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict:
    """article id -> [story_id, reason, score, scores, joined_at (ISO), run_id]."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return {
        str(aid): [sid, reason, score, scores, joined.isoformat(), run]
        for aid, sid, reason, score, scores, joined, run in conn.execute(
            "SELECT article_id, story_id, reason, score, scores, joined_at, run_id"
            " FROM story_members WHERE article_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    }


def set_rows(conn: duckdb.DuckDBPyConnection, rows: dict) -> None:
    """Write membership rows as ``membership_rows`` gives them."""
    if not rows:
        return
    conn.execute(
        "DELETE FROM story_members WHERE article_id IN (SELECT unnest(?))",
        [[int(a) for a in rows]],
    )
    insert_rows(
        conn,
        "story_members",
        ["article_id", "story_id", "reason", "score", "scores", "joined_at", "run_id"],
        [
            (int(aid), sid, reason, score, scores, datetime.fromisoformat(joined), run)
            for aid, (sid, reason, score, scores, joined, run) in rows.items()
        ],
    )


def new_story(conn: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """An empty story row (aggregates and profile follow from its members)."""
    sid = conn.execute("SELECT coalesce(max(story_id), 0) + 1 FROM stories").fetchall()[0][0]
    conn.execute(
        """INSERT INTO stories (story_id, size, n_sources, n_independent, n_groups,
               first_date, last_date, within_words, within_entities, within_numbers,
               created_at, updated_at, created_run, updated_run)
           VALUES (?, 0, 0, 0, 0, ?, ?, 0, 0, 0, ?, ?, 0, 0)""",
        [sid, now, now, now, now],
    )
    return sid


def absorb(conn: duckdb.DuckDBPyConnection, story_id: int, into: int, now: datetime) -> None:
    """An emptied story: absorbed by ``into``, out of the clusterer's index."""
    conn.execute(
        "UPDATE stories SET merged_into = ?, size = 0, updated_at = ? WHERE story_id = ?",
        [into, now, story_id],
    )
    conn.execute("DELETE FROM story_terms WHERE story_id = ?", [story_id])
    conn.execute("DELETE FROM story_keys WHERE story_id = ?", [story_id])


def revive(conn: duckdb.DuckDBPyConnection, story_id: int, now: datetime) -> None:
    conn.execute(
        "UPDATE stories SET merged_into = NULL, updated_at = ? WHERE story_id = ?",
        [now, story_id],
    )


def member_terms(
    conn: duckdb.DuckDBPyConnection, story_ids: Iterable[int]
) -> dict[int, list[tuple[int, dict, datetime | None, str | None, str | None]]]:
    """story -> its members' (id, term counts, publication time, language, precision)."""
    out: dict[int, list] = {}
    for sid, aid, terms, published, language, precision in conn.execute(
        f"""SELECT m.story_id, m.article_id, t.terms, a.published_at, a.language,
                  {story_precision("a")}
           FROM story_members m JOIN articles a USING (article_id)
           LEFT JOIN article_terms t USING (article_id)
           WHERE m.story_id IN (SELECT unnest(?)) ORDER BY m.story_id, m.article_id""",
        [sorted(set(story_ids))],
    ).fetchall():
        out.setdefault(sid, []).append(
            (aid, json.loads(terms) if terms else {}, published, language, precision)
        )
    return out


def story_times(
    conn: duckdb.DuckDBPyConnection, rows: list[tuple[int, datetime | None, datetime | None]]
) -> None:
    """(story, first published, last published): the clusterer's time term."""
    for sid, first, last in rows:
        conn.execute(
            "UPDATE stories SET first_published = ?, last_published = ? WHERE story_id = ?",
            [first, last, sid],
        )


# ---- duplicate groups ---------------------------------------------------------------


def group_of(conn: duckdb.DuckDBPyConnection, article_id: int) -> int | None:
    r = conn.execute(
        "SELECT group_id FROM dup_members WHERE article_id = ?", [article_id]
    ).fetchall()
    return r[0][0] if r else None


def group_rows(conn: duckdb.DuckDBPyConnection, group_id: int) -> dict:
    """The group as stored: {"origin", "story", "created_at", "members": {id: row}}."""
    g = conn.execute(
        "SELECT origin_article_id, story_id, created_at FROM dup_groups WHERE group_id = ?",
        [group_id],
    ).fetchall()
    if not g:
        return {}
    g = g[0]
    rows = conn.execute(
        """SELECT article_id, relation, via_article_id, similarity, containment, decision,
                  joined_at, run_id FROM dup_members WHERE group_id = ? ORDER BY article_id""",
        [group_id],
    ).fetchall()
    return {
        "origin": g[0],
        "story": g[1],
        "created_at": g[2].isoformat(),
        "members": {
            str(r[0]): [r[1], r[2], r[3], r[4], r[5], r[6].isoformat(), r[7]] for r in rows
        },
    }


def write_group(conn: duckdb.DuckDBPyConnection, group_id: int, state: dict, now: datetime) -> None:
    """Replace a group by ``state`` (as ``group_rows`` gives it); its story's counts follow
    (``refresh_stories``: independent articles count each group once), so write it after
    its members' story memberships."""
    story = _group_story(conn, group_id)
    conn.execute("DELETE FROM dup_members WHERE group_id = ?", [group_id])
    conn.execute("DELETE FROM dup_groups WHERE group_id = ?", [group_id])
    members = state["members"]
    conn.execute(
        "INSERT INTO dup_groups VALUES (?, ?, ?, ?, ?, ?)",
        [
            group_id,
            state["origin"],
            state["story"],
            len(members),
            datetime.fromisoformat(state["created_at"]),
            now,
        ],
    )
    insert_rows(
        conn,
        "dup_members",
        MEMBER_COLUMNS,
        [
            (int(aid), group_id, rel, via, sim, cont, dec, datetime.fromisoformat(joined), run)
            for aid, (rel, via, sim, cont, dec, joined, run) in sorted(members.items())
        ],
    )
    refresh_stories(conn, [s for s in (story, state["story"]) if s is not None])


def drop_group(conn: duckdb.DuckDBPyConnection, group_id: int) -> None:
    """The group dissolved; its story's counts follow."""
    story = _group_story(conn, group_id)
    conn.execute("DELETE FROM dup_members WHERE group_id = ?", [group_id])
    conn.execute("DELETE FROM dup_groups WHERE group_id = ?", [group_id])
    if story is not None:
        refresh_stories(conn, [story])


def _group_story(conn: duckdb.DuckDBPyConnection, group_id: int) -> int | None:
    r = conn.execute("SELECT story_id FROM dup_groups WHERE group_id = ?", [group_id]).fetchall()
    return r[0][0] if r else None


def groups_among(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, list]:
    """Duplicate groups with a member among ``article_ids`` -> all their members."""
    ids = sorted(set(article_ids))
    out: dict[int, list] = {}
    for gid, aid in conn.execute(
        """SELECT group_id, article_id FROM dup_members WHERE group_id IN
           (SELECT group_id FROM dup_members WHERE article_id IN (SELECT unnest(?)))
           ORDER BY group_id, article_id""",
        [ids],
    ).fetchall():
        out.setdefault(gid, []).append(aid)
    return out


def article_exists(conn: duckdb.DuckDBPyConnection, article_id: int) -> bool:
    return bool(
        conn.execute("SELECT count(*) FROM articles WHERE article_id = ?", [article_id]).fetchall()[
            0
        ][0]
    )


# ---- invariants ---------------------------------------------------------------------

# (what is wrong, a query giving the active corrections that show it)
VIOLATIONS: list[tuple[str, str]] = [
    (
        "analysts' merges and moves whose articles are no longer in one story",
        """SELECT c.correction_id FROM corrections c
           JOIN correction_articles a USING (correction_id)
           JOIN story_members m USING (article_id)
           WHERE c.state = 'active' AND c.kind IN ('story-merge', 'article-move')
           GROUP BY c.correction_id HAVING count(DISTINCT m.story_id) > 1""",
    ),
    (
        "analysts' splits whose parts share a story or a duplicate group again",
        """SELECT DISTINCT c.correction_id FROM corrections c
           JOIN correction_articles x ON x.correction_id = c.correction_id AND x.part = 1
           JOIN correction_articles y ON y.correction_id = c.correction_id AND y.part = 2
           JOIN story_members mx ON mx.article_id = x.article_id
           JOIN story_members my ON my.article_id = y.article_id
           WHERE c.state = 'active' AND c.kind = 'story-split' AND mx.story_id = my.story_id""",
    ),
    (
        "detached articles back in a duplicate group with their former group mates",
        """SELECT DISTINCT c.correction_id FROM corrections c
           JOIN correction_articles x ON x.correction_id = c.correction_id AND x.part = 1
           JOIN correction_articles y ON y.correction_id = c.correction_id AND y.part = 2
           JOIN dup_members gx ON gx.article_id = x.article_id
           JOIN dup_members gy ON gy.article_id = y.article_id
           WHERE c.state = 'active' AND c.kind IN ('group-detach', 'story-split')
             AND gx.group_id = gy.group_id""",
    ),
    (
        "attached articles no longer in the group they were attached to",
        """SELECT DISTINCT c.correction_id FROM corrections c
           JOIN correction_articles x ON x.correction_id = c.correction_id AND x.part = 1
           JOIN correction_articles y ON y.correction_id = c.correction_id AND y.part = 2
           LEFT JOIN dup_members gx ON gx.article_id = x.article_id
           LEFT JOIN dup_members gy ON gy.article_id = y.article_id
           WHERE c.state = 'active' AND c.kind = 'group-attach'
             AND gx.group_id IS NOT NULL AND gy.group_id IS DISTINCT FROM gx.group_id""",
    ),
]


def violations(conn: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """What is wrong -> the active corrections the stored state does not keep."""
    out = {}
    for what, sql in VIOLATIONS:
        ids = sorted(r[0] for r in conn.execute(sql).fetchall())
        if ids:
            out[what] = ids
    return out


def texts(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> dict[int, tuple]:
    """article -> (text or None when pruned, lineage order key: earliest first)."""
    from mediawatch.times import lineage_key

    return {
        aid: (text, lineage_key(published, precision, fetched))
        for aid, text, published, precision, fetched in conn.execute(
            "SELECT article_id, text, published_at, published_precision, fetched_at"
            " FROM articles WHERE article_id IN (SELECT unnest(?))",
            [sorted(set(article_ids))],
        ).fetchall()
    }


def doc_freq(
    conn: duckdb.DuckDBPyConnection, terms: dict[str, set[str]]
) -> tuple[int, dict[str, dict[str, int]]]:
    """(document count, stored document frequencies of ``terms`` per space)."""
    from storage.stories import _df, n_docs

    return n_docs(conn), _df(conn, terms)


def story_of(conn: duckdb.DuckDBPyConnection, article_id: int) -> int | None:
    r = conn.execute(
        "SELECT story_id FROM story_members WHERE article_id = ?", [article_id]
    ).fetchall()
    return r[0][0] if r else None


def live_story(conn: duckdb.DuckDBPyConnection, story_id: int) -> int:
    """The story that holds what ``story_id`` held: itself, or where it was merged."""
    seen = set()
    while story_id not in seen:
        seen.add(story_id)
        r = conn.execute(
            "SELECT merged_into FROM stories WHERE story_id = ?", [story_id]
        ).fetchall()
        if not r or r[0][0] is None:
            return story_id
        story_id = r[0][0]
    return story_id


def groups_across_stories(conn: duckdb.DuckDBPyConnection, article_ids: Iterable[int]) -> list[int]:
    """Groups with a member among ``article_ids`` whose members are in more than one story."""
    return [
        r[0]
        for r in conn.execute(
            """SELECT m.group_id FROM dup_members m JOIN story_members s USING (article_id)
               WHERE m.group_id IN (SELECT group_id FROM dup_members
                                    WHERE article_id IN (SELECT unnest(?)))
               GROUP BY m.group_id HAVING count(DISTINCT s.story_id) > 1 ORDER BY 1""",
            [sorted(set(article_ids))],
        ).fetchall()
    ]
