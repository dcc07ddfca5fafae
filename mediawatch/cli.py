"""The `mediawatch` command.

Read commands open the database read-only and never import Prefect, so they
answer quickly and work while a run is writing. Write commands run the Prefect
flow (which starts a temporary Prefect server when none is configured).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mediawatch import options
from mediawatch.config import ConfigError, Settings, StorageSettings, load_settings
from mediawatch.safe_text import json_for_terminal, plain

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        # stored times are UTC without a zone: say so, as ISO 8601 does
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(value: Any) -> None:
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    elif isinstance(value, list):
        value = [dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for v in value]
    text = json.dumps(value, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write(json_for_terminal(text))
    sys.stdout.write("\n")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(getattr(args, "config", None), db=getattr(args, "db", None))
    options.check_database_file(settings.db_path)
    return settings


def _reader(settings: Settings):
    from storage.connection import reader

    return reader(settings.db_path, wait=settings.storage.reader_wait_seconds)


# --- write commands -------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def cmd_ingest(args: argparse.Namespace) -> int:
    from mediawatch.ingest.local import check_sources

    settings = _settings(args)
    if not args.paths and not args.feeds:
        raise CommandError("nothing to ingest: give paths or URLs, or --feeds")
    if args.feeds and not settings.feeds.sources:
        raise CommandError("--feeds: no feeds configured ([[feeds.sources]] in the settings)")
    check_sources([p for p in args.paths if not _is_url(p)])
    _check_database(settings)
    summary = _run_flow(args.paths, args, settings, kind="ingest")
    if args.json:
        print_json(summary)
    else:
        from mediawatch import render
        from mediawatch.watch.render import run_hits

        render.run_summary(summary)
        run_hits(summary.watch)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: the configured sources and feeds, then what came of them."""
    from mediawatch.ingest.local import check_sources

    settings = _settings(args)
    sources = [s if _is_url(s) else str(settings.resolve(s)) for s in settings.run.sources]
    check_sources([s for s in sources if not _is_url(s)])
    _check_database(settings)
    args.feeds = bool(settings.feeds.sources)
    summary = _run_flow(sources, args, settings, kind="run")
    from mediawatch import render
    from mediawatch.watch.render import run_hits

    render.run_summary(summary)
    run_hits(summary.watch)
    with _reader(settings) as conn:
        from storage import queries

        render.stories_table(queries.list_stories(conn))
        render.groups(queries.list_groups(conn))
    return EXIT_OK


def _check_database(settings: Settings) -> None:
    """Open (and migrate) the database before Prefect starts: fail fast and plainly.
    Articles stored before the search index existed are indexed here."""
    from storage import search
    from storage.connection import before_write, transaction, writer

    if settings.storage.db != StorageSettings.db:  # the default's data/ folder is made
        options.check_new_database(settings.db_path)
    wait = settings.storage.writer_wait_seconds
    before_write(settings.db_path, wait=wait)  # a damaged file is not written to
    with writer(settings.db_path, wait=wait) as conn, transaction(conn):
        search.backfill(conn)


def _run_flow(sources: list[str], args: argparse.Namespace, settings: Settings, kind: str):
    from mediawatch.nothing_new import run_if_nothing_new

    sources = [s if _is_url(s) else str(Path(s).absolute()) for s in sources]
    feeds = bool(getattr(args, "feeds", False))
    read_at = datetime.now(UTC).replace(tzinfo=None)  # one fetch time for the local items
    first: list = []  # the first batch, as the flow will read it
    summary = run_if_nothing_new(sources, settings, kind, feeds, read_at, first)
    if summary is not None:  # recorded without Prefect: nothing to extract or store
        return summary
    from mediawatch import handoff

    ahead = None
    if handoff.disabled and not settings.run.dask_address:  # a run of the warm runner
        from mediawatch import prepare

        # workers forked before Prefect starts its threads; they start on the first
        # batch while the flow run is created
        if prepare.fork_workers(settings.worker_count):
            ahead = first or None
    from mediawatch.background import choose_server, leave_runner

    server_ready = choose_server(settings)  # before Prefect is imported
    from mediawatch.pausepoint import pause

    pause("startup")  # tests: the server launched, Prefect not imported yet
    from flows.ingest import run_ingest
    from mediawatch import progress, render

    with progress.listen(render.progress_listener()):
        summary = run_ingest(
            sources=sources,
            db=str(settings.db_path),
            config=getattr(args, "config", None),
            server_ready=server_ready,
            first_batch=ahead if server_ready is None else (first or None),
            read_at=read_at,
            kind=kind,
            feeds=feeds,
            due_only=bool(getattr(args, "due", False)),
            allow_private_hosts=True if getattr(args, "allow_private_hosts", False) else None,
        )
    leave_runner(settings)  # the next runs: no imports (mediawatch.runner)
    return summary


