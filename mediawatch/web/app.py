"""The web inspector: server-rendered pages over a read-only database.

Safe by construction:
- article titles, texts, sources and URLs are untrusted; they reach the page only
  through Jinja2 with autoescape on. Highlighting (shared passages, search hits)
  is a list of plain-text segments that the template wraps in ``<mark>``: no
  markup is ever built from article text here, and no template uses ``|safe``;
- escaping keeps control characters (ESC, BEL, C1) and direction overrides: every
  ``{{ }}`` goes through ``page_text`` first, which takes them out as the terminal does;
- a link to an article's URL is made only for http(s) URLs;
- the pages carry no script, and the Content-Security-Policy forbids any;
- GET only, unless started with ``--edit`` (mediawatch.web.edit_pages: POST forms
  with a CSRF token and an Origin check). Each request opens the database read-only
  (``storage.connection.reader``, which waits while a run holds the file), reads, and
  closes it *before* rendering, so a run that wants to write waits for a few queries at most.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediawatch import wording
from mediawatch.config import Settings
from mediawatch.context import DECISION_SCORES, article_context
from mediawatch.corrections import KINDS as CORRECTION_KINDS
from mediawatch.corrections import describe as describe_correction
from mediawatch.diff import diff_texts
from mediawatch.explain import format_value, pruned_note
from mediawatch.filters import FilterError, check_query, parse_when, story_filter
from mediawatch.safe_text import plain, text_only
from mediawatch.search import parse_query, snippet
from mediawatch.web import edit_pages, watch_pages
from mediawatch.web.chart import timeline
from storage import corrections as corrections_db
from storage import queries
from storage import search as search_db
from storage.connection import DatabaseBusy, DatabaseDamaged, NoDatabase, SchemaError, reader

HERE = Path(__file__).parent
MAX_PAGE = 10_000  # pages past this are past any real archive's end: shown as empty
PAGE_SIZE = 50
STORY_ROWS = 200  # timeline and independent rows on a story page, unless ?all=1
GROUP_ROWS = 20  # members per duplicate-group card on a story page (the group page has all)
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
UI_MAX_WAIT = 30.0  # seconds a page waits for a run to release the database
NOTHING_TO_SEARCH = "Nothing to search for: only very common words."  # /search and / alike

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
RELATIONS = {"origin", "exact", "near_copy", "rewrite"}
STORY_REASONS = {  # how an article came into its story (story_members.reason)
    "new": "started it",
    "new:with-batch": "formed it with other articles stored in the same batch",
    "attached": "joined it",
    "moved": "moved to it when stories were re-clustered",
    "merged": "came with a story merged into it",
    "correction": "was put there by an analyst's correction",
}


def safe_href(url: str | None) -> str | None:
    """The URL if a browser may follow it from here (http or https), else None:
    escaping alone does not stop a ``javascript:`` link."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def relation_class(relation: str | None) -> str:
    """A CSS class from a fixed set, whatever the database holds."""
    return relation if relation in RELATIONS else "independent"


def _when(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value else "–"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def page_text(value: Any) -> Any:
    """Every ``{{ }}`` of every page passes here before it is escaped: outside text
    (titles, sources, URLs, texts, notes, what was typed) loses its escape sequences
    and direction controls and shows other control characters as U+FFFD, as in the
    terminal. Escaping alone would put a raw ESC or BEL in the page, and ``<bdi>`` only
    keeps an override from reordering the text around it, not inside it."""
    if isinstance(value, Markup):  # a macro's output: its {{ }} came through here
        return Markup(text_only(value))  # (and |e's: dropping a control adds no markup)
    if isinstance(value, str):
        return plain(value, multiline=True)
    return value


def one_line(value: Any) -> str:
    """Outside text where <bdi> cannot go (<title>, <option>, SVG text): as
    ``page_text``, on one line."""
    return plain(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every {{ }} is escaped: article data is untrusted
        finalize=page_text,  # ... and loses the control characters escaping keeps
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=_when,
        num=_num,
        pct=_pct,
        fmt=format_value,
        nobidi=one_line,  # where <bdi> cannot go: <title>, <option>, SVG text
        relation_words=wording.relation,
        story_reason_words=wording.story_reason,
        plural=wording.plural,  # {{ n|plural("article") }}: "1 article", "2 articles"
        noun=wording.noun,
    )
    env.globals.update(safe_href=safe_href, relation_class=relation_class)
    return env


log = logging.getLogger("mediawatch.web")

SERVER_ERROR_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Error · mediawatch "
    "inspector</title></head><body><h1>Something went wrong</h1><p>The page could not be "
    'made; the error is in the inspector\'s log.</p><p><a href="/">All stories</a></p>'
    "</body></html>"
).encode()


