"""Terminal output of the read commands: tables a person can scan."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mediawatch.times import first_note

if TYPE_CHECKING:
    from mediawatch.diff import DiffRow, Sentence, TextDiff
    from mediawatch.explain import Explanation
    from mediawatch.pipeline import RunSummary
    from mediawatch.progress import ProgressEvent
    from mediawatch.spans import Segment
    from storage.feeds import FeedRow
    from storage.queries import (
        ArticleRow,
        DupGroupRow,
        FailureRow,
        GroupMember,
        RunRow,
        StoryDetail,
        StoryFilter,
        StoryRow,
    )
    from storage.search import SearchHit

console = Console(highlight=False, soft_wrap=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 160  # piped or logged: long lines beat titles cut to a word


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


def _dated(row: ArticleRow | GroupMember) -> str:
    """An article's date as precise as its publication time: no 00:00 for a date only."""
    if row.published_at is not None and row.published_precision == "day":
        return f"{row.published_at:%Y-%m-%d}"
    if row.published_at is not None and row.published_precision == "month":
        return f"{row.published_at:%Y-%m}"
    return _when(row.date)


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


def stories_table(rows: list[StoryRow], where: StoryFilter | None = None) -> None:
    searching = where is not None and where.search is not None
    growth = where is not None and where.sort == "growth"
    columns = ["story", "articles", "sources", "independent", "dup groups"]
    if growth:
        columns.append(f"last {where.growth_hours:g} h")
    if searching:
        columns += ["matching", "score"]
    columns += ["first seen", "last seen", "title"]
    table = Table(*columns, box=box.SIMPLE_HEAD, title="Stories")
    for r in rows:
        cells = [str(r.story_id), str(r.size), str(r.n_sources), str(r.n_independent)]
        cells.append(str(r.n_groups))
        if growth:
            cells.append(f"+{r.growth}")
        if searching:
            cells += [str(r.matching or 0), _num(r.relevance)]
        cells += [_when(r.first_date), _when(r.last_date)]
        table.add_row(*cells, Text(_short(r.title, 60)))
    console.print(table if rows else "No stories match." if where else "No stories yet.")


def story_detail(d: StoryDetail, limit: int | None = None) -> None:
    """The story in the terminal; ``limit`` rows of its timeline and independent list."""
    s = d.story
    console.print(f"[bold]Story {s.story_id}[/]: {Text(s.title or '(untitled)')}")
    console.print(
        f"  {s.size} articles from {s.n_sources} sources, {s.n_independent} independently "
        f"written; {_when(s.first_date)} – {_when(s.last_date)}; origin: article "
        f"{s.origin_article_id}"
    )
    if len(d.articles) > 1 and (note := first_note(d.articles[0], d.articles[1])):
        console.print(f"  origin tie: {note}")
    table = Table(
        "article",
        "date",
        "source",
        "relation",
        "group",
        "joined by",
        "title",
        box=box.SIMPLE_HEAD,
        title="Timeline (origin first)",
    )
    for a in d.articles[:limit]:
        relation = a.relation or "independent"
        if a.article_id == s.origin_article_id:
            relation = "story origin" if a.relation in (None, "origin") else f"origin, {relation}"
        table.add_row(
            str(a.article_id),
            _dated(a),
            Text(_short(a.source, 24)),
            relation,
            str(a.group_id or "–"),
            Text(_short(a.story_reason, 28)),
            Text(_short(a.title, 50)),
        )
    console.print(table)
    _more(len(d.articles), limit, "articles")
    if d.sources:
        sources = Table(
            "source", "articles", "copies", "first article", box=box.SIMPLE_HEAD, title="Sources"
        )
        for c in d.sources:
            sources.add_row(Text(c.source), str(c.articles), str(c.copies), _when(c.first_date))
        console.print(sources)
    if d.groups:
        groups(d.groups)
    if d.independent:
        table = Table(
            "article",
            "date",
            "source",
            "copies",
            "title",
            box=box.SIMPLE_HEAD,
            title=f"Independent articles ({len(d.independent)} distinct texts; a duplicate "
            "group counts once, by its origin)",
        )
        sizes = {g.group_id: g.size - 1 for g in d.groups}
        for a in d.independent[:limit]:
            table.add_row(
                str(a.article_id),
                _dated(a),
                Text(_short(a.source, 24)),
                str(sizes.get(a.group_id, 0)),
                Text(_short(a.title, 60)),
            )
        console.print(table)
        _more(len(d.independent), limit, "independent articles")


