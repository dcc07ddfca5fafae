"""`mediawatch evaluate`: quality against labelled data. Registered by mediawatch.cli."""

from __future__ import annotations

import argparse
from pathlib import Path

from mediawatch.cli_common import (
    EXIT_OK,
    CommandError,
)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Quality against labelled data: extraction, duplicate groups, stories, pairs."""
    from mediawatch.evaluate import DataMissing, shared_data

    data = shared_data(args.data)
    own_file = Path(args.file) if args.file and args.what != "all" else None
    stories_file = Path(args.file) if args.file else data / "stories" / "ecbplus-dev.jsonl"
    seeds = Path(args.seeds) if args.seeds else Path(__file__).resolve().parents[2] / "seeds"
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