class SecurityHeaders:
    """Adds the headers above to every response (pages, static files, errors), and
    answers an unexpected error itself: Starlette's own 500 page comes from outside
    every middleware, so it would carry none of them."""

    def __init__(self, app: ASGIApp, referrer: str = "no-referrer") -> None:
        self.app = app
        # ``ui --edit``: same-origin, or the browser would send "Origin: null" with the
        # forms and the Origin check could not tell this inspector's pages from others
        self.headers = [
            (k, referrer.encode()) if k == b"referrer-policy" else (k, v)
            for k, v in SECURITY_HEADERS
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *self.headers]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("error serving %s", scope.get("path"))
            if started:
                raise  # too late for an error page; the server closes the connection
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(SERVER_ERROR_PAGE)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": SERVER_ERROR_PAGE})


@dataclass
class Inspector:
    """The pages; one read-only connection per request, closed before rendering."""

    db: Path
    wait: float
    env: Environment
    edit: str | None = None  # `ui --edit`: the CSRF token its forms carry

    @contextmanager
    def read(self) -> Iterator:
        with reader(self.db, wait=self.wait) as conn:
            yield conn

    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("edit", self.edit)
        html = self.env.get_template(name).render(request_path=request.url.path, **ctx)
        return HTMLResponse(html, status_code=status)

    # --- pages -------------------------------------------------------------------------

    def stories(self, request: Request) -> Response:
        p = request.query_params
        page = _page(p.get("page"))
        form = {
            k: p.get(k, "")
            for k in (
                "q",
                "source",
                "language",
                "since",
                "until",
                "min_size",
                "sort",
                "growth_hours",
            )
        }
        error = None
        try:
            where = story_filter(
                since=form["since"],
                until=form["until"],
                source=form["source"],
                language=form["language"],
                search=form["q"],
                min_size=form["min_size"],
                sort=form["sort"] or None,
                growth_hours=form["growth_hours"],
                limit=PAGE_SIZE + 1,
                offset=page * PAGE_SIZE,
            )
        except FilterError as exc:
            error = str(exc)
            where = story_filter(limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
        # only common words: the answer /search gives, not every story "matching" it
        nothing = where.search is not None and where.search.empty
        if nothing:
            error = NOTHING_TO_SEARCH
        with self.read() as conn:
            rows = [] if nothing else queries.list_stories(conn, where)
            sources = queries.list_sources(conn)
            languages = queries.list_languages(conn)
            indexed, total = search_db.coverage(conn)
        more = len(rows) > PAGE_SIZE
        return self.render(
            request,
            "stories.html",
            stories=rows[:PAGE_SIZE],
            form=form,
            where=where,
            error=error,
            sources=sources,
            languages=languages,
            partial_index=(indexed, total) if rows and where.search and indexed < total else None,
            prev_link=_page_link(p, page - 1) if page > 0 else None,
            next_link=_page_link(p, page + 1) if more else None,
            search_link=_search_link(form["q"]) if where.search and not nothing else None,
            nothing_to_search=nothing,
        )

    def story(self, request: Request) -> Response:
        story_id = request.path_params["story_id"]
        with self.read() as conn:
            detail = queries.get_story(conn, story_id)
            if detail is None:
                raise HTTPException(404, f"There is no story {story_id}.")
            origin_id = detail.story.origin_article_id
            origin = next((a for a in detail.articles if a.article_id == origin_id), None)
            origin_text = (
                queries.article_texts(conn, [origin_id]).get(origin_id) if origin else None
            )
        sizes = {g.group_id: g.size for g in detail.groups}
        show_all = request.query_params.get("all") == "1"
        rows = None if show_all else STORY_ROWS
        return self.render(
            request,
            "story.html",
            d=detail,
            s=detail.story,
            articles=detail.articles[:rows],
            independent=detail.independent[:rows],
            hidden=0 if show_all else max(0, len(detail.articles) - STORY_ROWS),
            group_rows=GROUP_ROWS,
            origin=origin,
            origin_paragraphs=_excerpt(origin_text, 70),
            chart=timeline(detail.articles, origin_id),
            group_sizes=sizes,
        )

    def group(self, request: Request) -> Response:
        group_id = request.path_params["group_id"]
        p = request.query_params
        from mediawatch.corrections import pair_note
        from mediawatch.explain import explain_pair

        with self.read() as conn:
            group = queries.get_group(conn, group_id)
            if group is None:
                raise HTTPException(404, f"There is no duplicate group {group_id}.")
            ids = [m.article_id for m in group.members]
            a = _int(p.get("a"), group.origin_article_id)
            default_b = next((i for i in ids if i != a), a)
            b = _int(p.get("b"), default_b)
            note = None
            if a not in ids or b not in ids:
                note = "Those articles are not both in this group; showing the origin and a member."
                a, b = (
                    group.origin_article_id,
                    next((i for i in ids if i != group.origin_article_id), group.origin_article_id),
                )
            story = queries.get_story_row(conn, group.story_id)
            report = explain_pair(conn, a, b) if a != b else None
            decided = pair_note(conn, a, b) if a != b else None
            texts = queries.article_texts(conn, [a, b])
        members = {m.article_id: m for m in group.members}
        stored = _stored_decision(members[a], members[b], group.origin_article_id)
        pruned = [i for i in dict.fromkeys((a, b)) if texts.get(i) is None]
        diff = diff_texts(texts[a], texts[b]) if a != b and not pruned else None
        if pruned:
            note = f"Nothing to compare: {pruned_note(pruned)}."
        return self.render(
            request,
            "group.html",
            g=group,
            story=story,
            a=members[a],
            b=members[b],
            note=note or ("Pick two different versions to compare." if a == b else None),
            report=report,
            computed=_sided(report.sections[0].decision, "A", "B") if report else None,
            stored=stored,
            decided=decided,
            diff=diff,
            view="unified" if p.get("view") == "unified" else "side",
        )

    def article(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        with self.read() as conn:
            art = queries.get_article(conn, article_id)
            if art is None:
                raise HTTPException(404, f"There is no article {article_id}.")
            text = queries.article_texts(conn, [article_id]).get(article_id)
            group = queries.get_group(conn, art.group_id) if art.group_id else None
            story = queries.get_story_row(conn, art.story_id) if art.story_id else None
            ctx = article_context(conn, article_id)
            binds = [
                (c, describe_correction(c), CORRECTION_KINDS[c.kind])
                for c in corrections_db.of_article(conn, article_id)
            ]
        member = (
            next((m for m in group.members if m.article_id == article_id), None) if group else None
        )
        return self.render(
            request,
            "article.html",
            art=art,
            paragraphs=[ln for ln in (text or "").splitlines() if ln.strip()],
            group=group,
            member=member,
            story=story,
            ctx=ctx,
            story_reasons=STORY_REASONS,
            corrections=binds,
        )

    def search(self, request: Request) -> Response:
        p = request.query_params
        form = {k: p.get(k, "") for k in ("q", "source", "since", "until")}
        page = _page(p.get("page"))
        error, hits, partial = None, [], None
        try:
            query = parse_query(check_query(form["q"]))
        except FilterError as exc:
            error, query = str(exc), parse_query("")
        if form["q"].strip() and query.empty and error is None:
            error = NOTHING_TO_SEARCH
        try:
            since, until = parse_when(form["since"]), parse_when(form["until"], end_of_day=True)
        except FilterError as exc:
            error, since, until = str(exc), None, None
        if not query.empty:
            with self.read() as conn:
                hits = search_db.search(
                    conn,
                    query,
                    limit=PAGE_SIZE + 1,
                    offset=page * PAGE_SIZE,
                    since=since,
                    until=until,
                    source=form["source"] or None,
                )
                indexed, total = search_db.coverage(conn)
                partial = (indexed, total) if indexed < total else None
        more = len(hits) > PAGE_SIZE
        return self.render(
            request,
            "search.html",
            form=form,
            error=error,
            results=[(h, snippet(h.text, query)) for h in hits[:PAGE_SIZE]],
            partial_index=partial,
            prev_link=_page_link(p, page - 1, "/search") if page > 0 else None,
            next_link=_page_link(p, page + 1, "/search") if more else None,
        )


def _search_link(q: str) -> str:
    return "/search?" + urlencode({"q": q})


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _page(value: str | None) -> int:
    """A page number from the address: 0 up to MAX_PAGE, whatever was typed."""
    return min(max(_int(value, 0), 0), MAX_PAGE)


def _page_link(params, page: int, path: str = "/") -> str:
    items = [(k, v) for k, v in params.multi_items() if k != "page"]
    if page:
        items.append(("page", str(page)))
    return path + ("?" + urlencode(items) if items else "")


def _excerpt(text: str | None, words: int) -> list[str]:
    """The first paragraphs of a text, about ``words`` long (counted as the stored word
    counts are: a Chinese paragraph is many words, not one)."""
    from mediawatch.text import word_count

    out, n = [], 0
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        out.append(line.strip())
        n += word_count(line)
        if n >= words:
            break
    return out


@dataclass(frozen=True)
class StoredDecision:
    """How the later of the two joined: its stored relation to the group's origin."""

    article_id: int
    relation: str
    reason: str
    scores: list[tuple[str, Any, Any]]  # (name, value, threshold)
    against_origin: bool  # the pair compared is the one that decided it


# verify(first, second) names the shorter text by its place in the call: "first", "second"
_SHORTER = re.compile(r"shorter \((first|second)\) text")
# the scores of one side each; the others are symmetric
_SWAPPED = {"tokens_a": "tokens_b", "tokens_b": "tokens_a"}


def _sided(reason: str, first: str, second: str) -> str:
    """A decision's words about "the first" and "the second" text, in the page's names."""
    return _SHORTER.sub(lambda m: f"shorter ({first if m[1] == 'first' else second}) text", reason)


def _stored_decision(a, b, origin_id: int) -> StoredDecision | None:
    """The decision stored for the later of the two, told in the page's order.

    The pipeline verified the member first, the origin second (mediawatch.match.groups);
    the page may show them the other way round (origin as A): the stored scores of each
    side and the reason's "first"/"second" are given as A and B then, as the decision
    computed now is, so the two cards read alike."""
    member = b if a.relation == "origin" else a if b.relation == "origin" else b
    if member.relation == "origin" or not member.decision:
        return None
    d = member.decision
    scores, thresholds = dict(d.get("scores", {})), d.get("thresholds", {})
    against_origin = "origin" in (a.relation, b.relation)
    names = {name: name for name, _ in DECISION_SCORES}
    if against_origin:
        first, second = ("A", "B") if member is a else ("B", "A")
        if member is b:  # stored as (B, A): each side's score goes to its page name
            scores = {_SWAPPED.get(k, k): v for k, v in scores.items()}
    else:  # the pair shown is not the one decided: name the two texts of the decision
        first, second = f"article {member.article_id}", f"origin, article {origin_id}"
        names |= {"tokens_a": f"tokens ({first})", "tokens_b": f"tokens ({second})"}
    rows = [
        (names[name], scores.get(name), thresholds.get(key) if key else None)
        for name, key in DECISION_SCORES
        if name in scores
    ]
    return StoredDecision(
        member.article_id,
        member.relation,
        _sided(str(d.get("reason", "")), first, second),
        rows,
        against_origin,
    )


def create_app(
    settings: Settings,
    *,
    wait: float | None = None,
    allowed_hosts: list[str] | None = None,
    edit: bool = False,
) -> Starlette:
    """The ASGI app. ``allowed_hosts`` guards a loopback server against DNS rebinding;
    ``edit`` adds the correction forms (mediawatch.web.edit_pages)."""
    inspector = Inspector(
        db=settings.db_path,
        wait=wait if wait is not None else min(settings.storage.reader_wait_seconds, UI_MAX_WAIT),
        env=_environment(),
        edit=edit_pages.new_token() if edit else None,
    )

    async def http_error(request: Request, exc: HTTPException) -> Response:
        title = {404: "Not found", 405: "Read-only: only GET", 403: "Refused"}.get(
            exc.status_code, "Error"
        )
        return inspector.render(
            request, "error.html", status=exc.status_code, title=title, message=exc.detail
        )

    async def busy(request: Request, exc: Exception) -> Response:
        response = inspector.render(
            request,
            "error.html",
            status=503,
            title="The database is busy",
            message=f"{exc} Reload the page in a moment.",
        )
        response.headers["Retry-After"] = "5"
        return response

    async def unavailable(request: Request, exc: Exception) -> Response:
        return inspector.render(
            request, "error.html", status=503, title="No database", message=str(exc)
        )

    async def damaged(request: Request, exc: Exception) -> Response:
        return inspector.render(
            request,
            "error.html",
            status=503,
            title="The database file is damaged",
            message=str(exc),
        )

    routes = [
        Route("/", inspector.stories, methods=["GET"]),
        Route("/story/{story_id:int}", inspector.story, methods=["GET"]),
        Route("/group/{group_id:int}", inspector.group, methods=["GET"]),
        Route("/article/{article_id:int}", inspector.article, methods=["GET"]),
        Route("/search", inspector.search, methods=["GET"]),
        *watch_pages.routes(inspector, settings),
        edit_pages.listing(inspector),
        *(edit_pages.routes(inspector, settings, inspector.edit) if inspector.edit else []),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *([] if inspector.edit else [edit_pages.read_only()]),  # last: every write refused
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders, referrer="same-origin" if edit else "no-referrer"),
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or ["*"]),
        ],
        exception_handlers={
            HTTPException: http_error,
            DatabaseBusy: busy,
            NoDatabase: unavailable,
            SchemaError: unavailable,
            DatabaseDamaged: damaged,
        },
    )
