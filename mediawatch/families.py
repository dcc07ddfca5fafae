"""Commands grouped by their first word (`story merge`, `group attach`, `server start`):
each family lists its members in its help, and when its first argument is missing or
wrong, rather than argparse's bare "invalid choice"."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from mediawatch import options


class CommandParser(options.Parser):
    """A command's parser. A family of commands (`story ID`, `story merge`, `story split`;
    `group detach`, `group attach`; `server start|stop|status`; `watch ACTION`) lists its
    members in its help, and when its first argument is missing or wrong."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.family: list[tuple[str, str]] = []  # (usage after "mediawatch ", what it does)
        self.members_only = False  # a family with no command of its own (`group`)

    def format_help(self) -> str:
        text = super().format_help()
        if not self.family:
            return text
        formatter = self._get_formatter()
        formatter.start_section("commands")
        for usage, what in self.family:
            formatter.add_argument(
                argparse.Action([], dest=usage, metavar=usage, help=what.replace("%", "%%"))
            )
        formatter.end_section()
        return text + "\n" + formatter.format_help()

    def error(self, message: str) -> NoReturn:
        members = self.family or _nested(self)
        lead = next((a.metavar or a.dest for a in self._actions if not a.option_strings), None)
        if members and lead is not None:
            missing = message.startswith(f"the following arguments are required: {lead}")
            if missing or message.startswith(f"argument {lead}:"):
                usages = [f"{self.prog.split()[0]} {usage}" for usage, _ in members]
                print("usage: " + "\n       ".join(usages), file=sys.stderr)
        super().error(message)


def short_usage(parser: argparse.ArgumentParser) -> str:
    """`story split STORY ARTICLE...`: a command with its arguments and required options."""
    words = parser.prog.split()[1:]
    for a in parser._actions:
        if a.option_strings:
            if a.required:
                words.append(f"{a.option_strings[0]} {a.metavar or a.dest.upper()}")
        elif isinstance(a, argparse._SubParsersAction):
            words.append(f"{a.metavar or a.dest} ...")
        else:
            shape = {"+": "{}...", "*": "[{}...]", "?": "[{}]"}.get(str(a.nargs), "{}")
            words.append(shape.format(a.metavar or a.dest))
    return " ".join(words)


def _nested(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """A command's own subcommands (`watch add`, `watch list`, ...), as a family."""
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            helps = {c.dest: c.help or "" for c in a._choices_actions}
            return [(short_usage(p), helps.get(n, "")) for n, p in a.choices.items()]
    return []


def register(sub: argparse._SubParsersAction) -> None:
    """Two-word commands (`story merge`, `group attach`, `corrections undo`) listed as a
    family in the help of their first word's command (`story`, `group`, `corrections`)."""
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    for name, p in sub.choices.items():
        head, _, action = name.partition(" ")
        if not action:
            continue
        base = sub.choices[head]
        if not base.family and not base.members_only:
            base.family.append((short_usage(base), helps[head]))
        base.family.append((short_usage(p), helps[name]))


def family(
    sub: argparse._SubParsersAction, name: str, text: str, actions: list[str]
) -> argparse.ArgumentParser:
    """The parser of a family of two-word commands that has no command of its own
    (`group`): `mediawatch group --help` lists them (below), and `mediawatch group`
    alone, or with an action it does not have, says which there are."""
    p = sub.add_parser(name, help=text, description=text, formatter_class=options.DefaultsHelp)
    p.add_argument("action", choices=actions, help="one of the commands below")
    p.members_only = True  # no `group` command of its own to list

    def misplaced(args: argparse.Namespace) -> int:  # `group -- detach`: options went first
        p.error(f"give the action right after {name!r}: mediawatch {name} {args.action} ...")

    p.set_defaults(func=misplaced)
    return p