def cmd_vacuum(args: argparse.Namespace) -> int:
    """Retention: prune old texts (retention.prune_text_after_days), compact the file."""
    from mediawatch import pipeline

    settings = _settings(args)
    if args.prune_days is not None and args.prune_days < 0:
        raise CommandError("--prune-days must be 0 (no pruning) or more")
    if not settings.db_path.exists():
        from storage.connection import NoDatabase

        raise NoDatabase(f"no database at {settings.db_path}: nothing to vacuum")
    report = pipeline.vacuum(
        settings, args.prune_days, compact_file=not args.no_compact, dry_run=args.dry_run
    )
    if args.json:
        print_json({**report.counts(), "run_id": report.run_id, "dry_run": report.dry_run})
        return EXIT_OK
    if report.pruned is None:
        print("no pruning: retention.prune_text_after_days is 0 (or give --prune-days N)")
    else:
        p = report.pruned
        verb = "would prune" if report.dry_run else "pruned"
        print(
            f"{verb} the texts of {p.articles} articles and {p.revisions} earlier revisions "
            f"in {p.stories} stories whose latest article is older than "
            f"{report.prune_before:%Y-%m-%d %H:%M} UTC (retention {report.prune_days} days, "
            f"window {settings.match.window_days} days)"
        )
    if report.compaction is not None:
        c = report.compaction
        print(f"compacted {settings.db_path}: {c.bytes_before:,} -> {c.bytes_after:,} bytes")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """The database's invariants: memberships, sizes, groups inside stories, indexes."""
    from storage.check import check
    from storage.connection import DatabaseDamaged, verify

    settings = _settings(args)
    try:
        verify(settings.db_path, wait=settings.storage.reader_wait_seconds)
    except DatabaseDamaged as exc:
        if args.json:
            print_json({"ok": False, "damaged": str(exc)})
        else:
            print(f"mediawatch: {exc}", file=sys.stderr)
        return EXIT_ERROR
    with _reader(settings) as conn:
        result = check(conn)
    if args.json:
        print_json({**dataclasses.asdict(result), "ok": result.ok})
    else:
        print(
            f"{result.articles} articles, {result.stories} stories, {result.groups} duplicate "
            f"groups: {'consistent' if result.ok else 'PROBLEMS'}"
        )
        for what, n in result.problems.items():
            print(f"  {n}: {what}")
    return EXIT_OK if result.ok else EXIT_ERROR


# --- running as a service ---------------------------------------------------------------


def cmd_server(args: argparse.Namespace) -> int:
    """The project's Prefect server in the background: start, stop, status."""
    from mediawatch import service

    settings = _settings(args)
    if args.action == "start":
        state = service.start(settings)
        print(f"Prefect server running at {state.url} (pid {state.pid}; log {state.log})")
        print(f"  the Prefect UI:  {state.url}/")
        print("  next:            mediawatch serve   (runs the schedules in the settings)")
        print("  one-shot runs (mediawatch run, ingest) report to it while it runs")
        return EXIT_OK
    if args.action == "stop":
        state = service.stop()
        print(f"stopped the Prefect server (pid {state.pid})" if state else "no server running")
        return EXIT_OK
    status = service.status(settings)
    print(status.message)
    return EXIT_OK if status.healthy and status.running else EXIT_ERROR


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the scheduled flows from the settings with Prefect's serve, until interrupted."""
    import os

    from mediawatch import service

    settings = _settings(args)
    url = service.api_url(settings)
    if not os.environ.get("PREFECT_API_URL") and not service.healthy(url.removesuffix("/api")):
        raise CommandError(
            f"no Prefect server answers at {url.removesuffix('/api')}: start one with "
            "`mediawatch server start` (or set PREFECT_API_URL)"
        )
    os.environ["PREFECT_API_URL"] = url  # before Prefect is imported
    from mediawatch.background import hold

    hold(service.prefect_home())  # a background server does not stop while serve runs
    _check_database(settings)
    from flows.service import serve_schedules

    print(f"serving the schedules of {args.config or 'the settings'} into {settings.db_path}")
    print(f"  runs, logs and artifacts: {url.removesuffix('/api')}/deployments  (Ctrl-C stops)")
    serve_schedules(settings, args.config, args.names)
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    from storage import search
    from storage.connection import before_write, transaction, writer
    from storage.migrate import current_version

    settings = _settings(args)
    if settings.storage.db != StorageSettings.db:
        options.check_new_database(settings.db_path)
    before_write(settings.db_path, wait=settings.storage.writer_wait_seconds)  # damaged: hands off
    with writer(settings.db_path, wait=settings.storage.writer_wait_seconds) as conn:
        with transaction(conn):
            indexed = search.backfill(conn)
        print(f"{settings.db_path}: schema version {current_version(conn)}")
        if indexed:
            print(f"indexed {indexed} articles for search")
        _reindex(conn, force=getattr(args, "force", False))
    return EXIT_OK


