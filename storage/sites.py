"""Per-site line counts: lines seen on many pages of one host are boilerplate."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from storage.bulk import insert_rows


def line_counts(
    conn: duckdb.DuckDBPyConnection, keys: Iterable[tuple[str, int]]
) -> list[tuple[str, int, int]]:
    """Stored (host, line_hash, pages) rows for the given (host, line_hash) pairs."""
    keys = sorted(set(keys))
    if not keys:
        return []
    return conn.execute(
        """SELECT s.host, s.line_hash, s.pages
           FROM site_lines s
           JOIN (SELECT unnest(?) AS host, unnest(?) AS line_hash) q USING (host, line_hash)""",
        [[h for h, _ in keys], [k for _, k in keys]],
    ).fetchall()


def save(conn: duckdb.DuckDBPyConnection, rows: list[tuple[str, int, int]]) -> None:
    """Replace the counts of the given lines with their new totals."""
    if not rows:
        return
    conn.execute(
        """DELETE FROM site_lines WHERE (host, line_hash) IN
           (SELECT (unnest(?), unnest(?)))""",
        [[h for h, _, _ in rows], [k for _, k, _ in rows]],
    )
    insert_rows(conn, "site_lines", ["host", "line_hash", "pages"], rows)
