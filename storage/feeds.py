"""Feed state: conditional-GET validators and health per feed, what became of each item."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.bulk import insert_rows


@dataclass(frozen=True)
class FeedState:
    """What the last poll left for the next one."""

    feed_url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    pending: bool
    last_poll: datetime | None
    consecutive_failures: int


@dataclass(frozen=True)
class FeedRow:
    """One line of `mediawatch feeds`."""

    feed_url: str
    name: str | None
    parent_url: str | None
    kind: str | None
    last_poll: datetime | None
    last_success: datetime | None
    last_status: str | None
    consecutive_failures: int
    items_seen: int
    items_new: int
    total_new: int
    items_known: int
    last_error: str | None
    pending: bool
    configured: bool = False  # listed in the settings
    poll_minutes: int | None = None  # its poll interval, when configured

    @classmethod
    def never_polled(cls, url: str, name: str | None, poll_minutes: int) -> FeedRow:
        return cls(
            url,
            name,
            None,
            None,
            None,
            None,
            "never polled",
            0,
            0,
            0,
            0,
            0,
            None,
            False,
            True,
            poll_minutes,
        )


@dataclass(frozen=True)
class ItemState:
    article_id: int | None
    item_hash: str
    status: str


@dataclass(frozen=True)
class PollRecord:
    """The outcome of one poll of one feed, written after its items are stored."""

    feed_url: str
    name: str | None
    parent_url: str | None
    kind: str | None
    status: str  # ok | not-modified | unchanged | empty | failed
    at: datetime
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    pending: bool = False
    items_seen: int | None = None  # None: the body was not read (304, unchanged, failed)
    items_new: int = 0
    error: str | None = None


def states(conn: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, FeedState]:
    urls = sorted(set(urls))
    if not urls:
        return {}
    rows = conn.execute(
        "SELECT feed_url, etag, last_modified, content_hash, pending, last_poll,"
        " consecutive_failures FROM feeds WHERE feed_url IN (SELECT unnest(?))",
        [urls],
    ).fetchall()
    return {r[0]: FeedState(*r) for r in rows}


def children(conn: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> list[str]:
    """Child sitemaps recorded for these sitemap indexes (their state is kept too)."""
    urls = sorted(set(urls))
    if not urls:
        return []
    return [
        r[0]
        for r in conn.execute(
            "SELECT feed_url FROM feeds WHERE parent_url IN (SELECT unnest(?))", [urls]
        ).fetchall()
    ]


def save_polls(conn: duckdb.DuckDBPyConnection, polls: list[PollRecord]) -> None:
    """Upsert each feed's row: validators only move on when the poll read the feed."""
    for p in polls:
        failed = p.status == "failed"
        conn.execute(
            """
            INSERT INTO feeds (feed_url, name, parent_url, kind, etag, last_modified,
                               content_hash, pending, last_poll, last_success, last_status,
                               consecutive_failures, items_seen, items_new, total_new,
                               last_error, first_poll)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10 THEN NULL ELSE $9 END,
                    $11, CASE WHEN $10 THEN 1 ELSE 0 END, coalesce($12, 0), $13, $13, $14, $9)
            ON CONFLICT (feed_url) DO UPDATE SET
                name = coalesce(excluded.name, feeds.name),
                parent_url = coalesce(excluded.parent_url, feeds.parent_url),
                kind = coalesce(excluded.kind, feeds.kind),
                etag = CASE WHEN $10 THEN feeds.etag ELSE excluded.etag END,
                last_modified = CASE WHEN $10 THEN feeds.last_modified
                                     ELSE excluded.last_modified END,
                content_hash = CASE WHEN $10 THEN feeds.content_hash
                                    ELSE excluded.content_hash END,
                pending = CASE WHEN $10 THEN feeds.pending ELSE excluded.pending END,
                last_poll = excluded.last_poll,
                last_success = CASE WHEN $10 THEN feeds.last_success ELSE excluded.last_poll END,
                last_status = excluded.last_status,
                consecutive_failures = CASE WHEN $10 THEN feeds.consecutive_failures + 1
                                            ELSE 0 END,
                items_seen = coalesce($12, feeds.items_seen),
                items_new = excluded.items_new,
                total_new = feeds.total_new + excluded.items_new,
                last_error = excluded.last_error
            """,
            [
                p.feed_url,
                p.name,
                p.parent_url,
                p.kind,
                p.etag,
                p.last_modified,
                p.content_hash,
                p.pending,
                p.at,
                failed,
                p.status,
                p.items_seen,
                p.items_new,
                p.error,
            ],
        )


