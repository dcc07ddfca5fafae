"""Terminal output of the read commands: tables a person can scan."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from mediawatch.explain import Explanation
    from mediawatch.pipeline import RunSummary
    from storage.feeds import FeedRow
    from storage.queries import DupGroupRow, FailureRow, RunRow, StoryDetail, StoryRow

console = Console(highlight=False, soft_wrap=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 160  # piped or logged: long lines beat titles cut to a word


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


def _short(text: str | None, width: int = 70) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def run_summary(s: RunSummary) -> None:
    console.print(
        f"[bold]Run {s.run_id}[/] into {s.db}: {s.documents} items read, "
        f"{s.new_articles} new articles, {s.already_known} already stored (skipped), "
        f"{s.exact_copies} exact copies of stored texts, {s.revisions} revised"
    )
    console.print(
        f"  duplicate groups: {s.new_groups} new, {s.grown_groups} grown;  "
        f"stories: {s.new_stories} new, {s.grown_stories} grown;  "
        f"{len(s.failures)} failed;  {s.elapsed:.1f} s"
    )
    if s.feeds_polled:
        console.print(
            f"  feeds: {s.feeds_polled} polled, {s.feeds_unchanged} unchanged;  "
            f"{s.pages_fetched} pages fetched in {s.requests} requests"
        )
    if s.failures:
        table = Table("stage", "item", "reason", box=box.SIMPLE, title="Failures")
        for f in s.failures[:50]:
            table.add_row(f.stage, Text(_short(f.origin, 60)), Text(f.reason))
        console.print(table)
        if len(s.failures) > 50:
            console.print(
                f"  … and {len(s.failures) - 50} more: `mediawatch failures --run {s.run_id}`"
            )


def stories_table(rows: list[StoryRow]) -> None:
    table = Table(
        "story",
        "articles",
        "sources",
        "independent",
        "dup groups",
        "first seen",
        "last seen",
        "title",
        box=box.SIMPLE_HEAD,
        title="Stories",
    )
    for r in rows:
        table.add_row(
            str(r.story_id),
            str(r.size),
            str(r.n_sources),
            str(r.n_independent),
            str(r.n_groups),
            _when(r.first_date),
            _when(r.last_date),
            Text(_short(r.title, 60)),
        )
    console.print(table if rows else "No stories yet.")


def story_detail(d: StoryDetail) -> None:
    s = d.story
    console.print(f"[bold]Story {s.story_id}[/]: {Text(s.title or '(untitled)')}")
    console.print(
        f"  {s.size} articles from {s.n_sources} sources, {s.n_independent} independently "
        f"written; {_when(s.first_date)} – {_when(s.last_date)}; origin: article "
        f"{s.origin_article_id}"
    )
    table = Table(
        "article",
        "date",
        "source",
        "relation",
        "group",
        "joined by",
        "title",
        box=box.SIMPLE_HEAD,
        title="Timeline",
    )
    for a in d.articles:
        table.add_row(
            str(a.article_id),
            _when(a.date),
            Text(_short(a.source, 24)),
            a.relation or "–",
            str(a.group_id or "–"),
            Text(_short(a.story_reason, 28)),
            Text(_short(a.title, 50)),
        )
    console.print(table)
    if d.groups:
        groups(d.groups)


def groups(rows: list[DupGroupRow]) -> None:
    if not rows:
        console.print("No duplicate groups yet.")
        return
    for g in rows:
        table = Table(
            "article",
            "relation",
            "via",
            "similarity",
            "containment",
            "date",
            "source",
            "title",
            box=box.SIMPLE_HEAD,
            title=f"Duplicate group {g.group_id} (story {g.story_id}, {g.size} versions)",
        )
        for m in g.members:
            table.add_row(
                str(m.article_id),
                m.relation,
                str(m.via_article_id or "–"),
                _num(m.similarity),
                _num(m.containment),
                _when(m.date),
                Text(_short(m.source, 24)),
                Text(_short(m.title, 50)),
            )
        console.print(table)


def runs_table(rows: list[RunRow]) -> None:
    table = Table(
        "run",
        "kind",
        "state",
        "started",
        "finished",
        "new",
        "failed",
        "sources",
        box=box.SIMPLE_HEAD,
        title="Runs",
    )
    for r in rows:
        table.add_row(
            str(r.run_id),
            r.kind,
            r.state,
            _when(r.started_at),
            _when(r.finished_at),
            str(r.counts.get("new_articles", "–")),
            str(r.failures),
            Text(_short(", ".join(r.sources), 50)),
        )
    console.print(table if rows else "No runs yet.")


def failures_table(rows: list[FailureRow]) -> None:
    table = Table("run", "stage", "item", "reason", box=box.SIMPLE_HEAD, title="Failures")
    for f in rows:
        table.add_row(str(f.run_id), f.stage, Text(_short(f.origin, 60)), Text(f.reason))
    console.print(table if rows else "No failures recorded.")


def _article_line(a) -> None:
    console.print(f"[bold]Article {a.article_id}[/] {Text(_short(a.title, 70))}")
    group = a.group_id or "–"
    console.print(f"   {a.source or '–'}, {_when(a.date)}, story {a.story_id}, group {group}")


def explanation(e: Explanation) -> None:
    _article_line(e.a)
    _article_line(e.b)
    console.print()
    for section in e.sections:
        table = Table(
            "score", "value", "threshold", "meaning", box=box.SIMPLE_HEAD, title=section.title
        )
        for row in section.rows:
            table.add_row(row.name, _fmt(row.value), _fmt(row.threshold), Text(row.meaning))
        console.print(table)
        console.print(f"  [bold]decision:[/] {Text(section.decision)}")
        console.print()
    if e.stored:
        console.print(f"[bold]stored:[/] {Text(e.stored)}")
    if e.passages:
        console.print("[bold]longest shared passages:[/]")
        for p in e.passages:
            console.print(Text(f"  ({p.words} words) “{_short(p.text, 200)}”"))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def feeds_table(rows: list[FeedRow]) -> None:
    table = Table(
        "feed",
        "kind",
        "status",
        "last poll",
        "last success",
        "fails",
        "items",
        "new",
        "total new",
        box=box.SIMPLE_HEAD,
        title="Feeds",
    )
    table.columns[0].min_width = 40  # URLs are what people look for
    table.columns[0].overflow = "fold"
    errors: list[tuple[str, str]] = []
    for r in rows:
        if r.parent_url:
            name = f"└ {r.feed_url}"
        else:
            name = f"{r.name}\n{r.feed_url}" if r.name else r.feed_url
        status = r.last_status or "–"
        if r.pending:
            status += " (items left)"
        if r.poll_minutes:
            status += f"\nevery {r.poll_minutes} min"
        table.add_row(
            Text(name),
            r.kind or "–",
            status,
            _when(r.last_poll),
            _when(r.last_success),
            Text(str(r.consecutive_failures), style="bold red" if r.consecutive_failures else ""),
            str(r.items_seen),
            str(r.items_new),
            str(r.total_new),
        )
        if r.last_error:
            errors.append((r.feed_url, r.last_error))
    console.print(table if rows else "No feeds polled or configured yet.")
    for url, error in errors:
        console.print(Text(f"  {url}: {error}"))
