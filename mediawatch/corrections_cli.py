"""The correction commands: `story merge|split`, `article move`, `group detach|attach`,
`corrections [undo N]` (mediawatch.corrections). Registered by mediawatch.cli under
two-word names; ``route`` turns `story merge ...` on the command line into them, so
`story ID` and `article ID` keep working as before."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mediawatch import families, options
from mediawatch.config import load_settings
from mediawatch.safe_text import plain

EXIT_OK, EXIT_ERROR = 0, 1
COMMANDS = (
    "story merge",
    "story split",
    "article move",
    "group detach",
    "group attach",
    "corrections undo",
)


def given(what: str, instead: str = ""):
    """An option's text that may not be empty or blank (`--force ''` from an unset shell
    variable): refused on the command line, naming what to give."""

    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"give a non-empty {what}{instead}")
        return text.strip()

    return check


def route(argv: Sequence[str]) -> list[str]:
    """`story merge 1 2` -> the parser's `"story merge" 1 2`; anything else as it is."""
    argv = list(argv)
    if len(argv) >= 2 and f"{argv[0]} {argv[1]}" in COMMANDS:
        return [f"{argv[0]} {argv[1]}", *argv[2:]]
    return argv


def _write(args: argparse.Namespace, change, named: bool = False) -> int:
    """Run ``change(conn, who)`` in one transaction on the writer connection. ``named``:
    its message names the correction already (an undo), so it is printed as it is."""
    from mediawatch import corrections
    from storage.connection import transaction, verify, writer

    settings = load_settings(args.config, db=args.db)
    options.check_database_file(settings.db_path)
    if not settings.db_path.exists():
        from storage.connection import NoDatabase

        raise NoDatabase(f"no database at {settings.db_path}: run `mediawatch ingest` first")
    wait = settings.storage.writer_wait_seconds
    verify(settings.db_path, wait=wait)  # a damaged file is not written to
    who = corrections.Who.default(getattr(args, "by", None))
    try:
        with writer(settings.db_path, wait=wait) as conn, transaction(conn):
            done = change(conn, who)
    except corrections.CorrectionError as exc:
        print(f"mediawatch: {plain(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    if getattr(args, "json", False):
        from mediawatch.cli import print_json

        print_json(done)
    else:
        head = "" if named else f"correction {done.correction_id}: "
        print(head + plain(done.message))
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from mediawatch import corrections

    return _write(args, lambda c, who: corrections.merge(c, args.a, args.b, who, args.note))


def cmd_split(args: argparse.Namespace) -> int:
    from mediawatch import corrections

    return _write(
        args, lambda c, who: corrections.split(c, args.story, args.articles, who, args.note)
    )


def cmd_move(args: argparse.Namespace) -> int:
    from mediawatch import corrections

    return _write(args, lambda c, who: corrections.move(c, args.article, args.to, who, args.note))


def cmd_detach(args: argparse.Namespace) -> int:
    from mediawatch import corrections

    return _write(args, lambda c, who: corrections.detach(c, args.article, who, args.note))


def cmd_attach(args: argparse.Namespace) -> int:
    from mediawatch import corrections

    return _write(
        args,
        lambda c, who: corrections.attach(c, args.article, args.to, who, args.note, args.force),
    )


def cmd_undo(args: argparse.Namespace) -> int:
    from mediawatch import corrections

    return _write(args, lambda c, who: corrections.undo(c, args.number, who), named=True)


def cmd_list(args: argparse.Namespace) -> int:
    from mediawatch import corrections
    from storage import corrections as db
    from storage.connection import reader

    settings = load_settings(args.config, db=args.db)
    options.check_database_file(settings.db_path)
    with reader(settings.db_path, wait=settings.storage.reader_wait_seconds) as conn:
        rows = db.listing(conn, args.limit or None)
    if args.json:
        from mediawatch.cli import print_json

        print_json(
            [
                {
                    "correction_id": c.correction_id,
                    "kind": c.kind,
                    "subject": c.subject,
                    "what": corrections.describe(c),
                    "note": c.note,
                    "reason": c.reason,
                    "made_by": c.made_by,
                    "made_via": c.made_via,
                    "made_at": c.made_at,
                    "state": c.state,
                    "undone_by": c.undone_by,
                    "undone_at": c.undone_at,
                }
                for c in rows
            ]
        )
        return EXIT_OK
    _table(rows, corrections.describe)
    return EXIT_OK


def _table(rows, describe) -> None:
    """Corrections on the terminal; notes and names are the analysts' text, shown plain."""
    from rich import box
    from rich.table import Table

    from mediawatch.render import _ext, console

    table = Table(
        "N",
        "state",
        "correction",
        "by",
        "when",
        "note",
        box=box.SIMPLE_HEAD,
        title="Corrections (newest first)",
    )
    for c in rows:
        state = c.state if c.state == "active" else f"undone {c.undone_at:%Y-%m-%d %H:%M}"
        note = " · ".join(x for x in (c.note, c.reason and f"forced: {c.reason}") if x)
        table.add_row(
            str(c.correction_id),
            state,
            _ext(describe(c)),
            _ext(f"{c.made_by} ({c.made_via})"),
            f"{c.made_at:%Y-%m-%d %H:%M}",
            _ext(note or "–"),
        )
    if not rows:
        console.print("no corrections")
        return
    console.print(table)


def register(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    as_json: argparse.ArgumentParser,
) -> None:
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument(
        "--by",
        type=given("name", ", or leave --by out for the OS user"),
        help="who made it (default: the OS user)",
    )
    # An undo records who undid it, not why: it takes --by alone, so no --note is dropped.
    who = argparse.ArgumentParser(add_help=False, parents=[by])
    who.add_argument(
        "--note", type=given("note", ", or leave --note out"), help="why: kept with the correction"
    )

    def add(name: str, func, text: str, *parents: argparse.ArgumentParser):
        p = sub.add_parser(
            name,
            help=text,
            description=text + ". Later runs respect it until `mediawatch corrections undo N`.",
            parents=[common, as_json, *parents],
            formatter_class=options.DefaultsHelp,
        )
        p.set_defaults(func=func)
        return p

    p = add("story merge", cmd_merge, "merge story B into story A: they stay one story", who)
    p.add_argument("a", type=int, metavar="A")
    p.add_argument("b", type=int, metavar="B")
    p = add(
        "story split",
        cmd_split,
        "the listed articles leave STORY for a new story; the two parts never merge again",
        who,
    )
    p.add_argument("story", type=int, metavar="STORY")
    p.add_argument("articles", type=int, nargs="+", metavar="ARTICLE")
    p = add("article move", cmd_move, "move an article to another story, where it stays", who)
    p.add_argument("article", type=int, metavar="ARTICLE")
    p.add_argument("--to", type=int, required=True, metavar="STORY")
    families.family(
        sub,
        "group",
        "correct a duplicate group: take an article out (detach) or put one in (attach)",
        ["detach", "attach"],
    )
    p = add(
        "group detach",
        cmd_detach,
        "an article is no longer a copy in its duplicate group (it stays in its story)",
        who,
    )
    p.add_argument("article", type=int, metavar="ARTICLE")
    p = add(
        "group attach",
        cmd_attach,
        "put an article in a duplicate group: verified against the group's origin and "
        "explained; --force REASON when it does not verify",
        who,
    )
    p.add_argument("article", type=int, metavar="ARTICLE")
    p.add_argument("--to", type=int, required=True, metavar="GROUP")
    p.add_argument(
        "--force",
        type=given("reason"),
        metavar="REASON",
        help="attach though it does not verify, because",
    )
    p = add("corrections undo", cmd_undo, "undo correction N: what it replaced is put back", by)
    p.add_argument("number", type=int, metavar="N")
    p = sub.add_parser(
        "corrections",
        help="list the analysts' corrections (undo one: corrections undo N)",
        description="Corrections, newest first: what, who, when, the note, active or undone.",
        parents=[common, as_json],
        formatter_class=options.DefaultsHelp,
    )
    p.set_defaults(func=cmd_list)
    p.add_argument("--limit", type=options.count, default=50, help="corrections shown (0: all)")