def _reindex(conn, force: bool) -> None:
    """Recompute fingerprints, terms and profiles from the stored texts when they come
    from an older text analysis (or always, with ``force``), with progress on stderr."""
    from mediawatch import reindex
    from storage.connection import transaction

    if not force and not reindex.needed(conn):
        return

    def progress(done: int, total: int) -> None:
        print(f"\r  reindexing: {done:,} of {total:,} texts", end="", file=sys.stderr, flush=True)

    with transaction(conn):
        report = reindex.reindex(conn, progress)
    print(file=sys.stderr)
    print(
        f"reindexed {report.articles} articles and {report.stories} story profiles "
        f"(text scheme {report.from_scheme} -> {report.to_scheme}); "
        f"{report.pruned} pruned articles keep their rows"
    )


def cmd_reindex(args: argparse.Namespace) -> int:
    """Recompute what the text analysis derives from stored texts."""
    args.force = True
    return cmd_migrate(args)


# --- read commands --------------------------------------------------------------------


def _story_filter(args: argparse.Namespace):
    from mediawatch.filters import FilterError, story_filter

    try:
        return story_filter(
            since=args.since,
            until=args.until,
            source=args.source,
            language=getattr(args, "language", None),
            search=args.search,
            min_size=args.min_size,
            sort=args.sort,
            growth_hours=args.growth_hours,
            limit=args.limit or None,
            offset=args.offset,
        )
    except FilterError as exc:
        raise CommandError(str(exc)) from None


def cmd_stories(args: argparse.Namespace) -> int:
    from storage import queries

    where = _story_filter(args)
    with _reader(_settings(args)) as conn:
        rows = queries.list_stories(conn, where)
        partial = _partial_index(conn) if where.search else None
        total = None if args.json else queries.count_stories(conn, where)
    if args.json:
        print_json(rows)
    else:
        from mediawatch import render

        render.stories_table(rows, where, total)
    if partial:
        print(partial, file=sys.stderr)
    return EXIT_OK


def _partial_index(conn) -> str | None:
    """Say so when the search index misses articles (a database from before it)."""
    from storage import search

    indexed, total = search.coverage(conn)
    if indexed < total:
        return (
            f"mediawatch: the search index covers {indexed} of {total} articles; "
            "`mediawatch migrate` indexes the rest"
        )
    return None


def cmd_search(args: argparse.Namespace) -> int:
    from mediawatch.filters import FilterError, check_query, parse_when
    from mediawatch.search import parse_query, snippet
    from storage import search

    try:
        query = parse_query(check_query(args.query))
        since, until = parse_when(args.since), parse_when(args.until, end_of_day=True)
    except FilterError as exc:
        raise CommandError(str(exc)) from None
    if query.empty:
        raise CommandError(f"nothing to search for in {args.query!r} (only common words?)")
    where = {"since": since, "until": until, "source": args.source}
    with _reader(_settings(args)) as conn:
        hits = search.search(conn, query, limit=args.limit or None, offset=args.offset, **where)
        total = None if args.json else search.count_matches(conn, query, **where)
        partial = _partial_index(conn)
    results = [(h, snippet(h.text, query)) for h in hits]
    if args.json:
        print_json(
            [
                {
                    **{k: v for k, v in dataclasses.asdict(h).items() if k != "text"},
                    "snippet": "".join(s.text for s in snip),
                }
                for h, snip in results
            ]
        )
    else:
        from mediawatch import render

        render.search_results(args.query, results, total, args.offset, args.limit)
    if partial:
        print(partial, file=sys.stderr)
    return EXIT_OK


