"""A watchlist's digest for a morning e-mail: its hits grouped by story, Markdown or HTML.

Titles, sources and URLs are hostile text. Escape sequences, control and direction
characters are removed (a digest is often read on a terminal first); in HTML every
value is then escaped (element
content and attributes) and only http(s) URLs become links; in Markdown every special
character is escaped and link targets are percent-encoded, so a title cannot close a
link, open an image or smuggle HTML into a renderer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from mediawatch.context import web_url
from mediawatch.outside_text import plain
from mediawatch.report import md
from storage.watch import HitRow

URL_SAFE = (
    ":/?#[]@!$&'*+,;=%~-._"  # what stays as it is in a link target; ( ) < > " and spaces do not
)


@dataclass
class StoryDigest:
    story_id: int | None
    title: str | None
    size: int | None
    url: str | None
    kinds: set[str] = field(default_factory=set)  # story, growth
    growth: str | None = None
    articles: list[HitRow] = field(default_factory=list)
    latest: datetime | None = None


def group(hits: list[HitRow]) -> list[StoryDigest]:
    """Hits by story, the story with the latest hit first; article hits oldest first."""
    stories: dict[int | None, StoryDigest] = {}
    for h in sorted(hits, key=lambda h: (h.found_at, h.hit_id)):
        key = h.story_id
        d = stories.get(key)
        if d is None:
            d = stories[key] = StoryDigest(key, None, None, None)
        d.latest = h.found_at
        if h.kind == "article":
            d.articles.append(h)
            d.size = max(d.size or 0, h.story_size or 0) or d.size
            continue
        d.kinds.add(h.kind)
        d.title, d.url, d.size = h.title, h.url, h.story_size
        if h.kind == "growth":
            d.growth = (
                f"{h.detail.get('articles')} articles within {h.detail.get('hours', 0):g} hours"
            )
    for d in stories.values():
        if d.title is None and d.articles:
            d.title = d.articles[0].title
    return sorted(stories.values(), key=lambda d: d.latest or datetime.min, reverse=True)


def _headline(d: StoryDigest) -> str:
    marks = []
    if "story" in d.kinds:
        marks.append("new on the watchlist")
    if d.growth:
        marks.append(f"growing: {d.growth}")
    if d.size:
        marks.append(f"{d.size} article{'s' if d.size != 1 else ''}")
    return "; ".join(marks)


def _md_link(text: object, url: str | None) -> str:
    href = web_url(url)
    label = md(plain(text) or "(untitled)", 160)
    return f"[{label}]({quote(href, safe=URL_SAFE)})" if href else label


def markdown(name: str, hits: list[HitRow], since: datetime | None, now: datetime) -> str:
    period = f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all hits"
    lines = [
        f"# mediawatch digest: {md(name)}",
        "",
        f"{len(hits)} hit{'s' if len(hits) != 1 else ''} {period} (made {now:%Y-%m-%d %H:%M} UTC).",
    ]
    if not hits:
        lines += ["", "Nothing new."]
    for d in group(hits):
        story = f"Story {d.story_id}" if d.story_id is not None else "No story"
        lines += ["", f"## {story}: {_md_link(d.title, d.url)}"]
        head = _headline(d)
        if head:
            lines += ["", head]  # our own words and numbers
        if d.articles:
            lines.append("")
        for a in d.articles:
            when = a.detail.get("date", "")[:16].replace("T", " ")
            source = md(plain(a.source) or "unknown source", 60)
            lines.append(
                f"- {_md_link(a.title, a.url)} ({source}, {when or '–'}; article {a.article_id})"
            )
    return "\n".join(lines) + "\n"


def _h(value: object) -> str:
    return html.escape(plain(value), quote=True)


def _html_link(text: object, url: str | None) -> str:
    href = web_url(url)
    label = _h(text or "(untitled)")
    if not href:
        return label
    return f'<a href="{_h(href)}" rel="noopener noreferrer nofollow">{label}</a>'


def html_page(name: str, hits: list[HitRow], since: datetime | None, now: datetime) -> str:
    """A whole HTML document (inline styles only: e-mail clients drop style sheets)."""
    period = f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all hits"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>mediawatch digest: {_h(name)}</title></head>",
        '<body style="font-family: sans-serif; max-width: 48em">',
        f"<h1>mediawatch digest: {_h(name)}</h1>",
        f"<p>{len(hits)} hit{'s' if len(hits) != 1 else ''} {_h(period)} "
        f"(made {now:%Y-%m-%d %H:%M} UTC).</p>",
    ]
    if not hits:
        out.append("<p>Nothing new.</p>")
    for d in group(hits):
        story = f"Story {d.story_id}" if d.story_id is not None else "No story"
        out.append(
            f'<h2 style="font-size: 1.1em">{story}: <bdi>{_html_link(d.title, d.url)}</bdi></h2>'
        )
        head = _headline(d)
        if head:
            out.append(f"<p>{_h(head)}</p>")
        if d.articles:
            out.append("<ul>")
            for a in d.articles:
                when = a.detail.get("date", "")[:16].replace("T", " ") or "–"
                out.append(
                    f"<li><bdi>{_html_link(a.title, a.url)}</bdi> "
                    f"(<bdi>{_h(a.source or 'unknown source')}</bdi>, {_h(when)}; "
                    f"article {a.article_id})</li>"
                )
            out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
