"""The `mediawatch` command: its parser, and how a command runs (errors a user can fix
printed without a traceback, Ctrl-C and SIGTERM stopping cleanly).

The commands live beside it: ``read_cli`` (read-only, never imports Prefect, so they
answer quickly and work while a run is writing), ``write_cli`` (ingest and run through
the Prefect flow, vacuum, migrate, reindex), ``service_cli`` (server, serve, ui),
``article_cli``, ``corrections_cli``, ``watch.cli`` and ``evaluate.cli``; what they share
is in ``cli_common``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from mediawatch import families, options
from mediawatch.cli_common import (  # re-exported: callers and tests use them from here
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    OutputError,
    discard_output,
    guarded_stdout,
    print_json,
    settings_of,
)
from mediawatch.config import ConfigError
from mediawatch.evaluate.cli import cmd_evaluate
from mediawatch.read_cli import (
    cmd_check,
    cmd_diff,
    cmd_dupes,
    cmd_explain,
    cmd_export,
    cmd_failures,
    cmd_feeds,
    cmd_runs,
    cmd_search,
    cmd_stories,
    cmd_story,
)
from mediawatch.safe_text import plain
from mediawatch.service_cli import cmd_serve, cmd_server, cmd_ui
from mediawatch.write_cli import cmd_ingest, cmd_migrate, cmd_reindex, cmd_run, cmd_vacuum

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "build_parser",
    "main",
    "print_json",
]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: settings, or $MEDIAWATCH_DB)")
    common.add_argument("--config", help="settings file (default: config/mediawatch.toml)")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON for scripts")

    parser = options.Parser(
        prog="mediawatch",
        formatter_class=options.DefaultsHelp,
        description="Media monitoring: ingest news, find copies and rewrites, cluster stories.",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=families.CommandParser
    )

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str, *parents):
        p = sub.add_parser(
            name,
            help=help,
            description=help,
            parents=[common, *parents],
            formatter_class=options.DefaultsHelp,
        )
        p.set_defaults(func=func)
        return p

    p = add("run", cmd_run, "ingest the configured sources, then show stories and duplicate groups")
    p = add(
        "ingest",
        cmd_ingest,
        "ingest files, folders, JSONL or CSV article lists, and feeds or sitemaps by URL",
        as_json,
    )
    p.add_argument("paths", nargs="*", metavar="PATH_OR_URL")
    p.add_argument("--feeds", action="store_true", help="also poll every configured feed")
    p.add_argument(
        "--due", action="store_true", help="with --feeds: only feeds whose poll interval passed"
    )
    p.add_argument(
        "--allow-private-hosts",
        action="store_true",
        help="allow fetching from private, loopback and link-local addresses (local setups, tests)",
    )
    p = add("stories", cmd_stories, "list stories, filtered and sorted", as_json)
    p.add_argument("--since", help="with an article dated at or after: 2026-02-24, 24h, 7d")
    p.add_argument("--until", help="with an article dated at or before (a date: its end)")
    p.add_argument("--source", help="with an article from a source containing this text")
    p.add_argument(
        "--language", help="with an article in this language (identified): de, zh, ... or und"
    )
    p.add_argument("-q", "--search", help='with an article matching: words, prefix*, "a phrase"')
    p.add_argument(
        "--min-size", type=options.count, default=1, help="only stories with at least N articles"
    )
    p.add_argument(
        "--sort",
        choices=["size", "recent", "growth", "relevance"],
        help="size (default), recent (latest article), growth (articles in the growth "
        "window), relevance (with --search; its default)",
    )
    p.add_argument(
        "--growth-hours",
        type=float,
        default=24.0,
        help="growth counts articles dated in the N hours before --until or now",
    )
    p.add_argument("--limit", type=options.count, default=50, help="stories shown (0: all)")
    p.add_argument("--offset", type=options.count, default=0, help="skip this many first")
    p = add(
        "search",
        cmd_search,
        'full-text search over articles: words, prefix*, "a phrase"; best first',
        as_json,
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--since", help="articles dated at or after: 2026-02-24, 24h, 7d")
    p.add_argument("--until", help="articles dated at or before")
    p.add_argument("--source", help="articles from a source containing this text")
    p.add_argument("--limit", type=options.count, default=20, help="articles shown (0: all)")
    p.add_argument("--offset", type=options.count, default=0, help="skip this many first")
    p = add(
        "story",
        cmd_story,
        "show one story: timeline (origin first), duplicate groups, independent articles",
        as_json,
    )
    p.add_argument("story_id", type=int, metavar="ID")
    p.add_argument(
        "--limit",
        type=options.count,
        default=100,
        help="timeline and independent rows shown (0: all; --json has every article)",
    )
    p = add("dupes", cmd_dupes, "list duplicate groups (or show one)", as_json)
    p.add_argument("group_id", type=int, nargs="?", metavar="GROUP_ID")
    p.add_argument("--limit", type=options.count, default=50, help="groups shown (0: all)")
    p = add(
        "explain", cmd_explain, "why two articles are (or are not) duplicates or one story", as_json
    )
    p.add_argument("article_a", type=int, metavar="ARTICLE_A")
    p.add_argument("article_b", type=int, metavar="ARTICLE_B")
    p = add(
        "diff",
        cmd_diff,
        "compare two articles sentence by sentence, shared passages marked",
        as_json,
    )
    p.add_argument("article_a", type=int, metavar="A")
    p.add_argument("article_b", type=int, metavar="B")
    p.add_argument(
        "-u", "--unified", action="store_true", help="one column (default: side by side)"
    )
    p.add_argument(
        "--width", type=options.positive, help="total width for side by side (default: terminal)"
    )
    p = add(
        "export",
        cmd_export,
        "export articles, stories or memberships (jsonl, json, csv, parquet)",
    )
    p.add_argument(
        "--what",
        choices=["articles", "stories", "members"],
        default="articles",
        help="articles (default), stories, or members: one record per article's story "
        "and duplicate-group membership",
    )
    p.add_argument(
        "--format",
        type=str.lower,
        choices=["jsonl", "json", "csv", "parquet"],
        help="jsonl (one JSON record a line), json (one array), csv or parquet "
        "(default: from the output file's extension, else jsonl)",
    )
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p = add("runs", cmd_runs, "list recent runs", as_json)
    p.add_argument("--limit", type=options.count, default=20, help="runs shown (0: all)")
    add("feeds", cmd_feeds, "feed health: last poll, last success, failures, items", as_json)
    p = add("failures", cmd_failures, "list items that could not be taken, with reasons", as_json)
    p.add_argument("--run", type=int, help="only this run")
    p.add_argument("--limit", type=options.count, default=100, help="failures shown (0: all)")
    p = add("ui", cmd_ui, "serve the read-only web inspector (http://127.0.0.1:8765)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; anything else "
        "exposes the archive to the network)",
    )
    p.add_argument("--port", type=options.port, default=8765, help="port (0: any free port)")
    p.add_argument(
        "--edit",
        action="store_true",
        help="allow corrections (story merge/split, article move, group detach/attach, "
        "undo) from the pages; default: read-only",
    )
    p = add(
        "vacuum",
        cmd_vacuum,
        "retention: prune the texts of old closed stories (keeping metadata, memberships and "
        "fingerprints), then compact the database file",
        as_json,
    )
    p.add_argument(
        "--prune-days",
        type=options.days,
        metavar="N",
        help="prune texts older than N days (default: retention.prune_text_after_days; 0: none)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="count what would be pruned, change nothing"
    )
    p.add_argument("--no-compact", action="store_true", help="do not rewrite the file")
    add("check", cmd_check, "check the database's consistency (read-only)", as_json)
    p = add(
        "server",
        cmd_server,
        "the project's Prefect server in the background (UI, schedules, run history)",
    )
    p.add_argument("action", choices=["start", "stop", "status"], help="one of the commands below")
    p.family = [
        ("server start", "start the Prefect server in the background (with its UI)"),
        ("server stop", "stop the background server"),
        ("server status", "whether it runs and answers, and where"),
    ]
    p = add(
        "serve",
        cmd_serve,
        "run the flows on their schedules ([[service.schedules]]) until interrupted",
    )
    p.add_argument("names", nargs="*", metavar="SCHEDULE", help="only these schedules")
    add(
        "migrate",
        cmd_migrate,
        "create the database or bring its schema up to date (its search index, and the "
        "fingerprints of an older text analysis)",
    )
    add(
        "reindex",
        cmd_reindex,
        "recompute fingerprints, story terms and search postings from the stored texts",
    )
    from mediawatch import article_cli, corrections_cli
    from mediawatch.watch import cli as watch_cli

    article_cli.register(sub, common, as_json)
    watch_cli.register(sub, common, as_json)
    corrections_cli.register(sub, common, as_json)
    families.register(sub)
    p = sub.add_parser(
        "evaluate",
        help="measure extraction, duplicate groups, stories, multilingual pairs and an "
        "open stream against labelled data",
        description="Measure quality on labelled data (default: ../shared/data).",
        formatter_class=options.DefaultsHelp,
    )
    p.set_defaults(func=cmd_evaluate)
    p.add_argument("what", choices=["extraction", "dupes", "stories", "pairs", "stream", "all"])
    p.add_argument(
        "file",
        nargs="?",
        help="labelled JSONL (default: stories/ecbplus-dev.jsonl; for pairs: "
        "pairs/semeval8-train-multilingual.jsonl)",
    )
    p.add_argument(
        "--data",
        help="folder with extraction/, stories/ and pairs/ (default: ../shared/data)",
    )
    p.add_argument("--label-field", default="subtopic", help="the story label of each record")
    p.add_argument("--batches", type=int, default=5, help="batches per order (stories)")
    p.add_argument("--orders", type=int, default=5, help="random orders besides file order")
    p.add_argument(
        "--seed",
        type=int,
        default=13,
        help="random seed of the built copies (dupes, pairs) and of the pairs' order",
    )
    p.add_argument("--seeds", help="folder with the two seed documents (default: seeds/)")
    p.add_argument("--full", action="store_true", help="every extraction variant (slower)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The program (``argv`` None: its command line) or a caller passing arguments. The
    program handles Ctrl-C and SIGTERM itself (mediawatch.interrupt): it stops what it
    started, prints one line and exits 130 or 143."""
    if argv is None:
        from mediawatch.handoff import hand_off

        handed = hand_off(sys.argv[1:])  # to the warm runner, when one listens
        if handed is not None:
            return handed
    from mediawatch import interrupt

    if argv is None:
        interrupt.install()
    from mediawatch.corrections_cli import route

    parser = build_parser()
    args = parser.parse_args(route(sys.argv[1:] if argv is None else argv))
    try:
        code = _run_command(args)
    except BaseException as exc:
        signum = interrupt.signal_of(exc) or interrupt.requested()
        if signum is None:
            raise
        if not interrupt.installed():
            return interrupt.exit_code(signum)
        _interrupted(args, signum)
    if interrupt.requested() and interrupt.installed():  # serve: Prefect's returns
        _interrupted(args, interrupt.requested())
    return code