def _more(total: int, limit: int | None, what: str) -> None:
    if limit is not None and total > limit:
        console.print(f"  … and {total - limit} more {what} (--limit 0 shows all)")


def search_results(query: str, results: list[tuple[SearchHit, list[Segment]]]) -> None:
    if not results:
        console.print(f"No articles match {query!r}.")
        return
    table = Table(
        "article",
        "score",
        "date",
        "source",
        "story",
        "group",
        "title / snippet",
        box=box.SIMPLE_HEAD,
        title=f"Articles matching {query!r}",
    )
    for hit, snip in results:
        body = Text(_short(hit.title or "(untitled)", 80), style="bold")
        body.append("\n")
        body.append_text(_segments(snip, "bold yellow"))
        group = f"{hit.group_id} ({hit.relation})" if hit.group_id else "–"
        table.add_row(
            str(hit.article_id),
            _num(hit.score),
            _when(hit.date),
            Text(_short(hit.source, 20)),
            str(hit.story_id or "–"),
            group,
            body,
        )
    console.print(table)


def _segments(segs: list[Segment], marked: str, plain: str = "") -> Text:
    out = Text()
    for seg in segs:
        out.append(seg.text, style=marked if seg.marked else plain)
    return out


_SHARED = "bold cyan"
_ROW_STYLE = {"same": "", "changed": "yellow", "removed": "red", "added": "green"}
_ROW_SIGN = {"same": " ", "changed": "~", "removed": "-", "added": "+"}


def _sentence(s: Sentence | None, kind: str) -> Text:
    return _segments(s.segments, _SHARED, _ROW_STYLE[kind]) if s else Text()


def text_diff(
    a: ArticleRow, b: ArticleRow, diff: TextDiff, unified: bool = False, width: int | None = None
) -> None:
    if width:
        console.width = width
    for label, art, share in (("A", a, diff.shared_a), ("B", b, diff.shared_b)):
        console.print(
            f"[bold]{label}: article {art.article_id}[/] {Text(_short(art.title, 70))}  "
            f"({art.source or '–'}, {_when(art.date)}; {share:.0%} in shared passages)"
        )
    c = diff.counts
    console.print(
        f"{c['same']} sentences the same, {c['changed']} changed, {c['removed']} only in A, "
        f"{c['added']} only in B.  [{_SHARED}]shared passages[/] (4+ words in both), "
        f"[yellow]~ changed[/], [red]- only in A[/], [green]+ only in B[/]"
    )
    console.print()
    if unified:
        for row in diff.rows:
            _unified_row(row)
        return
    table = Table(
        "",
        f"A: article {a.article_id}",
        f"B: article {b.article_id}",
        box=box.SIMPLE_HEAD,
        show_lines=False,
        expand=True,
    )
    table.columns[0].width = 1
    for row in diff.rows:
        table.add_row(
            _ROW_SIGN[row.kind], _sentence(row.left, row.kind), _sentence(row.right, row.kind)
        )
    console.print(table)


def _unified_row(row: DiffRow) -> None:
    if row.kind == "same":
        console.print(Text("  ").append_text(_sentence(row.left, "same")))
        return
    if row.left is not None:
        kind = "removed" if row.kind == "removed" else "changed"
        console.print(Text("- ", style="red").append_text(_sentence(row.left, kind)))
    if row.right is not None:
        kind = "added" if row.kind == "added" else "changed"
        console.print(Text("+ ", style="green").append_text(_sentence(row.right, kind)))


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
                _dated(m),
                Text(_short(m.source, 24)),
                Text(_short(m.title, 50)),
            )
        console.print(table)
        if len(g.members) > 1 and (note := first_note(g.members[0], g.members[1])):
            console.print(f"  origin tie: {note}")