def item_states(
    conn: duckdb.DuckDBPyConnection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], ItemState]:
    """Stored items by (feed_url, item_key)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = conn.execute(
        """SELECT i.feed_url, i.item_key, i.article_id, i.item_hash, i.status
           FROM feed_items i
           JOIN (SELECT unnest(?) AS feed_url, unnest(?) AS item_key) q
             USING (feed_url, item_key)""",
        [[f for f, _ in keys], [k for _, k in keys]],
    ).fetchall()
    return {(r[0], r[1]): ItemState(*r[2:]) for r in rows}


@dataclass(frozen=True)
class ItemRow:
    feed_url: str
    item_key: str
    guid: str | None
    link: str
    item_hash: str
    article_id: int | None
    status: str  # stored | linked | rejected
    reason: str | None
    fetched: bool


def save_items(conn: duckdb.DuckDBPyConnection, rows: list[ItemRow], now: datetime) -> None:
    """Upsert items; an item keeps its first_seen, and its article when a refetch gave none."""
    if not rows:
        return
    rows = list({(r.feed_url, r.item_key): r for r in rows}.values())
    first = item_first_seen(conn, [(r.feed_url, r.item_key) for r in rows])
    previous = item_states(conn, [(r.feed_url, r.item_key) for r in rows])
    conn.execute(
        """DELETE FROM feed_items WHERE (feed_url, item_key) IN
           (SELECT (unnest(?), unnest(?)))""",
        [[r.feed_url for r in rows], [r.item_key for r in rows]],
    )
    insert_rows(
        conn,
        "feed_items",
        [
            "feed_url",
            "item_key",
            "guid",
            "link",
            "item_hash",
            "article_id",
            "status",
            "reason",
            "first_seen",
            "last_fetched",
        ],
        [
            (
                r.feed_url,
                r.item_key,
                r.guid,
                r.link,
                r.item_hash,
                r.article_id
                if r.article_id is not None
                else getattr(previous.get((r.feed_url, r.item_key)), "article_id", None),
                r.status,
                r.reason,
                first.get((r.feed_url, r.item_key), now),
                now if r.fetched else None,
            )
            for r in rows
        ],
    )


def item_first_seen(
    conn: duckdb.DuckDBPyConnection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], datetime]:
    if not keys:
        return {}
    rows = conn.execute(
        """SELECT i.feed_url, i.item_key, i.first_seen FROM feed_items i
           JOIN (SELECT unnest(?) AS feed_url, unnest(?) AS item_key) q
             USING (feed_url, item_key)""",
        [[f for f, _ in keys], [k for _, k in keys]],
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def list_feeds(conn: duckdb.DuckDBPyConnection) -> list[FeedRow]:
    """Every polled feed with its health, top-level feeds first, then child sitemaps."""
    rows = conn.execute(
        """
        SELECT f.feed_url, f.name, f.parent_url, f.kind, f.last_poll, f.last_success,
               f.last_status, f.consecutive_failures, f.items_seen, f.items_new, f.total_new,
               (SELECT count(*) FROM feed_items i WHERE i.feed_url = f.feed_url),
               f.last_error, f.pending
        FROM feeds f
        ORDER BY coalesce(f.parent_url, f.feed_url), f.parent_url IS NOT NULL, f.feed_url
        """
    ).fetchall()
    return [FeedRow(*r) for r in rows]
