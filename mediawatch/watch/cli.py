"""`mediawatch watch ...`: add, list, remove watchlists; their hits; a digest.

Registered by mediawatch.cli (``register``); everything else lives here. A user's
mistake (an unknown watchlist, a bad --since, a query of common words only) is one
line on standard error and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mediawatch import options
from mediawatch.cli_common import print_json
from mediawatch.config import ConfigError, Settings, WatchList, load_settings

EXIT_OK, EXIT_ERROR = 0, 1


class UsageError(Exception):
    """Said to the user in one line."""


def plain_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        from mediawatch.filters import FilterError
        from mediawatch.watch.lists import WatchError

        try:
            return func(args)
        except (UsageError, WatchError, FilterError) as exc:
            print(f"mediawatch: {exc}", file=sys.stderr)
            return EXIT_ERROR

    return run


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None), db=getattr(args, "db", None))


def _checked(settings: Settings) -> None:
    """A file that is not a DuckDB database is refused as every command refuses it."""
    from mediawatch.options import OptionError, check_database_file

    try:
        check_database_file(settings.db_path)
    except OptionError as exc:
        raise UsageError(str(exc)) from None


def _reader(settings: Settings):
    from storage.connection import reader

    _checked(settings)
    return reader(settings.db_path, wait=settings.storage.reader_wait_seconds)


def _writer(settings: Settings):
    from storage.connection import writer

    _checked(settings)
    return writer(settings.db_path, wait=settings.storage.writer_wait_seconds)


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


# --- commands --------------------------------------------------------------------------


@plain_errors
def cmd_add(args: argparse.Namespace) -> int:
    from mediawatch.watch import lists
    from mediawatch.watch.render import describe
    from storage.connection import transaction

    settings = _settings(args)
    if any(w.name == args.name for w in settings.watch.lists):
        raise UsageError(
            f"a watchlist named {args.name!r} is in the settings ([[watch.lists]]); pick "
            "another name"
        )
    try:
        wl = WatchList(
            name=args.name,
            query=args.query or "",
            sources=tuple(args.source or ()),
            languages=tuple(lang.lower() for lang in args.language or ()),
            min_size=args.min_size,
            growth_articles=args.growth_articles,
            growth_hours=args.growth_hours,
            webhook=args.webhook or "",
            notify_block=args.notify_block or "",
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    with _writer(settings) as conn, transaction(conn):
        lists.add(conn, wl, _now(), from_start=args.from_start)
    start = "everything stored" if args.from_start else "articles stored from now on"
    print(f"added watchlist {wl.name}: {describe(wl)}")
    print(f"  the next run checks {start} (mediawatch run, ingest, serve)")
    if wl.webhook:
        from urllib.parse import urlsplit

        from mediawatch.ingest.fetch import host_allowed

        host = (urlsplit(wl.webhook).hostname or "").lower()
        if not host_allowed(host, settings.watch.allowed_hosts):
            print(
                f"  note: {host} is not in watch.allowed_hosts: its deliveries will be refused "
                "(and recorded) until it is",
                file=sys.stderr,
            )
    return EXIT_OK


def _all_lists(settings: Settings, conn) -> list[tuple[Any, WatchList, str]]:
    from mediawatch.watch.lists import overview

    return overview(settings.watch.lists, conn, _now())


def _definition(wl: WatchList) -> dict[str, Any]:
    from mediawatch.watch.lists import definition

    return definition(wl)


@plain_errors
def cmd_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.db_path.exists():
        with _reader(settings) as conn:
            rows = _all_lists(settings, conn)
    else:
        rows = _all_lists(settings, None)
    if args.json:
        print_json(
            [
                {
                    "name": wl.name,
                    "origin": row.origin if row else "settings",
                    "active": row.active if row else True,
                    "definition": _definition(wl),
                    "hits": row.hits if row else 0,
                    "hits_24h": row.recent_hits if row else 0,
                    "last_hit": row.last_hit if row else None,
                    "note": note,
                }
                for row, wl, note in rows
            ]
        )
        return EXIT_OK
    from mediawatch.watch import render

    render.watchlists(rows)
    return EXIT_OK


@plain_errors
def cmd_remove(args: argparse.Namespace) -> int:
    from storage import watch as watch_db
    from storage.connection import transaction

    settings = _settings(args)
    if any(w.name == args.name for w in settings.watch.lists):
        raise UsageError(
            f"watchlist {args.name!r} is defined in the settings: take its [[watch.lists]] "
            "table out (its hits stay until `mediawatch watch remove` then)"
        )
    if not settings.db_path.exists():
        raise UsageError(f"no watchlist {args.name!r} (no database at {settings.db_path})")
    with _writer(settings) as conn, transaction(conn):
        row = watch_db.get_watchlist(conn, args.name)
        if row is None:
            raise UsageError(f"no watchlist {args.name!r} (mediawatch watch list)")
        n = watch_db.remove_watchlist(conn, row.watchlist_id)
    print(f"removed watchlist {args.name} and its {n} hit{'s' if n != 1 else ''}")
    return EXIT_OK


def _hits(args: argparse.Namespace):
    from mediawatch.filters import parse_when
    from storage import watch as watch_db

    settings = _settings(args)
    try:
        since = parse_when(args.since) if args.since else None
    except (OverflowError, ValueError) as exc:  # FilterError is a ValueError
        raise UsageError(str(exc) if str(exc) else f"cannot read the time {args.since!r}") from None
    if isinstance(since, datetime) and since > _now():
        raise UsageError(f"--since {args.since!r} is in the future: no hits can be found after it")
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be 0 (every hit) or more")
    if not settings.db_path.exists():
        raise UsageError(f"no watchlist {args.name!r} (no database at {settings.db_path})")
    with _reader(settings) as conn:
        row = watch_db.get_watchlist(conn, args.name)
        if row is None:
            configured = any(w.name == args.name for w in settings.watch.lists)
            raise UsageError(
                f"watchlist {args.name!r} has not been checked yet (the next run starts it)"
                if configured
                else f"no watchlist {args.name!r} (mediawatch watch list)"
            )
        rows = watch_db.list_hits(conn, row.watchlist_id, since, args.limit or None)
    return since, rows


@plain_errors
def cmd_hits(args: argparse.Namespace) -> int:
    since, rows = _hits(args)
    if args.json:
        print_json([dataclasses.asdict(r) for r in rows])
        return EXIT_OK
    from mediawatch.watch import render

    render.hits(args.name, rows, since)
    return EXIT_OK


@plain_errors
def cmd_digest(args: argparse.Namespace) -> int:
    from mediawatch.watch import digest

    args.limit = None
    since, rows = _hits(args)
    make = digest.html_page if args.format == "html" else digest.markdown
    sys.stdout.write(make(args.name, rows, since, _now()))
    return EXIT_OK


# --- parser ----------------------------------------------------------------------------


def register(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    as_json: argparse.ArgumentParser,
) -> None:
    """The `watch` command and its subcommands, on the main parser's subcommands."""
    helptext = "watchlists: saved queries every run checks; their hits and digests"
    watch = sub.add_parser("watch", help=helptext, description=helptext)
    actions = watch.add_subparsers(dest="watch_command", required=True, metavar="ACTION")

    def add(name: str, func, text: str, *parents: argparse.ArgumentParser):
        p = actions.add_parser(name, help=text, description=text, parents=[common, *parents])
        p.set_defaults(func=func)
        return p

    p = add(
        "add",
        cmd_add,
        'add a watchlist: words, prefix* and "phrases" as in search, narrowed by sources, '
        "languages, story size; optionally a growth mark and where to deliver hits",
    )
    p.add_argument("name", metavar="NAME", help="lowercase letters, digits, - and _")
    p.add_argument("query", nargs="?", metavar="QUERY", help="e.g. 'flood* \"sea wall\"'")
    p.add_argument(
        "--source", action="append", help="only this source (any part, any case); repeatable"
    )
    p.add_argument(
        "--language", action="append", help="only this language (ISO code: en, nl); repeatable"
    )
    p.add_argument(
        "--min-size", type=int, default=1, help="only stories of at least N articles (default 1)"
    )
    p.add_argument(
        "--growth-articles",
        type=int,
        default=0,
        metavar="N",
        help="also alert when a story has N articles dated within --growth-hours (default: off)",
    )
    p.add_argument("--growth-hours", type=float, default=24.0, metavar="H", help="default 24")
    p.add_argument(
        "--webhook", metavar="URL", help="POST new hits as JSON (host in watch.allowed_hosts)"
    )
    p.add_argument(
        "--notify-block",
        metavar="SLUG/NAME",
        help="a Prefect notification block, e.g. slack-webhook/newsroom",
    )
    p.add_argument(
        "--from-start",
        action="store_true",
        help="check everything already stored on the next run (default: only what comes next)",
    )
    add("list", cmd_list, "list the watchlists with their number of hits", as_json)
    p = add("remove", cmd_remove, "remove a watchlist and its hits")
    p.add_argument("name", metavar="NAME")
    p = add("hits", cmd_hits, "a watchlist's hits, newest first, with their deliveries", as_json)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--since", help="found at or after: 24h, 7d, 2026-03-01")
    p.add_argument(
        "--limit", type=options.count, default=100, help="at most N hits (0: all; default 100)"
    )
    p = add("digest", cmd_digest, "a watchlist's hits by story, for a morning e-mail")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--since", default="24h", help="found at or after (default 24h)")
    p.add_argument("--format", choices=["md", "html"], default="md", help="md (default) or html")
