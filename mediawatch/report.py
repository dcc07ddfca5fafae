"""The summary each flow run publishes as a Prefect artifact: what changed, in Markdown.

Titles, sources and reasons come from the articles and the web: they are escaped
so the Prefect UI shows them as text (no links, no markup, no HTML).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storage.runs import RunChanges

if TYPE_CHECKING:
    from mediawatch.watch.run import WatchReport

WATCH_ROWS = 50  # hits listed in the artifact; `mediawatch watch hits` has them all

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md(text: object, width: int = 90) -> str:
    """Plain text for one Markdown table cell or line."""
    flat = " ".join(str(text if text is not None else "").split())
    if len(flat) > width:
        flat = flat[: width - 1] + "…"
    return _SPECIAL.sub(r"\\\1", flat) if flat else "–"


def run_markdown(
    changes: RunChanges, counts: Mapping[str, Any], watch: WatchReport | None = None
) -> str:
    """New stories, grown stories, the largest duplicate groups touched, watchlist hits,
    failures."""
    c = counts
    failed = c.get("failed_by_stage") or {}
    lines = [
        f"# mediawatch run {changes.run_id}",
        "",
        f"{c.get('documents', 0)} items read, {c.get('already_known', 0)} already stored "
        f"(skipped), {c.get('extracted', 0)} extracted, {c.get('new_articles', 0)} new "
        f"articles, {c.get('revisions', 0)} revised, {changes.n_failures} failed"
        + (" (" + ", ".join(f"{k}: {v}" for k, v in failed.items()) + ")" if failed else "")
        + f"; {c.get('elapsed_seconds', 0)} s.",
    ]
    lines += _section(
        f"New stories ({changes.n_new_stories})",
        "| story | articles | title |\n|---:|---:|---|",
        [f"| {s.story_id} | {s.size} | {md(s.title)} |" for s in changes.new_stories],
        _more(changes.n_new_stories, len(changes.new_stories)),
    )
    lines += _section(
        f"Grown stories ({changes.n_grown_stories})",
        "| story | new articles | articles | title |\n|---:|---:|---:|---|",
        [
            f"| {s.story_id} | +{s.added} | {s.size} | {md(s.title)} |"
            for s in changes.grown_stories
        ],
        _more(changes.n_grown_stories, len(changes.grown_stories)),
    )
    lines += _section(
        f"Largest duplicate groups touched ({changes.n_groups})",
        "| group | story | versions | new | origin title |\n|---:|---:|---:|---:|---|",
        [
            f"| {g.group_id} | {g.story_id} | {g.size} | +{g.added} | {md(g.title)} |"
            for g in changes.groups
        ],
        _more(changes.n_groups, len(changes.groups)),
    )
    if watch is not None:
        lines += _watch_section(watch)
    more = changes.n_failures - len(changes.failures)
    hint = f"… and {more} more: `mediawatch failures --run {changes.run_id}`"
    lines += _section(
        f"Failures ({changes.n_failures})",
        "| stage | item | reason |\n|---|---|---|",
        [f"| {md(f.stage)} | {md(f.origin, 60)} | {md(f.reason, 120)} |" for f in changes.failures],
        ["", hint] if more > 0 else [],
    )
    return "\n".join(lines) + "\n"


def _watch_section(watch: WatchReport) -> list[str]:
    hits = watch.hits
    kinds = {"article": "article", "story": "story", "growth": "growing story"}
    rows = []
    for h in hits[:WATCH_ROWS]:
        what = kinds.get(h.kind, h.kind)
        if h.kind == "growth":
            what += f" ({h.detail.get('articles')} in {h.detail.get('hours', 0):g} h)"
        rows.append(
            f"| {md(h.watchlist)} | {md(what)} | {h.story_id if h.story_id is not None else '–'} "
            f"| {h.article_id if h.article_id is not None else '–'} | {md(h.title)} |"
        )
    sent = (
        f"{watch.delivered} deliveries sent, {watch.failed} failed"
        if watch.delivered or watch.failed
        else ""
    )
    more = [f"… and {len(hits) - WATCH_ROWS} more: `mediawatch watch hits NAME`"]
    notes = (["", *more] if len(hits) > WATCH_ROWS else []) + (["", md(sent, 200)] if sent else [])
    notes += [f"- {md(p, 200)}" for p in watch.problems[:10]]
    return _section(
        f"Watchlist hits ({len(hits)})",
        "| watchlist | what | story | article | title |\n|---|---|---:|---:|---|",
        rows,
        notes,
    ) + (notes if not rows and notes else [])


def _section(title: str, header: str, rows: list[str], more: list[str]) -> list[str]:
    """One titled table, or "None." when it has no rows."""
    body = [*header.split("\n"), *rows, *more] if rows else ["None."]
    return ["", f"## {title}", "", *body]


def _more(total: int, shown: int) -> list[str]:
    return ["", f"… and {total - shown} more."] if total > shown else []
