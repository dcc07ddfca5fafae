"""`mediawatch article ID`: one article in its context (mediawatch.context), on the
terminal (mediawatch.article_view) or as JSON. Registered by mediawatch.cli."""

from __future__ import annotations

import argparse
import sys

from mediawatch.config import load_settings

EXIT_OK, EXIT_ERROR = 0, 1


def cmd_article(args: argparse.Namespace) -> int:
    from mediawatch import article_view
    from mediawatch.context import article_context
    from storage.connection import reader

    settings = load_settings(args.config, db=args.db)
    with reader(settings.db_path, wait=settings.storage.reader_wait_seconds) as conn:
        ctx = article_context(conn, args.article_id)
    if ctx is None:
        print(f"mediawatch: no article {args.article_id}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        from mediawatch.cli_common import print_json

        print_json(article_view.as_json(ctx))
    else:
        article_view.show(ctx, text=args.text)
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    as_json: argparse.ArgumentParser,
) -> None:
    text = (
        "one article in its context: story and how it joined, duplicate group and relation "
        "with the scores, revisions with what changed, source, publication time, language"
    )
    p = sub.add_parser("article", help=text, description=text, parents=[common, as_json])
    p.set_defaults(func=cmd_article)
    p.add_argument("article_id", type=int, metavar="ID")
    p.add_argument("--text", action="store_true", help="also print the article's text")