def runs_table(rows: list[RunRow]) -> None:
    table = Table(
        "run",
        "kind",
        "state",
        "started",
        "finished",
        "read",
        "skipped",
        "extracted",
        "stored",
        "failed",
        "sources",
        box=box.SIMPLE_HEAD,
        title="Runs",
    )
    for r in rows:
        c = r.counts
        stored = c.get("stored", c.get("new_articles"))
        table.add_row(
            str(r.run_id),
            r.kind,
            r.state,
            _when(r.started_at),
            _when(r.finished_at),
            str(c.get("documents", "–")),
            str(c.get("already_known", "–")),
            str(c.get("extracted", "–")),
            str(stored if stored is not None else r.articles),
            _failed(r.failures, c.get("failed_by_stage")),
            Text(_short(", ".join(r.sources), 50)),
        )
    console.print(table if rows else "No runs yet.")
    for r in rows:
        if r.error and r.state != "completed":
            console.print(Text(f"  run {r.run_id}: {r.error}"))


def _failed(total: int, by_stage: dict[str, int] | None) -> str:
    if not total or not by_stage:
        return str(total)
    return f"{total} (" + ", ".join(f"{k} {v}" for k, v in by_stage.items()) + ")"


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
    from mediawatch.explain import format_value

    _article_line(e.a)
    _article_line(e.b)
    console.print()
    for section in e.sections:
        table = Table(
            "score", "value", "threshold", "meaning", box=box.SIMPLE_HEAD, title=section.title
        )
        for row in section.rows:
            table.add_row(
                row.name, format_value(row.value), format_value(row.threshold), Text(row.meaning)
            )
        console.print(table)
        console.print(f"  [bold]decision:[/] {Text(section.decision)}")
        console.print()
    if e.stored:
        console.print(f"[bold]stored:[/] {Text(e.stored)}")
    if e.passages:
        console.print("[bold]longest shared passages:[/]")
        for p in e.passages:
            console.print(Text(f"  ({p.words} words) “{_short(p.text, 200)}”"))


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


# --- progress of a run ----------------------------------------------------------------

PLAIN_PROGRESS_SECONDS = 30.0  # logs and CI: one plain line at most this often


def progress_listener(
    stream_console: Console | None = None, plain_every: float = PLAIN_PROGRESS_SECONDS
) -> Callable[[ProgressEvent], None]:
    """A live progress line (items done of total, rate) when standard error is a
    terminal; otherwise a plain line now and then, so logs stay readable."""
    out = stream_console or Console(stderr=True, highlight=False)
    if out.is_terminal:
        return _LiveProgress(out)
    return _PlainProgress(out.file if stream_console is not None else sys.stderr, plain_every)


class _LiveProgress:
    def __init__(self, out: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("items  {task.fields[rate]:.1f}/s"),
            TimeElapsedColumn(),
            console=out,
            transient=False,
        )
        self.task: int | None = None

    def __call__(self, e: ProgressEvent) -> None:
        if self.task is None:
            if e.finished:
                return
            self.bar.start()
            self.task = self.bar.add_task("ingest", total=e.total or None, rate=0.0)
        self.bar.update(self.task, completed=e.done, total=e.total or None, rate=e.rate)
        if e.finished:
            self.bar.stop()


class _PlainProgress:
    def __init__(self, file, every: float) -> None:
        self.file = file
        self.every = every
        self.last = time.monotonic()

    def __call__(self, e: ProgressEvent) -> None:
        now = time.monotonic()
        if e.finished or now - self.last < self.every:
            return  # the run's summary follows anyway
        self.last = now
        share = f" ({e.done / e.total:.0%})" if e.total else ""
        print(
            f"mediawatch: {e.done} of {e.total} items{share}, {e.rate:.1f} items/s, "
            f"{e.elapsed:.0f} s",
            file=self.file,
            flush=True,
        )
