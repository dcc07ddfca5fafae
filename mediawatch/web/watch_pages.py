"""The inspector's watchlist pages: every watchlist with its recent hits, and one
watchlist's hits. Read-only, like every page: lists are changed from the command line
or the settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediawatch.config import Settings
from mediawatch.watch.lists import overview
from mediawatch.watch.render import KINDS, describe
from storage import watch as watch_db

if TYPE_CHECKING:
    from mediawatch.web.app import Inspector

RECENT = 50  # hits on the overview
PER_LIST = 200  # hits on a watchlist's page


def routes(inspector: Inspector, settings: Settings) -> list[Route]:
    """The two pages, bound to the inspector (its read-only connections and templates)."""

    def all_lists(request: Request) -> Response:
        with inspector.read() as conn:
            lists = overview(settings.watch.lists, conn, _now())
            recent = watch_db.list_hits(conn, limit=RECENT)
        return inspector.render(
            request, "watchlists.html", lists=lists, recent=recent, describe=describe, kinds=KINDS
        )

    def one(request: Request) -> Response:
        name = request.path_params["name"]
        with inspector.read() as conn:
            found = [x for x in overview(settings.watch.lists, conn, _now()) if x[1].name == name]
            if not found:
                raise HTTPException(404, "There is no watchlist of that name.")
            row, wl, note = found[0]
            hits = watch_db.list_hits(conn, row.watchlist_id, limit=PER_LIST) if row else []
            total = row.hits if row else 0
        return inspector.render(
            request,
            "watchlist.html",
            wl=wl,
            note=note,
            hits=hits,
            total=total,
            describe=describe,
            kinds=KINDS,
        )

    return [
        Route("/watch", all_lists, methods=["GET"]),
        Route("/watch/{name:str}", one, methods=["GET"]),
    ]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
