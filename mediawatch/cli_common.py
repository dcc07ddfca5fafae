"""What every command shares: exit codes, the user's-mistake exception, JSON output and
the way a command finds its settings and opens the database to read."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mediawatch import options
from mediawatch.config import Settings, load_settings
from mediawatch.safe_text import json_for_terminal
from mediawatch.times import iso_utc

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


class OutputError(Exception):
    """Standard output cannot be written (a full disk, a device error): said in one line.
    A reader that stopped (``| head``) is BrokenPipeError, which ends quietly instead."""


class _GuardedOutput:
    """sys.stdout for the length of a command: its write errors become OutputError, so
    the command says so instead of a traceback, whatever printed (rich, print, JSON)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        with _as_output_error():
            return self._stream.write(text)

    def flush(self) -> None:
        with _as_output_error():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self._stream, name)


@contextlib.contextmanager
def _as_output_error() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise  # the reader stopped (`| head`): the command ends quietly
    except OSError as exc:
        raise OutputError(exc.strerror or str(exc)) from None


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """Write errors on standard output become OutputError while the block runs."""
    original = sys.stdout
    sys.stdout = _GuardedOutput(original)  # type: ignore[assignment]
    try:
        yield
        sys.stdout.flush()  # a full disk says so here, not at the interpreter's exit
    finally:
        sys.stdout = original


def discard_output(out: Any) -> None:
    """After a failed write to standard output: what is still buffered goes nowhere,
    so that Python's own flush at exit does not fail again with a traceback."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file (a test's capture)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)  # stored times are UTC without a zone: say so
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(value: Any) -> None:
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    elif isinstance(value, list):
        value = [dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for v in value]
    text = json.dumps(value, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write(json_for_terminal(text))
    sys.stdout.write("\n")


def settings_of(args: argparse.Namespace) -> Settings:
    settings = load_settings(getattr(args, "config", None), db=getattr(args, "db", None))
    options.check_database_file(settings.db_path)
    return settings


def reader_of(settings: Settings):
    from storage.connection import reader

    return reader(settings.db_path, wait=settings.storage.reader_wait_seconds)
