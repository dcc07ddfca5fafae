"""Items whose content gave no article (rejected_items): the latest rejection per item."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class Rejected:
    url_key: str
    raw_hash: str
    extract_key: str
    origin: str
    url: str | None
    stage: str
    reason: str


def save(conn: duckdb.DuckDBPyConnection, rows: list[Rejected], run_id: int, at: datetime) -> None:
    if not rows:
        return
    conn.executemany(
        "INSERT OR REPLACE INTO rejected_items (url_key, raw_hash, extract_key, origin, url,"
        " stage, reason, run_id, rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.url_key, r.raw_hash, r.extract_key, r.origin, r.url, r.stage, r.reason, run_id, at)
            for r in rows
        ],
    )


def forget(conn: duckdb.DuckDBPyConnection, url_keys: Iterable[str]) -> None:
    """Items stored as articles now: no longer rejected."""
    keys = sorted(set(url_keys))
    if keys:
        conn.execute("DELETE FROM rejected_items WHERE url_key IN (SELECT unnest(?))", [keys])


def lookup(conn: duckdb.DuckDBPyConnection, url_keys: Iterable[str]) -> dict[str, Rejected]:
    keys = sorted(set(url_keys))
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT url_key, raw_hash, extract_key, origin, url, stage, reason FROM rejected_items"
        " WHERE url_key IN (SELECT unnest(?))",
        [keys],
    ).fetchall()
    return {r[0]: Rejected(*r) for r in rows}
