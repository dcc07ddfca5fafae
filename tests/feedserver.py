"""A real HTTP server on loopback for the feed tests: feeds, sitemaps, robots.txt, pages.

Routes are set per test; every request is logged (path, headers, arrival time) so a
test can check what was fetched, how often, with which headers and how far apart.
Also serves the bad cases: redirect loops, a server that never answers, a dropped
connection, a 20 MB body, 429/503 with Retry-After.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answer 304 to a matching If-None-Match
    last_modified: str | None = None  # answer 304 to a matching If-Modified-Since
    hang: bool = False  # read the request, never answer
    drop: bool = False  # close the connection without a response
    stream_bytes: int = 0  # send this many bytes without a Content-Length
    sleep: float = 0.0  # answer after this long (for concurrency checks)
    responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # first answers


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    at: float
    host: str


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[Request], Route]] = {}
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> Route:
        route = Route(body=body.encode("utf-8") if isinstance(body, str) else body, **kwargs)
        self.routes[path] = route
        return route

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def count(self, path: str) -> int:
        return len(self.hits(path))

    def close(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        request = Request(
            h.path,
            {k.lower(): v for k, v in h.headers.items()},
            time.monotonic(),
            h.headers.get("host", ""),
        )
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(h, request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, h: BaseHTTPRequestHandler, request: Request) -> None:
        route = self.routes.get(request.path) or self.routes.get(request.path.split("?")[0])
        if callable(route):
            route = route(request)
        if route is None:
            h.send_response(404)
            h.send_header("Content-Type", "text/plain")
            h.end_headers()
            h.wfile.write(b"not found")
            return
        if route.sleep:
            time.sleep(route.sleep)
        if route.hang:
            self._stop.wait(60)
            return
        if route.drop:
            h.close_connection = True
            h.connection.close()
            return
        if route.responses:
            status, headers = route.responses.pop(0)
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if (route.etag and request.headers.get("if-none-match") == route.etag) or (
            route.last_modified and request.headers.get("if-modified-since") == route.last_modified
        ):
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(route.status)
        if route.content_type:
            h.send_header("Content-Type", route.content_type)
        if route.etag:
            h.send_header("ETag", route.etag)
        if route.last_modified:
            h.send_header("Last-Modified", route.last_modified)
        for k, v in route.headers.items():
            h.send_header(k, v)
        if route.stream_bytes:
            h.end_headers()
            chunk = b"<p>" + b"x" * 65_530 + b"</p>"
            sent = 0
            while sent < route.stream_bytes:
                h.wfile.write(chunk)
                sent += len(chunk)
            return
        h.send_header("Content-Length", str(len(route.body)))
        h.end_headers()
        h.wfile.write(route.body)


# --- documents -----------------------------------------------------------------------------

ARTICLES: dict[str, tuple[str, list[str]]] = {
    "harbour": (
        "Harbourton opens its rebuilt ferry terminal",
        [
            "The rebuilt ferry terminal in Harbourton opened on Monday after two years of work, "
            "with room for four vessels and a covered waiting hall for six hundred passengers.",
            "Port director Amina Rask said the old pier had been closed since the storm of 2024 "
            "and that crossings to Fallowmere would now run every forty minutes in summer.",
            "Local traders welcomed the reopening, although some fishermen complained that the "
            "new breakwater leaves less space for small boats near the fish market.",
        ],
    ),
    "orchard": (
        "Cold spring halves the Marrow Valley apple harvest",
        [
            "Growers in the Marrow Valley expect to pick barely half of last year's apples after "
            "three nights of frost in April destroyed most of the early blossom.",
            "The cooperative in Dunmere has asked the regional government for emergency loans, "
            "saying that thirty family orchards could otherwise close before winter.",
            "Cider makers warned that prices for juice apples had already doubled at the autumn "
            "auctions and that imports would not make up the shortfall this year.",
        ],
    ),
    "library": (
        "Norvik library lends tools as well as books",
        [
            "The public library in Norvik has started lending drills, ladders and sewing "
            "machines to residents, a pilot the council will review after twelve months.",
            "Librarian Petra Holm said four hundred people had signed up in the first week and "
            "that the most popular item was a pressure washer booked until September.",
            "Volunteers from the repair cafe check every returned tool, and borrowers pay a "
            "small deposit that is refunded when the item comes back undamaged.",
        ],
    ),
    "marathon": (
        "Portmeade marathon moves to a flatter course",
        [
            "Organisers of the Portmeade marathon have moved next year's race to a flatter "
            "course along the river, dropping the climb over Castle Hill that runners dreaded.",
            "Race director Tomas Velde said the new route should suit first-time runners and "
            "could bring course records within reach of the elite field in October.",
            "Residents of the old town, where roads were closed for most of the race day, "
            "welcomed the change but shopkeepers on the hill fear losing customers.",
        ],
    ),
    "bridge": (
        "Inspectors close the Kesswater rail bridge",
        [
            "Rail inspectors closed the Kesswater bridge on Thursday after divers found cracks "
            "in two of its stone piers during a routine underwater survey.",
            "Replacement buses will run between Kesswater and Linton for at least six weeks, "
            "adding about thirty minutes to journeys for some eight thousand daily commuters.",
            "Engineers plan to reinforce the piers with steel collars before deciding whether "
            "the nineteenth century bridge needs a full rebuild in the coming years.",
        ],
    ),
    "festival": (
        "Dunmere folk festival sells out in a day",
        [
            "Tickets for the Dunmere folk festival sold out within a day of going on sale, "
            "the organisers said, with twelve thousand passes gone by Tuesday evening.",
            "This year's line-up includes fiddle bands from the northern islands and a choir "
            "of two hundred singers who will close the festival on the harbour steps.",
            "The town council has promised extra trains and a park-and-ride service after "
            "last year's traffic jams kept visitors queueing on the coast road for hours.",
        ],
    ),
    "school": (
        "Linton school trials a four-day week",
        [
            "A secondary school in Linton will trial a four-day teaching week from January, "
            "with longer lessons from Monday to Thursday and optional clubs on Fridays.",
            "Head teacher Oskar Brandt said the change aims to keep teachers, after the school "
            "lost eleven staff last year to better-paid jobs in the capital.",
            "Parents are divided: some welcome the extra family day, while working parents "
            "worry about childcare for the younger pupils on the free Fridays.",
        ],
    ),
}


def article_html(topic: str, title: str | None = None, extra: list[str] | None = None) -> str:
    """A news page: navigation, one article, a footer; real trafilatura extracts it."""
    head, paragraphs = ARTICLES[topic]
    body = "".join(f"<p>{p}</p>" for p in [*paragraphs, *(extra or [])])
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title or head} - Coast Courier</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<main><article><h1>{title or head}</h1>{body}</article></main>"
        "<footer>Coast Courier</footer></body></html>"
    )


def rss(items: list[dict[str, str]], title: str = "Coast Courier", extra: str = "") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{title}</title><link>http://coast.example/</link>{extra}",
    ]
    for item in items:
        out.append("<item>")
        for key, value in item.items():
            if key == "guid_plain":
                out.append(f'<guid isPermaLink="false">{value}</guid>')
            else:
                out.append(f"<{key}>{value}</{key}>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out)
