"""Reading what is left of a damaged file: which columns of which tables can still be
read, and temporary views that stand in for the tables with the unreadable columns
left empty (NULL), so that `mediawatch export` gives what is readable.

DuckDB checks each block as it reads it; a damaged block fails every query that reads
it (storage.connection), and one block can hold pieces of several columns. Column by
column, everything else comes out whole. Nothing is written: the views are temporary,
in the read-only connection's memory."""

from __future__ import annotations

import re

import duckdb

from storage.connection import is_damage


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reads(conn: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """Does the query read without meeting damage? (Other errors are raised.)"""
    try:
        conn.execute(sql).fetchall()
        return True
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise
        return False


def _every_value(columns: str, table: str) -> str:
    # hash() of every value: min() may be answered from a segment's statistics without
    # reading its block, and the export reads the values
    return f"SELECT bit_xor(hash({columns})) FROM {table}"


def tables_in(conn: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The stored tables a query names."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            " AND NOT temporary ORDER BY table_name"
        ).fetchall()
    ]
    return [t for t in names if re.search(rf"\b{re.escape(t)}\b", sql)]


def unreadable(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, list[str]]:
    """table -> its columns that cannot be read (a whole pass over each table; column
    by column only for a table that fails whole)."""
    conn.execute("SET enable_progress_bar = false")
    out: dict[str, list[str]] = {}
    for t in tables:
        name = _quoted(t)
        if _reads(conn, _every_value("COLUMNS(*)", name)):
            continue
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name ="
                " current_database() AND table_name = ? ORDER BY column_index",
                [t],
            ).fetchall()
        ]
        bad = [c for c in columns if not _reads(conn, _every_value(_quoted(c), name))]
        out[t] = bad or columns  # failing whole but no column alone: nothing trusted
    return out


def stand_in(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> None:
    """A temporary view named as the table, the given columns NULL (of their type): the
    queries that name the table read it instead."""
    types = dict(
        conn.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name ="
            " current_database() AND table_name = ?",
            [table],
        ).fetchall()
    )
    catalog = conn.execute("SELECT current_database()").fetchone()[0]
    empty = ", ".join(f"NULL::{types[c]} AS {_quoted(c)}" for c in columns)
    conn.execute(
        f"CREATE OR REPLACE TEMP VIEW {_quoted(table)} AS SELECT * REPLACE ({empty})"
        f" FROM {_quoted(catalog)}.main.{_quoted(table)}"
    )
