"""The commands that write: `ingest`, `run` (through the Prefect flow), `vacuum`,
`migrate` and `reindex`. Registered by mediawatch.cli."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from mediawatch import options
from mediawatch.cli_common import (
    EXIT_OK,
    CommandError,
    print_json,
    reader_of,
    settings_of,
)
from mediawatch.config import Settings, StorageSettings


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def web_source(source: str) -> str:
    """A source as given, with a web URL's scheme in lowercase ("HTTP://x" is a URL);
    another scheme (ftp://, file://) is refused by name, not as a missing file."""
    m = _SCHEME.match(source)
    if m is None or Path(source).exists():
        return source
    scheme = m[1].lower()
    if scheme not in ("http", "https"):
        raise CommandError(
            f"cannot ingest {source!r}: only http:// and https:// addresses are fetched "
            "(a local file is given by its path)"
        )
    return scheme + source[len(m[1]) :]


def check_urls(urls: list[str], where: str = "") -> None:
    """Refuse a URL that cannot be fetched (a port out of range, a broken IPv6 address)
    before the run starts: the run would otherwise fail on it, deep inside."""
    from mediawatch.ingest.urls import url_problem

    for url in urls:
        if problem := url_problem(url):
            raise CommandError(f"cannot ingest {url!r}{where}: {problem}")


def note_left_out(paths: list[str], settings: Settings) -> None:
    """Say on standard error which files of the folders given are not read, so that a
    PDF or a Word file that is not ingested is not a silent surprise."""
    from collections import Counter

    from mediawatch.ingest.local import empty_folders, left_out
    from mediawatch.outside_text import plain
    from mediawatch.wording import plural

    for folder in empty_folders(paths, settings.ingest):
        print(f"mediawatch: {plain(str(folder))} holds no file to read", file=sys.stderr)
    skipped = left_out(paths, settings.ingest)
    if not skipped:
        return
    if len(skipped) <= 3:
        what = ", ".join(plain(str(f)) for f in skipped)
    else:
        kinds = Counter(f.suffix.lower() or "no extension" for f in skipped)
        what = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    ingest = settings.ingest
    print(
        f"mediawatch: {plural(len(skipped), 'file')} of a kind not read left out ({what}); "
        f"read are pages ({'/'.join(ingest.html_extensions)}), texts "
        f"({'/'.join(ingest.text_extensions)}) and lists (.jsonl/.csv)",
        file=sys.stderr,
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from mediawatch.ingest.local import check_sources

    settings = settings_of(args)
    if not args.paths and not args.feeds:
        raise CommandError("nothing to ingest: give paths or URLs, or --feeds")
    if args.feeds and not settings.feeds.sources:
        raise CommandError("--feeds: no feeds configured ([[feeds.sources]] in the settings)")
    args.paths = [web_source(p) for p in args.paths]
    check_urls([p for p in args.paths if _is_url(p)])
    check_sources([p for p in args.paths if not _is_url(p)])
    empty = check_database(settings)
    note_left_out([p for p in args.paths if not _is_url(p)], settings)
    summary = _run_flow(args.paths, args, settings, kind="ingest", empty=empty)
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

    settings = settings_of(args)
    sources = [s if _is_url(s) else str(settings.resolve(s)) for s in settings.run.sources]
    check_urls([s for s in sources if _is_url(s)], " (run.sources)")
    check_sources([s for s in sources if not _is_url(s)])
    empty = check_database(settings)
    note_left_out([s for s in sources if not _is_url(s)], settings)
    args.feeds = bool(settings.feeds.sources)
    summary = _run_flow(sources, args, settings, kind="run", empty=empty)
    from mediawatch import render
    from mediawatch.watch.render import run_hits

    render.run_summary(summary)
    run_hits(summary.watch)
    with reader_of(settings) as conn:
        from storage import queries

        render.stories_table(queries.list_stories(conn))
        render.groups(queries.list_groups(conn))
    return EXIT_OK


def check_database(settings: Settings) -> bool:
    """Open (and migrate) the database before Prefect starts: fail fast and plainly.
    Articles stored before the search index existed are indexed here. True when it holds
    no article and no rejected item (a new database: everything read is new)."""
    from storage import articles, search
    from storage.connection import before_write, transaction, writer

    if settings.storage.db != StorageSettings.db:  # the default's data/ folder is made
        options.check_new_database(settings.db_path)
    wait = settings.storage.writer_wait_seconds
    before_write(settings.db_path, wait=wait)  # a damaged file is not written to
    with writer(settings.db_path, wait=wait) as conn, transaction(conn):
        search.backfill(conn)
        return articles.store_is_empty(conn)


def _run_flow(
    sources: list[str],
    args: argparse.Namespace,
    settings: Settings,
    kind: str,
    empty: bool = False,
):
    from mediawatch import handoff
    from mediawatch.nothing_new import run_if_nothing_new

    sources = [s if _is_url(s) else str(Path(s).absolute()) for s in sources]
    feeds = bool(getattr(args, "feeds", False))
    read_at = datetime.now(UTC).replace(tzinfo=None)  # one fetch time for the local items
    first: list = []  # the first batch, as the flow will read it
    forked, stream = False, None
    runner = handoff.disabled and not settings.run.dask_address  # a run of the warm runner
    if runner:
        from mediawatch import prepare
    if runner and empty and not feeds and not any(_is_url(s) for s in sources):
        # Into a database that holds nothing, everything read is new: the workers are
        # forked first and start on the first pages while the rest are read.
        forked = prepare.fork_workers(settings.worker_count)
        if forked:
            stream = prepare.stream_ahead(
                settings.extract,
                settings.worker_count,
                settings.run.chunk_size,
                settings.run.batch_size,
            )
    summary = run_if_nothing_new(sources, settings, kind, feeds, read_at, first, stream)
    if summary is not None:  # recorded without Prefect: nothing to extract or store
        return summary

    ahead = None
    # a runner's workers are forked before Prefect starts its threads; they start on the
    # first batch while the flow run is created
    if runner and (forked or prepare.fork_workers(settings.worker_count)):
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

    settings = settings_of(args)  # --prune-days is in range (options.days)
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
        from mediawatch.wording import plural

        p = report.pruned
        verb = "would prune" if report.dry_run else "pruned"
        print(
            f"{verb} the texts of {plural(p.articles, 'article')} and "
            f"{plural(p.revisions, 'earlier revision')} in {plural(p.stories, 'story')} "
            f"whose latest article is older than {report.prune_before:%Y-%m-%d %H:%M} UTC "
            f"(retention {plural(report.prune_days, 'day')}, "
            f"window {plural(settings.match.window_days, 'day')})"
        )
    if report.compaction is not None:
        c = report.compaction
        print(f"compacted {settings.db_path}: {c.bytes_before:,} -> {c.bytes_after:,} bytes")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    from storage import search
    from storage.connection import before_write, transaction, writer
    from storage.migrate import current_version

    settings = settings_of(args)
    if getattr(args, "force", False) and not settings.db_path.exists():
        # `migrate` prepares a new database (schema only); `reindex` has nothing to read
        from storage.connection import NoDatabase

        raise NoDatabase(f"no database at {settings.db_path}: nothing to reindex")
    if settings.storage.db != StorageSettings.db:
        options.check_new_database(settings.db_path)
    before_write(settings.db_path, wait=settings.storage.writer_wait_seconds)  # damaged: hands off
    with writer(settings.db_path, wait=settings.storage.writer_wait_seconds) as conn:
        with transaction(conn):
            indexed = search.backfill(conn)
        print(f"{settings.db_path}: schema version {current_version(conn)}")
        if indexed:
            from mediawatch.wording import plural

            print(f"indexed {plural(indexed, 'article')} for search")
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
    from mediawatch.wording import noun, plural

    print(
        f"reindexed {plural(report.articles, 'article')} and "
        f"{plural(report.stories, 'story profile')} "
        f"(text scheme {report.from_scheme} -> {report.to_scheme}); "
        f"{plural(report.pruned, 'pruned article')} {noun(report.pruned, 'keeps', 'keep')} "
        f"{noun(report.pruned, 'its', 'their')} rows"
    )


def cmd_reindex(args: argparse.Namespace) -> int:
    """Recompute what the text analysis derives from stored texts."""
    args.force = True
    return cmd_migrate(args)
