"""Fast inserts: DuckDB takes whole columns as lists far quicker than row-by-row executemany."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    select = ", ".join(f"unnest(${i + 1}) AS {c}" for i, c in enumerate(columns))
    conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select}", [list(c) for c in cols]
    )
