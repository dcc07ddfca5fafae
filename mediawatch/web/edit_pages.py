"""The inspector's corrections (`mediawatch ui --edit` only): story merge and split,
article move, group detach and attach, undo, as POST forms.

A write is taken only when
- the form carries this server's CSRF token (made at start, in every edit form;
  compared in constant time), and
- the request's Origin header names this server itself (a page from any other site,
  or a request without an Origin, is refused), and
- the Host is allowed (the app's TrustedHostMiddleware: loopback names for a loopback
  server, so a rebound DNS name cannot reach it).
Without --edit these routes do not exist: every POST is answered 405 (read-only).
Each correction runs in one transaction (mediawatch.corrections) on the writer
connection, which waits while a run stores a batch; the page that follows says what
was done. Analysts' notes are text like any other: escaped where shown.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediawatch import corrections
from mediawatch.config import Settings
from storage import corrections as corrections_db
from storage.connection import transaction, writer

if TYPE_CHECKING:
    from mediawatch.web.app import Inspector

MAX_FIELD = 2000  # characters kept of a note or a reason
MAX_BODY = 64_000


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin.rstrip("/") == own


async def _form(request: Request) -> dict[str, str]:
    """The posted fields (application/x-www-form-urlencoded, as the pages' forms send
    them; at most MAX_BODY bytes): the first value of each."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, "The form is too large.")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def _ids(text: str) -> list[int]:
    out = []
    for part in text.replace(",", " ").split():
        if not part.isdigit():
            raise corrections.CorrectionError(f"not an article number: {part[:40]!r}")
        out.append(int(part))
    return out


def _number(form, name: str) -> int:
    value = str(form.get(name, "")).strip()
    if not value.isdigit():
        raise corrections.CorrectionError(f"give a number for {name}")
    return int(value)


def listing(inspector: Inspector) -> Route:
    """The corrections page (read-only; with undo buttons in edit mode)."""

    def page(request: Request) -> Response:
        with inspector.read() as conn:
            rows = corrections_db.listing(conn, 200)
        return inspector.render(
            request,
            "corrections.html",
            rows=[(c, corrections.describe(c), corrections.KINDS[c.kind]) for c in rows],
        )

    return Route("/corrections", page, methods=["GET"])


def read_only() -> Route:
    """Without --edit: every write, to any address, is answered 405."""

    def refuse(request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            raise HTTPException(404)  # no page here, as without this route
        raise HTTPException(405, "This inspector is read-only: start it with --edit to correct.")

    return Route("/{path:path}", refuse)  # the last route: pages match first


def routes(inspector: Inspector, settings: Settings, token: str) -> list[Route]:
    """The POST routes, bound to this server's token."""

    async def guarded(request: Request):
        if not _same_origin(request):
            raise HTTPException(
                403, "Refused: the request does not come from this inspector's pages."
            )
        form = await _form(request)
        sent = str(form.get("csrf", ""))
        if not sent or not secrets.compare_digest(sent.encode(), token.encode()):
            raise HTTPException(
                403, "Refused: the form's token is missing or wrong; reload the page."
            )
        return form

    def run(request: Request, form, change) -> Response:
        who = corrections.Who.default(str(form.get("by", ""))[:100] or None, via="inspector")
        note = str(form.get("note", ""))[:MAX_FIELD] or None
        try:
            with writer(settings.db_path, wait=inspector.wait) as conn, transaction(conn):
                done = change(conn, who, note)
        except corrections.CorrectionError as exc:
            return inspector.render(
                request, "edit_done.html", status=409, done=None, message=str(exc)
            )
        return inspector.render(request, "edit_done.html", done=done, message=done.message)

    async def split(request: Request) -> Response:
        form = await guarded(request)
        sid = request.path_params["story_id"]
        return run(
            request,
            form,
            lambda c, who, note: corrections.split(
                c, sid, _ids(str(form.get("articles", ""))), who, note
            ),
        )

    async def merge(request: Request) -> Response:
        form = await guarded(request)
        sid = request.path_params["story_id"]
        return run(
            request,
            form,
            lambda c, who, note: corrections.merge(c, sid, _number(form, "story"), who, note),
        )

    async def move(request: Request) -> Response:
        form = await guarded(request)
        aid = request.path_params["article_id"]
        return run(
            request,
            form,
            lambda c, who, note: corrections.move(c, aid, _number(form, "story"), who, note),
        )

    async def detach(request: Request) -> Response:
        form = await guarded(request)
        aid = request.path_params["article_id"]
        return run(request, form, lambda c, who, note: corrections.detach(c, aid, who, note))

    async def attach(request: Request) -> Response:
        form = await guarded(request)
        aid = request.path_params["article_id"]
        force = str(form.get("force", ""))[:MAX_FIELD].strip() or None
        return run(
            request,
            form,
            lambda c, who, note: corrections.attach(
                c, aid, _number(form, "group"), who, note, force
            ),
        )

    async def undo(request: Request) -> Response:
        form = await guarded(request)
        n = request.path_params["n"]
        return run(request, form, lambda c, who, note: corrections.undo(c, n, who))

    return [
        Route("/edit/story/{story_id:int}/split", split, methods=["POST"]),
        Route("/edit/story/{story_id:int}/merge", merge, methods=["POST"]),
        Route("/edit/article/{article_id:int}/move", move, methods=["POST"]),
        Route("/edit/article/{article_id:int}/detach", detach, methods=["POST"]),
        Route("/edit/article/{article_id:int}/attach", attach, methods=["POST"]),
        Route("/edit/corrections/{n:int}/undo", undo, methods=["POST"]),
    ]
