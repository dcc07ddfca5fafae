"""Watchlists, their hits and deliveries (schema 0008_watch.sql).

Which articles and stories a watchlist catches is decided in mediawatch.watch; this
module moves definitions, candidates and hits in and out of SQL. A hit is unique per
(watchlist, kind, subject): stored once, whatever runs find it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from storage import search as search_db

if TYPE_CHECKING:
    from mediawatch.search import Query


@dataclass(frozen=True)
class WatchlistRow:
    watchlist_id: int
    name: str
    definition: dict[str, Any]
    origin: str  # cli | settings
    active: bool
    created_at: datetime
    updated_at: datetime
    checked_through: int
    hits: int = 0
    last_hit: datetime | None = None
    recent_hits: int = 0  # in the 24 hours before the listing


@dataclass(frozen=True)
class NewHit:
    """A hit about to be stored."""

    watchlist_id: int
    kind: str  # article | story | growth
    subject_id: int
    article_id: int | None
    story_id: int | None
    title: str | None
    source: str | None
    url: str | None
    story_size: int | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    channel: str  # webhook | prefect
    state: str  # pending | delivered | failed
    target: str | None
    attempts: int
    detail: str | None
    last_attempt: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class HitRow:
    hit_id: int
    watchlist: str
    kind: str
    subject_id: int
    article_id: int | None
    story_id: int | None
    title: str | None
    source: str | None
    url: str | None
    story_size: int | None
    detail: dict[str, Any]
    run_id: int
    found_at: datetime
    deliveries: list[Delivery] = field(default_factory=list)


# --- watchlists ------------------------------------------------------------------------

_WATCHLIST_COLUMNS = (
    "w.watchlist_id, w.name, w.definition, w.origin, w.active, w.created_at, w.updated_at,"
    " w.checked_through"
)


def _watchlist(row: tuple) -> WatchlistRow:
    return WatchlistRow(row[0], row[1], json.loads(row[2]), *row[3:])


def get_watchlist(conn: duckdb.DuckDBPyConnection, name: str) -> WatchlistRow | None:
    row = conn.execute(
        f"SELECT {_WATCHLIST_COLUMNS} FROM watchlists w WHERE w.name = ?", [name]
    ).fetchone()
    return _watchlist(row) if row else None


def list_watchlists(
    conn: duckdb.DuckDBPyConnection, now: datetime | None = None
) -> list[WatchlistRow]:
    """Every watchlist with its number of hits (all, and in the 24 hours before ``now``)."""
    recent = now - timedelta(hours=24) if now else datetime.min
    rows = conn.execute(
        f"""SELECT {_WATCHLIST_COLUMNS}, count(h.hit_id), max(h.found_at),
                   count(h.hit_id) FILTER (WHERE h.found_at >= ?)
            FROM watchlists w LEFT JOIN watch_hits h USING (watchlist_id)
            GROUP BY ALL ORDER BY w.name""",
        [recent],
    ).fetchall()
    return [_watchlist(r) for r in rows]


def add_watchlist(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    definition: dict[str, Any],
    origin: str,
    now: datetime,
    checked_through: int,
) -> int:
    return conn.execute(
        """INSERT INTO watchlists VALUES (nextval('watchlist_ids'), ?, ?, ?, true, ?, ?, ?)
           RETURNING watchlist_id""",
        [name, json.dumps(definition, sort_keys=True), origin, now, now, checked_through],
    ).fetchone()[0]


def update_watchlist(
    conn: duckdb.DuckDBPyConnection,
    watchlist_id: int,
    definition: dict[str, Any],
    origin: str,
    active: bool,
    now: datetime,
) -> None:
    conn.execute(
        "UPDATE watchlists SET definition = ?, origin = ?, active = ?, updated_at = ?"
        " WHERE watchlist_id = ?",
        [json.dumps(definition, sort_keys=True), origin, active, now, watchlist_id],
    )


def set_active(conn: duckdb.DuckDBPyConnection, watchlist_id: int, active: bool, now: datetime):
    conn.execute(
        "UPDATE watchlists SET active = ?, updated_at = ? WHERE watchlist_id = ?",
        [active, now, watchlist_id],
    )


def remove_watchlist(conn: duckdb.DuckDBPyConnection, watchlist_id: int) -> int:
    """Delete a watchlist with its hits and deliveries; returns how many hits went."""
    hits = conn.execute(
        "SELECT count(*) FROM watch_hits WHERE watchlist_id = ?", [watchlist_id]
    ).fetchone()[0]
    conn.execute(
        "DELETE FROM watch_deliveries WHERE hit_id IN"
        " (SELECT hit_id FROM watch_hits WHERE watchlist_id = ?)",
        [watchlist_id],
    )
    conn.execute("DELETE FROM watch_hits WHERE watchlist_id = ?", [watchlist_id])
    conn.execute("DELETE FROM watchlists WHERE watchlist_id = ?", [watchlist_id])
    return hits


def set_checked_through(conn: duckdb.DuckDBPyConnection, watchlist_id: int, through: int) -> None:
    conn.execute(
        "UPDATE watchlists SET checked_through = ? WHERE watchlist_id = ?", [through, watchlist_id]
    )


# --- what to check ---------------------------------------------------------------------


def max_article_id(conn: duckdb.DuckDBPyConnection) -> int:
    """The highest stored article id. Runs store one batch at a time (one writer), so
    every id up to it is committed: a watermark never skips an article."""
    return conn.execute("SELECT coalesce(max(article_id), 0) FROM articles").fetchone()[0]


def first_of_run(conn: duckdb.DuckDBPyConnection, run_id: int) -> int:
    """The watermark for a list that a run meets for the first time: everything before
    the run's first stored article (the run's own articles are checked)."""
    row = conn.execute(
        "SELECT min(article_id) - 1 FROM articles WHERE run_id = ?", [run_id]
    ).fetchone()
    return row[0] if row and row[0] is not None else max_article_id(conn)


def candidates(
    conn: duckdb.DuckDBPyConnection, after: int, through: int, also: Iterable[int] = ()
) -> dict[int, int | None]:
    """Articles stored after the watermark (up to ``through``) and ``also`` (revised
    ones), each with its story."""
    return dict(
        conn.execute(
            """SELECT a.article_id, sm.story_id FROM articles a
               LEFT JOIN story_members sm USING (article_id)
               WHERE (a.article_id > ? AND a.article_id <= ?)
                  OR a.article_id IN (SELECT unnest(?::BIGINT[]))""",
            [after, through, sorted(set(also))],
        ).fetchall()
    )


def matching(
    conn: duckdb.DuckDBPyConnection,
    query: Query | None,
    sources: Sequence[str],
    languages: Sequence[str],
    story_ids: Iterable[int],
    article_ids: Iterable[int] = (),
) -> dict[int, int | None]:
    """Of the articles in ``story_ids`` (and ``article_ids``), those that match the query
    (every word, prefix and phrase, as `search` does) from one of ``sources`` (any part
    of the name, any case) in one of ``languages``; each with its story."""
    where = [
        """(a.article_id IN (SELECT article_id FROM story_members
                             WHERE story_id IN (SELECT unnest(?::BIGINT[])))
            OR a.article_id IN (SELECT unnest(?::BIGINT[])))"""
    ]
    params: list[Any] = [sorted(set(story_ids)), sorted(set(article_ids))]
    if sources:
        where.append("(" + " OR ".join(["a.source ILIKE ? ESCAPE '\\'"] * len(sources)) + ")")
        params += [search_db.like_pattern(s) for s in sources]
    if languages:
        where.append("a.language IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(languages))
    sql = f"""SELECT a.article_id, sm.story_id FROM articles a
              LEFT JOIN story_members sm USING (article_id) WHERE {" AND ".join(where)}"""
    if query is not None and not query.empty:
        matches, more = search_db.matches_sql(conn, query)
        sql = f"WITH m AS ({matches}) {sql} AND a.article_id IN (SELECT article_id FROM m)"
        params = [*more, *params]
    return dict(conn.execute(sql, params).fetchall())


@dataclass(frozen=True)
class ArticleFacts:
    article_id: int
    title: str | None
    source: str | None
    url: str
    date: datetime
    story_id: int | None


def article_facts(conn: duckdb.DuckDBPyConnection, ids: Iterable[int]) -> dict[int, ArticleFacts]:
    rows = conn.execute(
        """SELECT a.article_id, a.title, a.source, a.url, a.date, sm.story_id
           FROM articles a LEFT JOIN story_members sm USING (article_id)
           WHERE a.article_id IN (SELECT unnest(?::BIGINT[]))""",
        [sorted(set(ids))],
    ).fetchall()
    return {r[0]: ArticleFacts(*r) for r in rows}


@dataclass(frozen=True)
class StoryFacts:
    story_id: int
    title: str | None
    size: int
    origin_article_id: int | None
    origin_source: str | None
    origin_url: str | None


def story_facts(conn: duckdb.DuckDBPyConnection, ids: Iterable[int]) -> dict[int, StoryFacts]:
    """Current (not merged) stories among ``ids``."""
    rows = conn.execute(
        """SELECT s.story_id, s.title, s.size, s.origin_article_id, o.source, o.url
           FROM stories s LEFT JOIN articles o ON o.article_id = s.origin_article_id
           WHERE s.story_id IN (SELECT unnest(?::BIGINT[])) AND s.merged_into IS NULL""",
        [sorted(set(ids))],
    ).fetchall()
    return {r[0]: StoryFacts(*r) for r in rows}


def growth_peaks(
    conn: duckdb.DuckDBPyConnection, new_ids: Iterable[int], hours: float
) -> dict[int, tuple[int, datetime]]:
    """Per story of ``new_ids``: the most articles of the story dated within ``hours``
    up to one of those new articles, with that article's date (the window's end)."""
    rows = conn.execute(
        """WITH n AS (SELECT sm.story_id, a.date AS t_end FROM articles a
                      JOIN story_members sm USING (article_id)
                      WHERE a.article_id IN (SELECT unnest(?::BIGINT[]))),
           c AS (SELECT n.story_id, n.t_end, count(*) AS k
                 FROM n JOIN story_members sm ON sm.story_id = n.story_id
                 JOIN articles a ON a.article_id = sm.article_id
                 WHERE a.date > n.t_end - to_microseconds(?::BIGINT) AND a.date <= n.t_end
                 GROUP BY n.story_id, n.t_end)
           SELECT story_id, max(k), arg_max(t_end, k) FROM c GROUP BY story_id""",
        [sorted(set(new_ids)), int(hours * 3_600_000_000)],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


# --- hits and deliveries ---------------------------------------------------------------


def insert_hits(
    conn: duckdb.DuckDBPyConnection,
    hits: Iterable[NewHit],
    channels: dict[int, list[str]],
    run_id: int,
    now: datetime,
) -> list[int]:
    """Store the hits not stored before (the unique key drops the rest) with a pending
    delivery per channel of their watchlist; returns the new hit ids."""
    new: list[int] = []
    for h in hits:
        row = conn.execute(
            """INSERT INTO watch_hits VALUES
                   (nextval('watch_hit_ids'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT DO NOTHING RETURNING hit_id""",
            [
                h.watchlist_id,
                h.kind,
                h.subject_id,
                h.article_id,
                h.story_id,
                h.title,
                h.source,
                h.url,
                h.story_size,
                json.dumps(h.detail, sort_keys=True, default=str),
                run_id,
                now,
            ],
        ).fetchone()
        if row is None:
            continue
        new.append(row[0])
        for channel in channels.get(h.watchlist_id, []):
            conn.execute(
                "INSERT INTO watch_deliveries (hit_id, channel, state) VALUES (?, ?, 'pending')",
                [row[0], channel],
            )
    return new


_HIT_COLUMNS = """h.hit_id, w.name, h.kind, h.subject_id, h.article_id, h.story_id, h.title,
    h.source, h.url, h.story_size, h.detail, h.run_id, h.found_at"""


def _hits(
    conn: duckdb.DuckDBPyConnection,
    where: str,
    params: list[Any],
    order: str = "h.found_at DESC, h.hit_id DESC",
) -> list[HitRow]:
    rows = conn.execute(
        f"""SELECT {_HIT_COLUMNS} FROM watch_hits h JOIN watchlists w USING (watchlist_id)
            WHERE {where} ORDER BY {order}""",
        params,
    ).fetchall()
    ids = [r[0] for r in rows]
    deliveries: dict[int, list[Delivery]] = {}
    for r in conn.execute(
        """SELECT hit_id, channel, state, target, attempts, detail, last_attempt, delivered_at
           FROM watch_deliveries WHERE hit_id IN (SELECT unnest(?::BIGINT[]))
           ORDER BY hit_id, channel""",
        [ids],
    ).fetchall():
        deliveries.setdefault(r[0], []).append(Delivery(*r[1:]))
    return [
        HitRow(*r[:10], json.loads(r[10]) if r[10] else {}, *r[11:], deliveries.get(r[0], []))
        for r in rows
    ]


def list_hits(
    conn: duckdb.DuckDBPyConnection,
    watchlist_id: int | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[HitRow]:
    """Hits, newest first: of one watchlist (or all), found at or after ``since``."""
    where, params = ["TRUE"], []
    if watchlist_id is not None:
        where.append("h.watchlist_id = ?")
        params.append(watchlist_id)
    if since is not None:
        where.append("h.found_at >= ?")
        params.append(since)
    sql = " AND ".join(where)
    if limit:
        sql += f" ORDER BY h.found_at DESC, h.hit_id DESC LIMIT {int(limit)}"
        sql = f"h.hit_id IN (SELECT h.hit_id FROM watch_hits h WHERE {sql})"
    return _hits(conn, sql, params)


def hits_by_id(conn: duckdb.DuckDBPyConnection, ids: Iterable[int]) -> list[HitRow]:
    """Hits in the order they were stored."""
    return _hits(conn, "h.hit_id IN (SELECT unnest(?::BIGINT[]))", [sorted(set(ids))], "h.hit_id")


def due_deliveries(conn: duckdb.DuckDBPyConnection, max_attempts: int) -> list[tuple[int, str]]:
    """(hit, channel) pairs to send: pending, or failed fewer than ``max_attempts`` times,
    of active watchlists."""
    return conn.execute(
        """SELECT d.hit_id, d.channel FROM watch_deliveries d
           JOIN watch_hits h USING (hit_id) JOIN watchlists w USING (watchlist_id)
           WHERE w.active AND (d.state = 'pending' OR (d.state = 'failed' AND d.attempts < ?))
           ORDER BY d.hit_id, d.channel""",
        [max_attempts],
    ).fetchall()


def record_delivery(
    conn: duckdb.DuckDBPyConnection,
    hit_id: int,
    channel: str,
    delivered: bool,
    target: str | None,
    detail: str,
    now: datetime,
) -> None:
    conn.execute(
        """UPDATE watch_deliveries SET state = ?, target = ?, attempts = attempts + 1,
                  detail = ?, last_attempt = ?, delivered_at = ?
           WHERE hit_id = ? AND channel = ?""",
        [
            "delivered" if delivered else "failed",
            target,
            detail,
            now,
            now if delivered else None,
            hit_id,
            channel,
        ],
    )
