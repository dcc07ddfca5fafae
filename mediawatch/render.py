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

from mediawatch.safe_text import plain
from mediawatch.times import first_note
from mediawatch.wording import plural, relation, story_reason

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

# Markup and emoji codes off: nothing printed is ever parsed, so a title such as
# "[link=https://evil.example]click[/link]" or ":smile:" shows as written. Text from
# the outside world goes through ``_ext`` (mediawatch.safe_text.plain) on top of that.


class PipedConsole(Console):
    """rich's console, except that a reader who stopped (``| head``) raises
    BrokenPipeError for mediawatch.cli to end quietly (rich exits with status 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


console = PipedConsole(highlight=False, soft_wrap=False, markup=False, emoji=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 160  # piped or logged: long lines beat titles cut to a word

NARROW = 120  # below this many columns, tables drop and shorten what matters least


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value else "–"


def _dated(row: ArticleRow | GroupMember, narrow: bool = False) -> str:
    """An article's date as precise as its publication time: no 00:00 for a date only."""
    if row.published_at is not None and row.published_precision == "day":
        return f"{row.published_at:%Y-%m-%d}"
    if row.published_at is not None and row.published_precision == "month":
        return f"{row.published_at:%Y-%m}"
    return _when(row.date, "%Y-%m-%d" if narrow else "%Y-%m-%d %H:%M")