def cmd_story(args: argparse.Namespace) -> int:
    from storage import queries

    with _reader(_settings(args)) as conn:
        detail = queries.get_story(conn, args.story_id)
    if detail is None:
        raise CommandError(f"no story {args.story_id}")
    if args.json:
        print_json(detail)
    else:
        from mediawatch import render

        render.story_detail(detail, limit=args.limit or None)
    return EXIT_OK


def cmd_dupes(args: argparse.Namespace) -> int:
    from storage import queries

    with _reader(_settings(args)) as conn:
        if args.group_id is not None:
            group = queries.get_group(conn, args.group_id)
            if group is None:
                raise CommandError(f"no duplicate group {args.group_id}")
            groups = [group]
        else:
            groups = queries.list_groups(conn, limit=args.limit)
    if args.json:
        print_json(groups)
    else:
        from mediawatch import render

        render.groups(groups)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from mediawatch.diff import diff_texts
    from storage import queries

    with _reader(_settings(args)) as conn:
        a, b = queries.get_article(conn, args.article_a), queries.get_article(conn, args.article_b)
        if a is None or b is None:
            missing = [i for i, x in ((args.article_a, a), (args.article_b, b)) if x is None]
            raise CommandError("no such article: " + ", ".join(map(str, missing)))
        texts = queries.article_texts(conn, [a.article_id, b.article_id])
    pruned = [i for i in (a.article_id, b.article_id) if texts.get(i) is None]
    if pruned:
        from mediawatch.explain import PRUNED_NOTE

        raise CommandError(
            "nothing to compare: the text of "
            + " and ".join(f"article {i}" for i in dict.fromkeys(pruned))
            + f" {PRUNED_NOTE}"
        )
    diff = diff_texts(texts.get(a.article_id) or "", texts.get(b.article_id) or "")
    if args.json:
        print_json({"a": a, "b": b, "counts": diff.counts, "diff": _diff_json(diff)})
    else:
        from mediawatch import render

        render.text_diff(a, b, diff, unified=args.unified, width=args.width)
    return EXIT_OK


def _diff_json(diff) -> dict[str, Any]:
    def side(s):
        if s is None:
            return None
        return {
            "index": s.index,
            "text": s.text,
            "shared": [seg.text for seg in s.segments if seg.marked],
        }

    return {
        "shared_a": round(diff.shared_a, 4),
        "shared_b": round(diff.shared_b, 4),
        "rows": [
            {"kind": r.kind, "similarity": r.similarity, "a": side(r.left), "b": side(r.right)}
            for r in diff.rows
        ],
    }


def cmd_explain(args: argparse.Namespace) -> int:
    from mediawatch import explain

    settings = _settings(args)
    from storage import queries

    with _reader(settings) as conn:
        report = explain.explain_pair(
            conn, args.article_a, args.article_b, settings.match.window_days
        )
        if report is None:
            missing = [
                str(i)
                for i in dict.fromkeys((args.article_a, args.article_b))
                if queries.get_article(conn, i) is None
            ]
            raise CommandError(
                f"no such article: {', '.join(missing)}" if missing else "nothing to compare"
            )
    if args.json:
        print_json(report)
    else:
        from mediawatch import render

        render.explanation(report)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from mediawatch import exports

    settings = _settings(args)
    try:
        fmt = exports.export_format(args.format, args.output)
        path = None if args.output in (None, "-") else exports.check_output(args.output)
        with _reader(settings) as conn:
            skipped = exports.readable(conn, args.what)  # a damaged file: what is readable
            if path is None:
                count = exports.to_stream(conn, fmt, args.what)
            else:
                count = exports.to_file(conn, path, fmt, args.what)
    except exports.ExportError as exc:
        raise CommandError(str(exc)) from None
    done = f"exported {count:,} {args.what} to {args.output or 'standard output'} ({fmt})"
    if skipped:
        # one line, as for any damage; exit 1: the export is not the whole record
        raise CommandError(
            f"{settings.db_path} is damaged: {done} with what is readable; left empty, "
            f"unreadable: {', '.join(skipped)}; restore the last good copy (README: Reliability)"
        )
    if path is not None:
        print(done, file=sys.stderr)
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    from mediawatch.web.server import serve

    settings = _settings(args)
    if not settings.db_path.exists():
        from storage.connection import NoDatabase

        raise NoDatabase(
            f"no database at {settings.db_path}: run `mediawatch ingest` or `make run` first"
        )
    return serve(settings, host=args.host, port=args.port, edit=args.edit)


