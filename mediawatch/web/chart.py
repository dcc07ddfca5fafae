"""The story timeline as numbers for a small inline SVG, drawn server-side.

No JavaScript and no chart library (the page must work offline and run no
script): the template draws what this computes. Top band: articles so far
(a step line). Below: one lane per source, a dot per article, coloured by
how it relates to the others. Labels are plain strings; the template escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from storage.queries import ArticleRow

WIDTH = 760
LEFT = 150  # room for source names
RIGHT = 16
TOP = 10
BAND = 56  # height of the cumulative band
LANE = 22
AXIS = 26
MAX_LANES = 10

_STEPS = [timedelta(minutes=m) for m in (5, 15, 30, 60, 180, 360, 720)] + [
    timedelta(days=d) for d in (1, 2, 7, 14, 30, 91, 182, 365)
]


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    kind: str  # story-origin | copy | rewrite | group-origin | independent (a CSS class)
    label: str
    article_id: int


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Lane:
    y: float
    label: str
    full: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    left: int
    right: int
    band_top: float
    band_bottom: float
    axis_y: float
    dots: list[Dot]
    ticks: list[Tick]
    lanes: list[Lane]
    steps: str  # polyline points of the cumulative count
    total: int
    start: datetime
    end: datetime


def _lane_name(a: ArticleRow) -> str:
    """The source, else what tells the article apart: the host, or the file name."""
    if a.source:
        return a.source
    parts = urlsplit(a.url or "")
    return parts.hostname or PurePosixPath(parts.path).name or "(unknown source)"


def _kind(a: ArticleRow, origin_id: int | None) -> str:
    if a.article_id == origin_id:
        return "story-origin"
    if a.relation in ("exact", "near_copy"):
        return "copy"
    if a.relation == "rewrite":
        return "rewrite"
    if a.relation == "origin":
        return "group-origin"
    return "independent"


def _ticks(start: datetime, end: datetime, x) -> list[Tick]:
    span = end - start
    step = next((s for s in _STEPS if span / s <= 6), _STEPS[-1])
    fmt = "%H:%M" if step < timedelta(days=1) else "%d %b" if step < timedelta(days=182) else "%Y"
    if step < timedelta(days=1):
        first = start.replace(minute=0, second=0, microsecond=0)
    else:
        first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    out: list[Tick] = []
    t = first
    while t <= end:
        if t >= start:
            label = t.strftime(fmt)
            if fmt == "%H:%M" and (not out or (t.hour == 0 and t.minute == 0)):
                label = t.strftime("%d %b %H:%M")
            out.append(Tick(round(x(t), 1), label))
        t += step
    return out


def timeline(articles: list[ArticleRow], origin_id: int | None) -> Timeline | None:
    """Positions for every article; None for a story without articles."""
    if not articles:
        return None
    dates = [a.date for a in articles]
    start, end = min(dates), max(dates)
    if end - start < timedelta(hours=1):  # one moment: give it an hour around it
        mid = start + (end - start) / 2
        start, end = mid - timedelta(minutes=30), mid + timedelta(minutes=30)
    pad = (end - start) * 0.04
    start, end = start - pad, end + pad
    plot = WIDTH - LEFT - RIGHT

    def x(t: datetime) -> float:
        return LEFT + plot * ((t - start) / (end - start))

    # Lanes: sources in order of their first article; the rest share the last lane.
    order: list[str] = []
    for a in sorted(articles, key=lambda a: (a.date, a.article_id)):
        name = _lane_name(a)
        if name not in order:
            order.append(name)
    shown = order if len(order) <= MAX_LANES else order[: MAX_LANES - 1]
    others = len(order) - len(shown)
    lane_top = TOP + BAND + 14
    lanes = [
        Lane(lane_top + i * LANE + LANE / 2, name if len(name) <= 18 else name[:17] + "…", name)
        for i, name in enumerate(shown)
    ]
    if others:
        label = f"{others} other sources"
        lanes.append(Lane(lane_top + len(shown) * LANE + LANE / 2, label, label))
    lane_of = {name: i for i, name in enumerate(shown)}
    dots = []
    for a in articles:
        lane = lanes[lane_of.get(_lane_name(a), len(lanes) - 1)]
        relation = {"story-origin": "origin of the story"}.get(
            _kind(a, origin_id), a.relation or "independent"
        )
        label = (
            f"{a.date:%Y-%m-%d %H:%M} · {a.source or 'unknown source'} · {relation}"
            f" · {a.title or '(untitled)'}"
        )
        dots.append(Dot(round(x(a.date), 1), lane.y, _kind(a, origin_id), label, a.article_id))
    dots.sort(key=lambda d: d.kind == "story-origin")  # drawn last: on top
    # Cumulative count as a step line over the band.
    band_top, band_bottom = TOP, TOP + BAND
    total = len(articles)
    points = [(LEFT, band_bottom)]
    for n, t in enumerate(sorted(dates), start=1):
        px = x(t)
        points.append((px, points[-1][1]))
        points.append((px, band_bottom - (band_bottom - band_top) * n / total))
    points.append((WIDTH - RIGHT, points[-1][1]))
    axis_y = lane_top + len(lanes) * LANE + 4
    return Timeline(
        width=WIDTH,
        height=int(axis_y + AXIS),
        left=LEFT,
        right=WIDTH - RIGHT,
        band_top=band_top,
        band_bottom=band_bottom,
        axis_y=axis_y,
        dots=dots,
        ticks=_ticks(start, end, x),
        lanes=lanes,
        steps=" ".join(f"{px:.1f},{py:.1f}" for px, py in points),
        total=total,
        start=min(dates),
        end=max(dates),
    )