def _interrupted(args: argparse.Namespace, signum: int) -> None:
    """Stopped by a signal: one line, then the exit (mediawatch.interrupt.exit_now)."""
    from mediawatch import interrupt, stopped

    try:
        settings = settings_of(args) if hasattr(args, "db") else None
    except Exception:
        settings = None
    interrupt.exit_now(signum, stopped.message(args.command, settings, signum))


def _run_command(args: argparse.Namespace) -> int:
    from mediawatch.ingest.local import SourceError
    from mediawatch.service import ServiceError
    from storage.connection import (
        DatabaseBusy,
        DatabaseDamaged,
        NoDatabase,
        SchemaError,
        UnreadableDatabase,
    )

    try:
        with guarded_stdout():
            return args.func(args)
    except OutputError as exc:  # a full disk behind standard output
        discard_output(sys.stdout)  # what is still buffered: not flushed at exit
        print(f"mediawatch: cannot write standard output: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (
        CommandError,
        ConfigError,
        SourceError,
        NoDatabase,
        SchemaError,
        DatabaseBusy,
        DatabaseDamaged,
        UnreadableDatabase,
        ServiceError,
        options.OptionError,
    ) as exc:
        from mediawatch import interrupt

        if interrupt.requested():
            raise  # a signal behind it: main says so instead
        print(f"mediawatch: {plain(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader stopped (`| head`): end quietly, as other tools do
        discard_output(sys.stdout)  # what is still buffered: not flushed at exit
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
