"""`mediawatch export`: the format from the file name or --format, and writers that keep
outside text harmless where it lands. CSV files are opened in spreadsheets, which run a
cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula: such cells get a leading
apostrophe (mediawatch.safe_text.csv_cell). JSON keeps every value exactly, with the
stored decisions and scores as nested objects."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from mediawatch.safe_text import csv_cell
from storage import queries

FORMATS = ("jsonl", "json", "csv", "parquet")
_ALIASES = {"ndjson": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says what to do instead."""


def export_format(fmt: str | None, output: str | None) -> str:
    """The format: --format, else the output file's extension (any case), else JSON Lines."""
    if fmt:
        name = fmt.lower()
    elif output and output != "-":
        name = Path(output).suffix.lstrip(".").lower()
        if not name:
            raise ExportError(
                f"cannot tell the format of {output!r}: name it .jsonl, .json, .csv or "
                ".parquet, or give --format"
            )
    else:
        name = "jsonl"
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise ExportError(f"unknown export format {name!r}: use jsonl, json, csv or parquet")
    return name


def check_output(output: str) -> Path:
    """The output file, absolute; its folder must exist (nothing is created silently)."""
    path = Path(output).expanduser().absolute()
    if path.is_dir():
        raise ExportError(f"{output} is a folder: give a file name")
    if not path.parent.is_dir():
        raise ExportError(f"no folder {path.parent} for {output}: create it first")
    return path


def to_file(conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, what: str) -> int:
    """Write the export to ``path``; the number of records."""
    try:
        if fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as out:
                return _csv(conn, out, what)
        return queries.export(conn, str(path), fmt, what)
    except duckdb.IOException as exc:
        raise ExportError(f"cannot write {path}: {exc}") from None
    except OSError as exc:  # not a place for files (/proc), a full disk, no permission
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def to_stream(
    conn: duckdb.DuckDBPyConnection, fmt: str, what: str, out: IO[str] | None = None
) -> int:
    """Write the export to ``out`` (standard output; text formats only). A write that
    fails there is the command's to report, as for every command (cli_common.guarded_stdout)."""
    out = out if out is not None else sys.stdout
    if fmt == "parquet":
        raise ExportError("parquet needs an output file: -o FILE")
    return _csv(conn, out, what) if fmt == "csv" else _json_stream(conn, out, fmt, what)


def _json_stream(conn: duckdb.DuckDBPyConnection, out: IO[str], fmt: str, what: str) -> int:
    columns, batches = queries.export_batches(conn, what)
    decode = _json_decoders(columns)
    names = [c for c, _ in columns]
    count = 0
    if fmt == "json":
        out.write("[")
    for rows in batches:
        for row in rows:
            record = {n: d(v) for n, d, v in zip(names, decode, row, strict=True)}
            if fmt == "json":
                out.write(",\n" if count else "\n")
            out.write(json.dumps(record, default=_json_value))  # \u-escaped: safe in a terminal
            if fmt == "jsonl":
                out.write("\n")
            count += 1
    if fmt == "json":
        out.write("\n]\n")
    return count


def _csv(conn: duckdb.DuckDBPyConnection, out: IO[str], what: str) -> int:
    columns, batches = queries.export_batches(conn, what)
    writer = csv.writer(out)
    writer.writerow([c for c, _ in columns])
    count = 0
    for rows in batches:
        writer.writerows([csv_cell(_csv_value(v)) for v in row] for row in rows)
        count += len(rows)
    return count


def _csv_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _json_decoders(columns: list[tuple[str, str]]) -> list[Callable[[Any], Any]]:
    """Per column: JSON-typed values (stored as text) parsed into nested values."""

    def nested(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    return [nested if kind == "JSON" else _same for _, kind in columns]


def _same(v: Any) -> Any:
    return v


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def readable(conn: duckdb.DuckDBPyConnection, what: str) -> list[str]:
    """Prepare the export of a possibly damaged file: the tables it reads are read
    first; columns that cannot be read are exported empty. Returns them ("table.column");
    empty for a whole file, which then exports as always."""
    from storage import salvage

    skipped = []
    for table, columns in salvage.unreadable(
        conn, salvage.tables_in(conn, queries.EXPORTS[what])
    ).items():
        salvage.stand_in(conn, table, columns)
        skipped += [f"{table}.{c}" for c in columns]
    return skipped