def cmd_runs(args: argparse.Namespace) -> int:
    import socket

    from storage import queries, runlock

    settings = _settings(args)
    with _reader(settings) as conn:
        rows = queries.list_runs(conn, limit=args.limit or None)
    # A run still marked 'running' whose process is gone crashed; the next run records it.
    host = socket.gethostname()
    rows = [
        dataclasses.replace(r, state="crashed", error="the process ended before the run finished")
        if r.state == "running"
        and r.host in (None, host)
        and not runlock.is_alive(settings.db_path, r.run_id)
        else r
        for r in rows
    ]
    if args.json:
        print_json(rows)
    else:
        from mediawatch import render

        render.runs_table(rows)
    return EXIT_OK


def cmd_feeds(args: argparse.Namespace) -> int:
    """Feed health: every polled feed, and configured feeds not polled yet."""
    from storage import feeds as feeds_db

    settings = _settings(args)
    rows: list = []
    if settings.db_path.exists() or not settings.feeds.sources:
        with _reader(settings) as conn:
            rows = feeds_db.list_feeds(conn)
    configured = {s.url: s for s in settings.feeds.sources}
    every = settings.feeds.poll_minutes
    rows = [
        dataclasses.replace(
            r,
            configured=r.feed_url in configured,
            poll_minutes=(configured[r.feed_url].poll_minutes or every)
            if r.feed_url in configured
            else None,
        )
        for r in rows
    ]
    polled = {r.feed_url for r in rows}
    rows += [
        feeds_db.FeedRow.never_polled(s.url, s.name or None, s.poll_minutes or every)
        for s in settings.feeds.sources
        if s.url not in polled
    ]
    if args.json:
        print_json(rows)
    else:
        from mediawatch import render

        render.feeds_table(rows)
    return EXIT_OK


def cmd_failures(args: argparse.Namespace) -> int:
    from storage import queries

    with _reader(_settings(args)) as conn:
        if args.run is not None and not queries.run_exists(conn, args.run):
            raise CommandError(f"no run {args.run} (`mediawatch runs` lists them)")
        rows = queries.list_failures(conn, run_id=args.run, limit=args.limit or None)
    if args.json:
        print_json(rows)
    else:
        from mediawatch import render

        render.failures_table(rows, args.run)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Quality against labelled data: extraction, duplicate groups, stories, pairs."""
    from mediawatch.evaluate import DataMissing, shared_data

    data = shared_data(args.data)
    own_file = Path(args.file) if args.file and args.what != "all" else None
    stories_file = Path(args.file) if args.file else data / "stories" / "ecbplus-dev.jsonl"
    seeds = Path(args.seeds) if args.seeds else Path(__file__).resolve().parent.parent / "seeds"
    try:
        if args.what in ("extraction", "all"):
            from mediawatch.evaluate import extraction

            extraction.evaluate(data, full=args.full)
            print()
        if args.what in ("dupes", "all"):
            from mediawatch.evaluate import dupes

            dupes.evaluate(stories_file, seeds, args.label_field, seed=args.seed)
            print()
        if args.what in ("stories", "all"):
            from mediawatch.evaluate import stories

            stories.evaluate(stories_file, args.label_field, args.batches, args.orders)
            print()
        if args.what in ("pairs", "all"):
            from mediawatch.evaluate import pairs

            pairs.evaluate(own_file or pairs.default_file(data), seed=args.seed)
            print()
        if args.what in ("stream", "all"):
            from mediawatch.evaluate import stream

            stream.evaluate(stories_file, data, args.label_field)
    except DataMissing as exc:
        raise CommandError(f"{exc} -- nothing evaluated") from None
    return EXIT_OK


# --- parser ---------------------------------------------------------------------------


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
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
        type=int,
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
    p.add_argument("action", choices=["start", "stop", "status"])
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
        settings = _settings(args) if hasattr(args, "db") else None
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
        return args.func(args)
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
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
