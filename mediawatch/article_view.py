"""`mediawatch article ID` on the terminal: the article in its context.

Every piece of outside text goes through mediawatch.outside_text.plain and is printed
as a Rich ``Text`` on a console with markup and emoji codes off: a title such as
``[link=https://evil.example]x[/link]`` or one with escape sequences shows as text.
"""

from __future__ import annotations

import os
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from mediawatch.context import ArticleContext, Score, VersionChange
from mediawatch.explain import format_value
from mediawatch.outside_text import plain
from mediawatch.render import PipedConsole
from mediawatch.wording import plural

console = PipedConsole(highlight=False, soft_wrap=False, markup=False, emoji=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 160

RELATION_WORDS = {
    "origin": "the origin (earliest version) of its group",
    "exact": "an exact copy of the group's origin",
    "near_copy": "a near copy of the group's origin",
    "rewrite": "a rewrite of the group's origin",
}
STORY_REASONS = {
    "new": "started the story",
    "new:with-batch": "formed the story with other articles stored in the same batch",
    "attached": "joined the story",
    "moved": "moved to this story when stories were re-clustered",
    "merged": "came with a story merged into this one",
    "duplicate": "joined it as a version of a duplicate group's member",
    "correction": "was put there by an analyst's correction",
}


DERIVED = "  (title derived from the first sentence)"


def _line(*parts: str | Text | tuple[str, str]) -> Text:
    return Text.assemble(*parts)


def _ext(value: object, width: int | None = None, style: str = "") -> Text:
    return Text(plain(value, width) or "–", style=style)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "–"


def show(ctx: ArticleContext, *, text: bool = False) -> None:
    a = ctx.article
    console.print(
        _line(
            ("Article ", "bold"),
            (str(a.article_id), "bold"),
            ": ",
            _ext(a.title),
            (DERIVED, "dim") if a.title_derived else "",
        )
    )
    rows: list[tuple[str, Text]] = [
        ("source", _ext(a.source or "unknown")),
        (
            "published",
            Text(
                ctx.published
                + (f" (precision: {a.published_precision})" if a.published_precision else "")
            ),
        ),
        ("fetched", Text(_when(a.fetched_at))),
        (
            "language",
            Text(
                f"{plain(a.language) or 'unknown'}"
                + (
                    f" (confidence {a.language_confidence:.2f})"
                    if a.language_confidence is not None
                    else ""
                )
                + (
                    f"; the page declared {plain(a.declared_language)}"
                    if a.declared_language and a.declared_language != a.language
                    else ""
                )
            ),
        ),
        ("words", Text(f"{a.word_count} (extracted by {plain(a.extractor)})")),
    ]
    if a.author:
        rows.append(("author", _ext(a.author)))
    rows.append(("url", _ext(a.url)))
    if a.original_url and a.original_url != a.url:
        rows.append(("original url", _ext(a.original_url)))
    if a.canonical_url and a.canonical_url != a.url:
        rows.append(("canonical", _ext(a.canonical_url)))
    rows.append(
        (
            "open",
            _ext(ctx.web_url) if ctx.web_url else Text("– (not a web address)", style="dim"),
        )
    )
    if a.pruned_at:
        rows.append(("text", Text(f"pruned on {_when(a.pruned_at)} (retention)")))
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    _story(ctx)
    _group(ctx)
    _revisions(ctx)
    if text:
        console.print()
        console.print(Text("Text", style="bold"))
        console.print(Text(plain(a.text, multiline=True) if a.text is not None else "(pruned)"))


def _scores_table(scores: list[Score]) -> Table:
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("score")
    t.add_column("value", justify="right")
    t.add_column("threshold", justify="right")
    for s in scores:
        t.add_row(s.name, format_value(s.value), format_value(s.threshold))
    return t


def _story(ctx: ArticleContext) -> None:
    console.print()
    if ctx.story is None or ctx.membership is None:
        console.print(Text("Story: none (not clustered)", style="bold"))
        return
    s, m = ctx.story, ctx.membership
    console.print(_line(("Story ", "bold"), (str(s.story_id), "bold"), ": ", _ext(s.title, 100)))
    how = STORY_REASONS.get(m.reason, f"joined it as {plain(m.reason)!r}")
    origin = " (it is the story's origin)" if s.origin_article_id == ctx.article.article_id else ""
    console.print(
        Text(
            f"  {plural(s.size, 'article')} from {plural(s.n_sources, 'source')}, "
            f"{s.first_date:%Y-%m-%d} to {s.last_date:%Y-%m-%d}; this article {how}"
            + (f" in run {m.run_id}" if m.run_id else "")  # a correction has no run
            + origin
            + f"   (mediawatch story {s.story_id})"
        )
    )
    if ctx.story_scores:
        console.print(_scores_table(ctx.story_scores))


def _group(ctx: ArticleContext) -> None:
    console.print()
    g, m = ctx.group, ctx.member
    if g is None or m is None:
        console.print(
            Text("Duplicate group: none (no copy or rewrite of another article)", style="bold")
        )
        return
    console.print(
        _line(
            ("Duplicate group ", "bold"),
            (str(g.group_id), "bold"),
            f": {g.size} versions; this article is "
            + RELATION_WORDS.get(m.relation, plain(m.relation)),
        )
    )
    if m.relation != "origin":
        reason = m.decision.get("reason") if m.decision else None
        console.print(
            _line("  verified against article ", str(g.origin_article_id), ": ", _ext(reason))
        )
        if m.via_article_id:
            console.print(Text(f"  matched through article {m.via_article_id}"))
        if ctx.relation_scores:
            console.print(_scores_table(ctx.relation_scores))
    others = [x for x in g.members if x.article_id != ctx.article.article_id]
    for x in others[:10]:
        console.print(
            _line(
                f"  {x.article_id:>6}  {x.relation:<9}  ",
                _ext(x.source or "unknown", 24),
                "  ",
                _ext(x.title, 70),
            )
        )
    if len(others) > 10:
        console.print(Text(f"  … and {len(others) - 10} more (mediawatch dupes {g.group_id})"))


def _revisions(ctx: ArticleContext) -> None:
    console.print()
    if len(ctx.versions) == 1:
        console.print(
            Text("Revisions: none (the text and title are as first stored)", style="bold")
        )
        return
    console.print(Text(f"Revisions: {len(ctx.versions)} versions", style="bold"))
    for v in ctx.versions:
        until = f"until {_when(v.until)}" if v.until else "current"
        console.print(_line(f"  v{v.number} ({until}): ", _ext(v.title, 90)))
    for change in ctx.changes:
        _change(change)


def _change(c: VersionChange) -> None:
    console.print()
    console.print(Text(f"v{c.older} → v{c.newer}", style="bold"))
    if c.title_changed:
        console.print(_line(("  title - ", "red"), _ext(c.title_before)))
        console.print(_line(("  title + ", "green"), _ext(c.title_after)))
    if c.note:
        console.print(Text(f"  {c.note}", style="dim"))
    if c.diff is None:
        return
    counts = c.diff.counts
    console.print(
        Text(
            f"  {counts['same']} sentences the same, {counts['changed']} changed, "
            f"{counts['removed']} removed, {counts['added']} added"
        )
    )
    for row in c.diff.rows:
        if row.kind == "same":
            continue
        if row.left is not None:
            console.print(_line(("  - ", "red"), _ext(row.left.text)))
        if row.right is not None:
            console.print(_line(("  + ", "green"), _ext(row.right.text)))


def as_json(ctx: ArticleContext) -> dict[str, Any]:
    """The context for scripts: the record, memberships with scores, versions and what
    changed between them (sentences removed and added)."""
    import dataclasses

    a = dataclasses.asdict(ctx.article)
    return {
        "article": a,
        "published": ctx.published,
        "web_url": ctx.web_url,
        "story": dataclasses.asdict(ctx.story) if ctx.story else None,
        "story_membership": dataclasses.asdict(ctx.membership) if ctx.membership else None,
        "duplicate_group": (
            {
                "group_id": ctx.group.group_id,
                "size": ctx.group.size,
                "origin_article_id": ctx.group.origin_article_id,
                "relation": ctx.member.relation if ctx.member else None,
                "decision": ctx.member.decision if ctx.member else None,
                "scores": [dataclasses.asdict(s) for s in ctx.relation_scores],
            }
            if ctx.group
            else None
        ),
        "versions": [
            {"version": v.number, "title": v.title, "until": v.until, "run_id": v.run_id}
            for v in ctx.versions
        ],
        "changes": [
            {
                "from": c.older,
                "to": c.newer,
                "title_before": c.title_before,
                "title_after": c.title_after,
                "note": c.note,
                "rows": [
                    {
                        "kind": r.kind,
                        "before": r.left.text if r.left else None,
                        "after": r.right.text if r.right else None,
                    }
                    for r in (c.diff.rows if c.diff else [])
                    if r.kind != "same"
                ],
            }
            for c in ctx.changes
        ],
    }
