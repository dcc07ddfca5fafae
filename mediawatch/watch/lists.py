"""Watchlist definitions: from the settings and the command line into the database.

A definition is the settings' ``WatchList`` (mediawatch.config) without its name, kept
as JSON in ``watchlists.definition``. Lists from the settings are written by each run
(``sync``); a list taken out of the settings stays, inactive, with its hits.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from mediawatch.config import ConfigError, WatchList
from storage import watch as watch_db

if TYPE_CHECKING:  # the search layer loads when a list is evaluated
    from mediawatch.search import Query


class WatchError(ValueError):
    """A watchlist that cannot be added, found or used; said to the user plainly."""


def definition(wl: WatchList) -> dict[str, Any]:
    d = dataclasses.asdict(wl)
    d.pop("name")
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def spec(row: watch_db.WatchlistRow) -> WatchList:
    """The stored definition as a WatchList (fields a newer version added get defaults;
    fields it no longer knows are ignored)."""
    known = {f.name for f in dataclasses.fields(WatchList)} - {"name"}
    values = {
        k: tuple(v) if isinstance(v, list) else v for k, v in row.definition.items() if k in known
    }
    try:
        return WatchList(name=row.name, **values)
    except (ConfigError, TypeError) as exc:
        raise WatchError(f"stored watchlist {row.name!r} cannot be read: {exc}") from None


def query_of(wl: WatchList) -> Query | None:
    """The parsed query; None when the watchlist has none (sources or languages only)."""
    if not wl.query.strip():
        return None
    from mediawatch.search import parse_query

    query = parse_query(wl.query)
    if query.empty:
        raise WatchError(
            f"watchlist {wl.name!r}: nothing to search for in {wl.query!r} (only common words?)"
        )
    return query


def add(conn: duckdb.DuckDBPyConnection, wl: WatchList, now: datetime, from_start: bool) -> int:
    """A new watchlist from the command line. It checks what is stored from now on, or,
    ``from_start``, everything stored (on the next run)."""
    query_of(wl)
    found = watch_db.get_watchlist(conn, wl.name)
    if found is not None:
        where = "in the settings" if found.origin == "settings" else "already"
        raise WatchError(
            f"a watchlist named {wl.name!r} exists {where}: `mediawatch watch remove "
            f"{wl.name}` first, or pick another name"
        )
    through = 0 if from_start else watch_db.max_article_id(conn)
    return watch_db.add_watchlist(conn, wl.name, definition(wl), "cli", now, through)


def sync(
    conn: duckdb.DuckDBPyConnection,
    lists: tuple[WatchList, ...],
    now: datetime,
    run_id: int | None = None,
) -> list[watch_db.WatchlistRow]:
    """Bring the settings' watchlists into the database; returns every active one.

    A new list starts with what ``run_id`` stored (no flood of old hits); a changed
    definition keeps its hits and watermark; a list the settings no longer name (and
    that came from them) becomes inactive."""
    stored = {w.name: w for w in watch_db.list_watchlists(conn)}
    through = None
    for wl in lists:
        row = stored.get(wl.name)
        d = definition(wl)
        if row is None:
            if through is None:
                through = (
                    watch_db.first_of_run(conn, run_id)
                    if run_id is not None
                    else watch_db.max_article_id(conn)
                )
            watch_db.add_watchlist(conn, wl.name, d, "settings", now, through)
        elif row.definition != d or row.origin != "settings" or not row.active:
            watch_db.update_watchlist(conn, row.watchlist_id, d, "settings", True, now)
    named = {wl.name for wl in lists}
    for row in stored.values():
        if row.origin == "settings" and row.active and row.name not in named:
            watch_db.set_active(conn, row.watchlist_id, False, now)
    return [w for w in watch_db.list_watchlists(conn) if w.active]


def overview(
    configured: tuple[WatchList, ...], conn: duckdb.DuckDBPyConnection | None, now: datetime
) -> list[tuple[watch_db.WatchlistRow | None, WatchList, str]]:
    """Every watchlist, stored or only in the settings so far: (its row or None, its
    definition as it stands, a note on its state), by name."""
    rows = watch_db.list_watchlists(conn, now) if conn is not None else []
    by_name = {w.name: w for w in configured}
    out: list[tuple[watch_db.WatchlistRow | None, WatchList, str]] = []
    for row in rows:
        note = ""
        if row.origin == "settings" and row.name not in by_name:
            note = "no longer in the settings: not checked; `watch remove` deletes it"
        elif row.name in by_name and row.definition != definition(by_name[row.name]):
            note = "changed in the settings: the next run takes the change"
        try:
            wl = by_name.get(row.name) or spec(row)
        except WatchError:
            continue  # written by another version and unreadable here: nothing to show
        out.append((row, wl, note))
    stored = {r.name for r in rows}
    out += [
        (None, wl, "in the settings: the next run starts checking it")
        for name, wl in by_name.items()
        if name not in stored
    ]
    return sorted(out, key=lambda x: x[1].name)
