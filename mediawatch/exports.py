"""`mediawatch export`: the format from the file name or --format, and writers that keep
outside text harmless where it lands. CSV files are opened in spreadsheets, which run a
cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula: such cells get a leading
apostrophe (mediawatch.safe_text.csv_cell). JSON keeps every value exactly, with the
stored decisions and scores as nested objects, and escapes every control character and
direction override (safe_text.json_for_terminal), so it is safe in a terminal as it is.
CSV shown on a terminal is made plain text the way every command's output is
(safe_text.plain: no escape sequences, control characters or direction overrides); to a
file or a pipe it is exact. Parquet never goes to a terminal.

A format is written by one writer whatever the destination, so a file and standard
output get the same bytes, and every time is ISO 8601 with its UTC offset, as in
``--json`` (Parquet keeps typed timestamps)."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from mediawatch.safe_text import csv_cell, json_for_terminal, plain
from mediawatch.times import iso_utc
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
        if fmt == "parquet":
            if _is_terminal(path):  # -o /dev/tty: binary bytes would garble the screen
                raise ExportError(f"{path} is a terminal: parquet needs a file to write to")
            return queries.export(conn, str(path), fmt, what)
        with path.open("w", encoding="utf-8", newline="") as out:
            return _write(conn, out, fmt, what)
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
    return _write(conn, out, fmt, what)


def _write(conn: duckdb.DuckDBPyConnection, out: IO[str], fmt: str, what: str) -> int:
    """The text formats, one writer each for files and standard output alike."""
    if fmt == "csv":
        return _csv(conn, out, what, terminal=out.isatty())
    return _json_stream(conn, out, fmt, what)


def _is_terminal(path: Path) -> bool:
    """True if writing to ``path`` writes to a terminal (/dev/tty, /dev/stdout on one)."""
    if not path.is_char_device():
        return False  # checked first: a regular file is neither opened nor created here
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


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
            # UTF-8 as --json writes it, every control and direction override \u-escaped:
            # the same values, and nothing a terminal obeys
            text = json.dumps(record, default=_json_value, ensure_ascii=False)
            out.write(json_for_terminal(text))
            if fmt == "jsonl":
                out.write("\n")
            count += 1
    if fmt == "json":
        out.write("\n]\n")
    return count


def _csv(conn: duckdb.DuckDBPyConnection, out: IO[str], what: str, *, terminal: bool) -> int:
    """CSV; on a ``terminal`` its texts are made plain (line breaks kept, in quoted cells)."""
    columns, batches = queries.export_batches(conn, what)
    writer = csv.writer(out)
    writer.writerow([c for c, _ in columns])
    count = 0
    for rows in batches:
        writer.writerows([_csv_cell(v, terminal) for v in row] for row in rows)
        count += len(rows)
    return count


def _csv_cell(value: Any, terminal: bool) -> Any:
    value = _iso(value)
    if terminal and isinstance(value, str):
        value = plain(value, multiline=True)
    return csv_cell(value)  # after plain: a formula hidden behind an escape is caught too


def _iso(value: Any) -> Any:
    """A time as ``--json`` says it (mediawatch.times.iso_utc); a date as a date; any
    other value as it is."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_decoders(columns: list[tuple[str, str]]) -> list[Callable[[Any], Any]]:
    """Per column: JSON-typed values (stored as text) parsed into nested values."""

    def nested(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    return [nested if kind == "JSON" else _same for _, kind in columns]


def _same(v: Any) -> Any:
    return v


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return _iso(value)
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
