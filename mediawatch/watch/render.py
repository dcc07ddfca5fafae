"""Watchlists, hits and a run's catch on the terminal. Outside text (titles, sources,
URLs, delivery answers) is plain text in Rich ``Text`` objects, never markup."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.table import Table
from rich.text import Text

from mediawatch.config import WatchList
from mediawatch.outside_text import plain
from mediawatch.render import console
from mediawatch.watch.run import WatchReport
from storage.watch import HitRow, WatchlistRow

KINDS = {"article": "article", "story": "story", "growth": "growing"}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


def describe(wl: WatchList) -> str:
    """What a watchlist asks for, in one line of our own words (its query quoted)."""
    parts = [f"query {plain(wl.query)!r}" if wl.query.strip() else "any text"]
    if wl.sources:
        parts.append("sources " + ", ".join(repr(plain(s)) for s in wl.sources))
    if wl.languages:
        parts.append("languages " + ", ".join(wl.languages))
    if wl.min_size > 1:
        parts.append(f"stories of {wl.min_size}+ articles")
    if wl.growth_articles:
        parts.append(f"growth {wl.growth_articles} articles in {wl.growth_hours:g} h")
    if wl.webhook:
        parts.append(f"webhook {plain(wl.webhook)}")
    if wl.notify_block:
        parts.append(f"Prefect block {plain(wl.notify_block)}")
    return "; ".join(parts)


def watchlists(rows: list[tuple[WatchlistRow | None, WatchList, str]]) -> None:
    """(stored row or None, definition, note) per watchlist."""
    if not rows:
        console.print(
            "No watchlists yet: `mediawatch watch add NAME QUERY`, or [[watch.lists]] "
            "in the settings."
        )
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col, kw in (
        ("name", {"no_wrap": True}),
        ("from", {}),
        ("hits", {"justify": "right"}),
        ("24 h", {"justify": "right"}),
        ("last hit", {"no_wrap": True}),
        ("watches", {"overflow": "fold"}),
    ):
        table.add_column(col, **kw)
    for row, wl, note in rows:
        table.add_row(
            wl.name,
            row.origin if row else "settings",
            str(row.hits) if row else "0",
            str(row.recent_hits) if row else "0",
            _when(row.last_hit) if row else "–",
            Text(describe(wl) + (f"  ({note})" if note else "")),
        )
    console.print(table)


def what_line(h: HitRow) -> str:
    """What a hit is, in our own words: "story 1 matches", "story 1 grew: ...",
    "article 4 (story 1)"."""
    if h.kind == "story":
        return f"story {h.story_id} matches ({h.story_size} articles)"
    if h.kind == "growth":
        return (
            f"story {h.story_id} grew: {h.detail.get('articles')} articles within "
            f"{h.detail.get('hours', 0):g} h"
        )
    return f"article {h.article_id} (story {h.story_id})"


def _delivery(hit: HitRow) -> Text:
    if not hit.deliveries:
        return Text("–")
    parts = []
    for d in hit.deliveries:
        state = d.state + (f" ×{d.attempts}" if d.attempts > 1 else "")
        parts.append(f"{d.channel} {state}")
    return Text(", ".join(parts))


def hits(name: str, rows: list[HitRow], since: datetime | None) -> None:
    period = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
    if not rows:
        console.print(Text(f"No hits for {name}{period}."))
        return
    table = Table(
        title=Text(f"Hits of {name}{period}: {len(rows)}"), box=box.SIMPLE_HEAD, pad_edge=False
    )
    delivering = any(h.deliveries for h in rows)
    # titles cut to the room the other columns leave (no_wrap columns never shrink)
    room = max(20, console.width - 68 - (26 if delivering else 0))
    for col, kw in (
        ("hit", {"justify": "right", "no_wrap": True}),
        ("found (UTC)", {"no_wrap": True, "min_width": 11}),
        ("what", {"no_wrap": True, "min_width": 16}),
        ("source", {"max_width": 18, "min_width": 6, "overflow": "ellipsis", "no_wrap": True}),
        ("title", {"no_wrap": True}),
        *([("delivery", {"no_wrap": True})] if delivering else []),
    ):
        table.add_column(col, **kw)
    for h in rows:
        if h.kind == "article":
            what = f"article {h.article_id} (s{h.story_id})"
        elif h.kind == "growth":
            grew = f"{h.detail.get('articles')}/{h.detail.get('hours', 0):g}h"
            what = f"story {h.story_id} growing {grew}"
        else:
            what = f"story {h.story_id}"
        table.add_row(
            str(h.hit_id),
            h.found_at.strftime("%m-%d %H:%M"),
            what,
            Text(plain(h.source, 18) or "–"),
            Text(plain(h.title, room) or "(untitled)"),
            *([_delivery(h)] if delivering else []),
        )
    console.print(table)
    failed = [(h, d) for h in rows for d in h.deliveries if d.state == "failed"]
    for h, d in failed[:10]:
        console.print(Text(f"  hit {h.hit_id}: {d.channel} failed: {plain(d.detail, 200)}"))


def run_hits(report: WatchReport | None) -> None:
    """The watch part of a run's summary (after render.run_summary)."""
    if report is None:
        return
    if not report.hits and not report.problems:
        if report.watchlists:
            console.print(Text(f"  watchlists: {report.watchlists} checked, no new hits"))
        return
    by_list: dict[str, int] = {}
    for h in report.hits:
        by_list[h.watchlist] = by_list.get(h.watchlist, 0) + 1
    counts = ", ".join(f"{n} {name}" for name, n in sorted(by_list.items())) or "none"
    sent = ""
    if report.delivered or report.failed:
        sent = f"; deliveries: {report.delivered} sent, {report.failed} failed"
    console.print(Text(f"  watchlist hits: {len(report.hits)} ({counts}){sent}"))
    for h in report.hits[:20]:
        console.print(
            Text.assemble(
                f"    {h.watchlist}: {what_line(h)}: ", Text(plain(h.title, 90) or "(untitled)")
            )
        )
    if len(report.hits) > 20:
        console.print(Text(f"    … and {len(report.hits) - 20} more: mediawatch watch hits NAME"))
    for p in report.problems[:10]:
        console.print(Text(f"  watch: {plain(p, 300)}"))
