"""The summary each flow run publishes as a Prefect artifact: what changed, in Markdown.

Titles, sources and reasons come from the articles and the web: they are escaped
so the Prefect UI shows them as text (no links, no markup, no HTML).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from storage.runs import RunChanges

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md(text: object, width: int = 90) -> str:
    """Plain text for one Markdown table cell or line."""
    flat = " ".join(str(text if text is not None else "").split())
    if len(flat) > width:
        flat = flat[: width - 1] + "…"
    return _SPECIAL.sub(r"\\\1", flat) if flat else "–"


def run_markdown(changes: RunChanges, counts: Mapping[str, Any]) -> str:
    """New stories, grown stories, the largest duplicate groups touched, failures."""
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
        "",
        f"## New stories ({changes.n_new_stories})",
        "",
    ]
    if changes.new_stories:
        lines += ["| story | articles | title |", "|---:|---:|---|"]
        lines += [f"| {s.story_id} | {s.size} | {md(s.title)} |" for s in changes.new_stories]
        lines += _more(changes.n_new_stories, len(changes.new_stories))
    else:
        lines.append("None.")
    lines += ["", f"## Grown stories ({changes.n_grown_stories})", ""]
    if changes.grown_stories:
        lines += ["| story | new articles | articles | title |", "|---:|---:|---:|---|"]
        lines += [
            f"| {s.story_id} | +{s.added} | {s.size} | {md(s.title)} |"
            for s in changes.grown_stories
        ]
        lines += _more(changes.n_grown_stories, len(changes.grown_stories))
    else:
        lines.append("None.")
    lines += ["", f"## Largest duplicate groups touched ({changes.n_groups})", ""]
    if changes.groups:
        lines += ["| group | story | versions | new | origin title |", "|---:|---:|---:|---:|---|"]
        lines += [
            f"| {g.group_id} | {g.story_id} | {g.size} | +{g.added} | {md(g.title)} |"
            for g in changes.groups
        ]
        lines += _more(changes.n_groups, len(changes.groups))
    else:
        lines.append("None.")
    lines += ["", f"## Failures ({changes.n_failures})", ""]
    if changes.failures:
        lines += ["| stage | item | reason |", "|---|---|---|"]
        lines += [
            f"| {md(f.stage)} | {md(f.origin, 60)} | {md(f.reason, 120)} |"
            for f in changes.failures
        ]
        more = changes.n_failures - len(changes.failures)
        if more > 0:
            lines += ["", f"… and {more} more: `mediawatch failures --run {changes.run_id}`"]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _more(total: int, shown: int) -> list[str]:
    return ["", f"… and {total - shown} more."] if total > shown else []
