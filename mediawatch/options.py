"""Command-line option checks, so cli.py stays thin: numbers in range (a negative
--limit is a one-line error, not a traceback), help that shows every default, and a
parser whose errors are one line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

MAX_COUNT = 1_000_000_000  # --limit, --offset: more than any archive holds, and a number
# the database takes (a 20-digit one is past its 64-bit integers)
MAX_DAYS = 36_600  # --prune-days: a century, as retention.prune_text_after_days


def count(text: str) -> int:
    """--limit and --offset: a whole number, 0 or more (for --limit, 0 means all)."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT:,}, not {value}")
    return value


def days(text: str) -> int:
    """--prune-days: 0 (no pruning) up to a century."""
    value = _whole(text)
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"must be 0 (no pruning) to {MAX_DAYS:,} (a century), not {value}"
        )
    return value


def positive(text: str) -> int:
    """A whole number, 1 or more (--width)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def port(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 (any free port) to 65535, not {value}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


class DefaultsHelp(argparse.HelpFormatter):
    """Each option's help ends with its default, unless it says it already or has none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default in (None, False, argparse.SUPPRESS)
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: what is wrong, and where to read more."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


class OptionError(ValueError):
    """A path or value on the command line that cannot be used; one line says why."""


def check_new_database(path: Path) -> None:
    """A write command creates the database file, never the folders above it: a typo in
    the path would otherwise plant a new archive somewhere unexpected."""
    if not path.exists() and not path.parent.is_dir():
        raise OptionError(
            f"no folder {path.parent} for the database {path.name}: create it first "
            f"(mkdir -p {path.parent})"
        )


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_database_file(path: Path) -> None:
    """Refuse a file that is not a DuckDB database (a CSV, a JSONL list, a folder)
    before anything opens or locks it: no `<file>.lock` is left beside it."""
    if path.is_dir():
        raise OptionError(f"the database {path} is a folder: give a .duckdb file")
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except FileNotFoundError:
        return  # a new database, or "no database" from the read commands
    except OSError as exc:
        raise OptionError(f"cannot read the database {path}: {exc.strerror}") from None
    if head and head[8:12] != DUCKDB_MAGIC:
        hint = ""
        if path.suffix.lower() in (".csv", ".jsonl", ".json", ".html", ".txt"):
            hint = f" (to read articles from it: mediawatch ingest {path})"
        raise OptionError(f"cannot open {path}: it is not a mediawatch (DuckDB) database{hint}")