def _short(text: str | None, width: int = 70) -> str:
    text = " ".join(plain(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _ext(text: object, width: int | None = None, style: str = "") -> Text:
    """Outside text (a title, source, URL, reason) as one plain line: never markup,
    no escape sequences or control characters, cut to ``width`` if given."""
    s = " ".join(plain(text).split())
    if width is not None and len(s) > width:
        s = s[: width - 1] + "…"
    return Text(s, style=style)


def _line(*parts: str | Text | tuple[str, str]) -> Text:
    """One line from our own words (str or (str, style)) and outside text (Text)."""
    return Text.assemble(*parts)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _narrow(columns: int = NARROW) -> bool:
    return console.width < columns


def _title_column(table: Table, header: str = "title") -> None:
    """The last column takes the width the others leave; a long title ends in "…"."""
    table.add_column(header, ratio=1, min_width=16, no_wrap=True, overflow="ellipsis")


def _fixed(table: Table, *headers: str, justify: str = "left") -> None:
    for h in headers:
        table.add_column(h, no_wrap=True, justify=justify)  # type: ignore[arg-type]


def shown_note(shown: int, total: int | None, offset: int, limit: int | None, what: str) -> None:
    """A note such as: 50 of 348 stories shown (1-50); more: --offset 50; all: --limit 0."""
    if total is None or (shown >= total and offset == 0):
        return
    if shown == 0:
        console.print(f"  none of {plural(total, what)} past --offset {offset}")
        return
    parts = [f"  {shown:,} of {plural(total, what)} shown ({offset + 1}–{offset + shown})"]
    if offset + shown < total:
        parts.append(f"more: --offset {offset + shown}")
        if limit:
            parts.append("all: --limit 0")
    console.print("; ".join(parts))


def run_summary(s: RunSummary) -> None:
    console.print(
        _line(
            (f"Run {s.run_id}", "bold"),
            " into ",
            _ext(s.db),
            f": {plural(s.documents, 'item')} read, {plural(s.new_articles, 'new article')}, "
            f"{s.already_known:,} already stored (skipped), "
            f"{plural(s.exact_copies, 'exact copy', 'exact copies')} of stored texts, "
            f"{s.revisions:,} revised",
        )
    )
    console.print(
        f"  duplicate groups: {s.new_groups} new, {s.grown_groups} grown;  "
        f"stories: {s.new_stories} new, {s.grown_stories} grown;  "
        f"{len(s.failures)} failed;  {s.elapsed:.1f} s"
    )
    if s.feeds_polled:
        console.print(
            f"  feeds: {s.feeds_polled} polled, {s.feeds_unchanged} unchanged;  "
            f"{plural(s.pages_fetched, 'page')} fetched in {plural(s.requests, 'request')}"
        )
    if s.failures:
        table = Table(box=box.SIMPLE, title="Failures")
        _fixed(table, "stage")
        table.add_column("item", max_width=60, overflow="fold")
        table.add_column("reason", ratio=1)
        for f in s.failures[:50]:
            table.add_row(f.stage, _ext(f.origin, 60), _ext(f.reason))
        console.print(table)
        if len(s.failures) > 50:
            console.print(
                f"  … and {len(s.failures) - 50} more: `mediawatch failures --run {s.run_id}`"
            )


def stories_table(
    rows: list[StoryRow], where: StoryFilter | None = None, total: int | None = None
) -> None:
    """Stories, one line each; narrow terminals get short headers and dates only."""
    if not rows:
        console.print("No stories match." if where else "No stories yet.")
        if where is not None and total:
            shown_note(0, total, where.offset, where.limit, "story")
        return
    narrow = _narrow()
    searching = where is not None and where.search is not None
    growth = where is not None and where.sort == "growth"
    table = Table(box=box.SIMPLE_HEAD, title="Stories", expand=True, pad_edge=False)
    numbers = ["story", "arts", "srcs", "indep"] if narrow else ["story", "articles", "sources"]
    if not narrow:
        numbers += ["independent", "dup groups"]
    if growth:
        numbers.append(f"last {where.growth_hours:g} h")
    if searching:
        numbers += ["matching", "score"]
    _fixed(table, *numbers, justify="right")
    _fixed(table, *(["last seen"] if narrow else ["first seen", "last seen"]))
    _title_column(table)
    for r in rows:
        cells = [str(r.story_id), str(r.size), str(r.n_sources), str(r.n_independent)]
        if not narrow:
            cells.append(str(r.n_groups))
        if growth:
            cells.append(f"+{r.growth}")
        if searching:
            cells += [str(r.matching or 0), _num(r.relevance)]
        if narrow:
            cells.append(_when(r.last_date, "%Y-%m-%d"))
        else:
            cells += [_when(r.first_date), _when(r.last_date)]
        table.add_row(*cells, _ext(r.title or "(untitled)"))
    console.print(table)
    if where is not None:
        shown_note(len(rows), total, where.offset, where.limit, "story")


def story_detail(d: StoryDetail, limit: int | None = None) -> None:
    """The story in the terminal; ``limit`` rows of its timeline and independent list."""
    s = d.story
    console.print(_line((f"Story {s.story_id}", "bold"), ": ", _ext(s.title or "(untitled)")))
    console.print(
        f"  {plural(s.size, 'article')} from {plural(s.n_sources, 'source')}, "
        f"{s.n_independent} independently written; {_when(s.first_date)} – "
        f"{_when(s.last_date)}; origin: article {s.origin_article_id}"
    )
    if len(d.articles) > 1 and (note := first_note(d.articles[0], d.articles[1])):
        console.print(_line("  origin tie: ", _ext(note)))
    narrow = _narrow(160)  # the timeline has the most columns
    table = Table(box=box.SIMPLE_HEAD, title="Timeline (origin first)", expand=True)
    _fixed(table, "article", justify="right")
    _fixed(table, "date")
    table.add_column("source", max_width=12 if narrow else 24, no_wrap=True, overflow="ellipsis")
    _fixed(table, "relation")
    if not narrow:
        _fixed(table, "group")
        table.add_column("how it joined", max_width=28, overflow="fold")
    _title_column(table)
    for a in d.articles[:limit]:
        cells: list[str | Text] = [
            str(a.article_id),
            _dated(a, narrow),
            _ext(a.source or "–"),
            _story_relation(a, s.origin_article_id),
        ]
        if not narrow:
            cells += [str(a.group_id or "–"), story_reason(a.story_reason)]
        table.add_row(*cells, _ext(a.title or "(untitled)"))
    console.print(table)
    _more(len(d.articles), limit, "article")
    if d.sources:
        sources = Table(box=box.SIMPLE_HEAD, title="Sources")
        sources.add_column("source", max_width=60, overflow="fold")
        _fixed(sources, "articles", "copies", justify="right")
        _fixed(sources, "first article")
        for c in d.sources:
            name = _ext(c.source)
            if not c.named:  # the article's URL stands in for its source (as counted)
                name = Text.assemble("– (no source: ", name, ")")
            sources.add_row(name, str(c.articles), str(c.copies), _when(c.first_date))
        console.print(sources)
    if d.groups:
        groups(d.groups)
    if d.independent:
        table = Table(
            box=box.SIMPLE_HEAD,
            expand=True,
            title=f"Independent articles ({plural(len(d.independent), 'distinct text')}; a "
            "duplicate group counts once, by its original)",
        )
        _fixed(table, "article", justify="right")
        _fixed(table, "date")
        table.add_column(
            "source", max_width=12 if narrow else 24, no_wrap=True, overflow="ellipsis"
        )
        _fixed(table, "copies", justify="right")
        _title_column(table)
        sizes = {g.group_id: g.size - 1 for g in d.groups}
        for a in d.independent[:limit]:
            table.add_row(
                str(a.article_id),
                _dated(a, narrow),
                _ext(a.source or "–"),
                str(sizes.get(a.group_id, 0)),
                _ext(a.title or "(untitled)"),
            )
        console.print(table)
        _more(len(d.independent), limit, "independent article")


def _story_relation(a: ArticleRow, origin_id: int | None) -> str:
    """One phrase: the story's origin, and the article's place in its duplicate group."""
    if a.article_id != origin_id:
        return relation(a.relation)
    if a.relation in (None, "origin"):
        return "story origin" + (", copied" if a.relation == "origin" else "")
    return f"story origin, {relation(a.relation)}"


def _more(total: int, limit: int | None, what: str) -> None:
    if limit is not None and total > limit:
        console.print(f"  … and {plural(total - limit, 'more ' + what)} (--limit 0 shows all)")


def search_results(
    query: str,
    results: list[tuple[SearchHit, list[Segment]]],
    total: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> None:
    if not results:
        console.print(_line("No articles match ", _ext(repr(query)), "."))
        if total:
            shown_note(0, total, offset, limit, "article")
        return
    narrow = _narrow()
    table = Table(
        box=box.SIMPLE_HEAD, expand=True, title=f"Articles matching {_short(query, 60)!r}"
    )
    _fixed(table, "article", "score", justify="right")
    _fixed(table, "date")
    table.add_column("source", max_width=12 if narrow else 20, no_wrap=True, overflow="ellipsis")
    _fixed(table, "story", justify="right")
    if not narrow:
        _fixed(table, "group")
    table.add_column("title / snippet", ratio=1, min_width=20)
    for hit, snip in results:
        body = _ext(hit.title or "(untitled)", style="bold")
        body.no_wrap, body.overflow = True, "ellipsis"
        text = _segments(snip, "bold yellow")
        text.append("\n")
        cells: list[str | Text] = [
            str(hit.article_id),
            _num(hit.score),
            _when(hit.date, "%Y-%m-%d" if narrow else "%Y-%m-%d %H:%M"),
            _ext(hit.source or "–"),
            str(hit.story_id or "–"),
        ]
        if not narrow:
            cells.append(f"{hit.group_id} ({relation(hit.relation)})" if hit.group_id else "–")
        table.add_row(*cells, Text.assemble(body, "\n", text))
    console.print(table)
    shown_note(len(results), total, offset, limit, "article")


def _segments(segs: list[Segment], marked: str, plain_style: str = "") -> Text:
    out = Text()
    for seg in segs:
        out.append(plain(seg.text), style=marked if seg.marked else plain_style)
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
            _line(
                (f"{label}: article {art.article_id}", "bold"),
                " ",
                _ext(art.title, 70),
                "  (",
                _ext(art.source or "–"),
                f", {_when(art.date)}; {share:.0%} in shared passages)",
            )
        )
    c = diff.counts
    console.print(
        _line(
            f"{plural(c['same'], 'sentence')} the same, {c['changed']} changed, "
            f"{c['removed']} only in A, {c['added']} only in B.  ",
            ("shared passages", _SHARED),
            " (4+ words in both), ",
            ("~ changed", "yellow"),
            ", ",
            ("- only in A", "red"),
            ", ",
            ("+ only in B", "green"),
        )
    )
    if diff.language_note:
        console.print(_line(diff.language_note))
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
    narrow = _narrow()
    for g in rows:
        via = any(m.via_article_id for m in g.members)  # a column only when it says something
        table = Table(
            box=box.SIMPLE_HEAD,
            expand=True,
            title=f"Duplicate group {g.group_id} (story {g.story_id}, {plural(g.size, 'version')})",
        )
        _fixed(table, "article", justify="right")
        _fixed(table, "relation")
        if via:
            _fixed(table, "via article", justify="right")
        _fixed(table, *(["sim."] if narrow else ["similarity", "containment"]))
        _fixed(table, "date")
        table.add_column(
            "source", max_width=12 if narrow else 24, no_wrap=True, overflow="ellipsis"
        )
        _title_column(table)
        for m in g.members:
            cells: list[str | Text] = [str(m.article_id), relation(m.relation)]
            if via:
                cells.append(str(m.via_article_id or "–"))
            cells.append(_num(m.similarity))
            if not narrow:
                cells.append(_num(m.containment))
            cells += [
                _dated(m, narrow),
                _ext(m.source or "–"),
                _ext(m.title or "(untitled)"),
            ]
            table.add_row(*cells)
        console.print(table)
        if len(g.members) > 1 and (note := first_note(g.members[0], g.members[1])):
            console.print(_line("  origin tie: ", _ext(note)))


def runs_table(rows: list[RunRow]) -> None:
    if not rows:
        console.print("No runs yet.")
        return
    wide = console.width >= 140  # below: the counts a reader needs first
    table = Table(box=box.SIMPLE_HEAD, title="Runs", expand=True)
    _fixed(table, "run", justify="right")
    _fixed(table, "kind", "state", "started")
    if wide:
        _fixed(table, "finished")
    _fixed(table, "read", justify="right")
    if wide:
        _fixed(table, "skipped", "extracted", justify="right")
    _fixed(table, "stored", justify="right")
    table.add_column("failed")
    table.add_column("sources", ratio=1, min_width=10, no_wrap=True, overflow="ellipsis")
    for r in rows:
        c = r.counts
        stored = c.get("stored", c.get("new_articles"))
        cells = [str(r.run_id), r.kind, r.state, _when(r.started_at)]
        if wide:
            cells.append(_when(r.finished_at))
        cells.append(str(c.get("documents", "–")))
        if wide:
            cells += [str(c.get("already_known", "–")), str(c.get("extracted", "–"))]
        cells += [
            str(stored if stored is not None else r.articles),
            _failed(r.failures, c.get("failed_by_stage")),
        ]
        table.add_row(*cells, _ext(", ".join(r.sources)))
    console.print(table)
    for r in rows:
        if r.error and r.state != "completed":
            console.print(_line(f"  run {r.run_id}: ", _ext(r.error)))


def _failed(total: int, by_stage: dict[str, int] | None) -> str:
    if not total or not by_stage:
        return str(total)
    return f"{total} (" + ", ".join(f"{k} {v}" for k, v in by_stage.items()) + ")"


def failures_table(rows: list[FailureRow], run_id: int | None = None) -> None:
    if not rows:
        console.print(
            f"No failures recorded in run {run_id}." if run_id else "No failures recorded."
        )
        return
    table = Table(box=box.SIMPLE_HEAD, title="Failures", expand=True)
    _fixed(table, "run", justify="right")
    _fixed(table, "stage")
    table.add_column("item", max_width=60, overflow="fold")
    table.add_column("reason", ratio=1)
    for f in rows:
        table.add_row(str(f.run_id), f.stage, _ext(f.origin, 60), _ext(f.reason))
    console.print(table)


def _article_line(a) -> None:
    console.print(_line((f"Article {a.article_id}", "bold"), " ", _ext(a.title, 70)))
    group = a.group_id or "–"
    console.print(
        _line("   ", _ext(a.source or "–"), f", {_when(a.date)}, story {a.story_id}, group {group}")
    )


def explanation(e: Explanation) -> None:
    from mediawatch.explain import format_value

    _article_line(e.a)
    _article_line(e.b)
    console.print()
    for section in e.sections:
        if not section.rows:  # nothing scored (a pruned text): the title and the note alone
            console.print(Text(section.title, style="italic"))
            console.print(_line(("  decision: ", "bold"), _ext(section.decision)))
            console.print()
            continue
        table = Table(
            "score", "value", "threshold", "meaning", box=box.SIMPLE_HEAD, title=section.title
        )
        for row in section.rows:
            table.add_row(
                row.name, format_value(row.value), format_value(row.threshold), _ext(row.meaning)
            )
        console.print(table)
        console.print(_line(("  decision: ", "bold"), _ext(section.decision)))
        console.print()
    if e.stored:
        console.print(_line(("stored: ", "bold"), _ext(e.stored)))
    if e.passages:
        console.print(Text("longest shared passages:", style="bold"))
        for p in e.passages:
            console.print(_line(f"  ({p.words} words) “", _ext(_short(p.text, 200)), "”"))


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
            name = Text("└ ").append_text(_ext(r.feed_url))
        elif r.name:
            name = Text.assemble(_ext(r.name), "\n", _ext(r.feed_url))
        else:
            name = _ext(r.feed_url)
        status = plain(r.last_status or "–")
        if r.pending:
            status += " (items left)"
        if r.poll_minutes:
            status += f"\nevery {r.poll_minutes} min"
        table.add_row(
            name,
            plain(r.kind or "–"),
            Text(status),
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
        console.print(_line("  ", _ext(url), ": ", _ext(error)))


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
