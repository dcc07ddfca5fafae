"""The read commands: stories, search, one story, duplicate groups, diff, explain, export,
runs, feeds, failures and the consistency check. They open the database read-only and
never import Prefect, so they answer quickly and work while a run is writing.
Registered by mediawatch.cli."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from mediawatch.cli_common import (
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    print_json,
    reader_of,
    settings_of,
)


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


def _nothing_to_search(text: str) -> CommandError:
    """`search` and `stories --search` refuse a query of only common words (or none)
    alike: it would find nothing, and an unfiltered list would look like an answer."""
    return CommandError(f"nothing to search for in {text!r} (only common words?)")


def cmd_stories(args: argparse.Namespace) -> int:
    from storage import queries

    where = _story_filter(args)
    if where.search is not None and where.search.empty:
        raise _nothing_to_search(args.search)
    with reader_of(settings_of(args)) as conn:
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
        raise _nothing_to_search(args.query)
    where = {"since": since, "until": until, "source": args.source}
    with reader_of(settings_of(args)) as conn:
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

    with reader_of(settings_of(args)) as conn:
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

    with reader_of(settings_of(args)) as conn:
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

    _two_articles(args, "diff")
    with reader_of(settings_of(args)) as conn:
        a, b = queries.get_article(conn, args.article_a), queries.get_article(conn, args.article_b)
        if a is None or b is None:
            missing = [i for i, x in ((args.article_a, a), (args.article_b, b)) if x is None]
            raise CommandError("no such article: " + ", ".join(map(str, missing)))
        texts = queries.article_texts(conn, [a.article_id, b.article_id])
    pruned = [i for i in (a.article_id, b.article_id) if texts.get(i) is None]
    if pruned:
        from mediawatch.explain import pruned_note

        raise CommandError(f"nothing to compare: {pruned_note(pruned)}")
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
        "languages": list(diff.languages),
        "language_note": diff.language_note,
        "rows": [
            {"kind": r.kind, "similarity": r.similarity, "a": side(r.left), "b": side(r.right)}
            for r in diff.rows
        ],
    }


def _two_articles(args: argparse.Namespace, command: str) -> None:
    if args.article_a == args.article_b:
        raise CommandError(
            f"{command} compares two articles: {args.article_a} was given twice "
            f"(`mediawatch article {args.article_a}` shows one)"
        )


def cmd_explain(args: argparse.Namespace) -> int:
    from mediawatch import explain

    _two_articles(args, "explain")
    settings = settings_of(args)
    from storage import queries

    with reader_of(settings) as conn:
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

    settings = settings_of(args)
    try:
        fmt = exports.export_format(args.format, args.output)
        path = None if args.output in (None, "-") else exports.check_output(args.output)
        with reader_of(settings) as conn:
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


def cmd_runs(args: argparse.Namespace) -> int:
    import socket

    from storage import queries, runlock

    settings = settings_of(args)
    with reader_of(settings) as conn:
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

    settings = settings_of(args)
    rows: list = []
    if settings.db_path.exists() or not settings.feeds.sources:
        with reader_of(settings) as conn:
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

    with reader_of(settings_of(args)) as conn:
        if args.run is not None and not queries.run_exists(conn, args.run):
            raise CommandError(f"no run {args.run} (`mediawatch runs` lists them)")
        rows = queries.list_failures(conn, run_id=args.run, limit=args.limit or None)
    if args.json:
        print_json(rows)
    else:
        from mediawatch import render

        render.failures_table(rows, args.run)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """The database's invariants: memberships, sizes, groups inside stories, indexes."""
    from storage.check import check
    from storage.connection import DatabaseDamaged, verify

    settings = settings_of(args)
    try:
        verify(settings.db_path, wait=settings.storage.reader_wait_seconds)
    except DatabaseDamaged as exc:
        if args.json:
            print_json({"ok": False, "damaged": str(exc)})
        else:
            print(f"mediawatch: {exc}", file=sys.stderr)
        return EXIT_ERROR
    with reader_of(settings) as conn:
        result = check(conn)
    if args.json:
        print_json({**dataclasses.asdict(result), "ok": result.ok})
    else:
        from mediawatch.wording import plural

        print(
            f"{plural(result.articles, 'article')}, {plural(result.stories, 'story')}, "
            f"{plural(result.groups, 'duplicate group')}: "
            f"{'consistent' if result.ok else 'PROBLEMS'}"
        )
        for what, n in result.problems.items():
            print(f"  {n}: {what}")
    return EXIT_OK if result.ok else EXIT_ERROR
