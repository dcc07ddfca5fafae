"""Polite and safe HTTP for feeds, sitemaps and article pages.

Every request goes through the same checks, on every redirect hop:
- only http(s), and only hosts the feed allows (its own host, and listed ones);
- robots.txt of the origin (RFC 9309), fetched once per run with our user agent:
  4xx means everything is allowed, 5xx or an unreachable server means nothing is;
  a Crawl-delay longer than the per-host delay wins;
- no private, loopback, link-local or reserved address unless allowed: the host is
  resolved, every address checked, and the connection goes to an address that was
  checked (``GuardedBackend``), so a DNS answer cannot change between check and use;
- per host at most ``per_host_concurrency`` requests at once and
  ``per_host_delay_seconds`` between request starts; 429/503 ``Retry-After`` is
  honoured (and holds the host for everyone), transient errors are retried with
  exponential backoff;
- connect/read/total timeouts, a bounded number of redirects, a body size limit
  (counted after decompression) and a content-type check.

A refusal or failure is a ``FetchError`` with a reason a person can act on; the
caller records it and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Collection, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import anyio
import certifi
import httpcore
import httpx

from mediawatch.config import FeedSettings
from mediawatch.ingest.deadline import Deadlines
from mediawatch.ingest.robots import MAX_ROBOTS_BYTES, RobotsRules, parse

Purpose = Literal["feed", "page", "robots"]
T = TypeVar("T")

REDIRECTS = (301, 302, 303, 307, 308)
PAGE_TYPES = ("text/html", "application/xhtml+xml")
# Types a feed or sitemap may come as; text/html passes so that the parser can say
# plainly that an HTML page is not a feed.
FEED_TYPE_HINTS = ("xml", "json", "rss", "atom", "gzip", "text/plain", "text/html")


class FetchError(Exception):
    """Why a URL was not fetched. ``kind``: transient (try again next run), permanent
    (the server said no, or sent something unusable), refused (our own rules)."""

    def __init__(
        self,
        reason: str,
        *,
        stage: str = "fetch",
        kind: Literal["transient", "permanent", "refused"] = "permanent",
        status: int | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage = stage
        self.kind = kind
        self.status = status
        self.unreachable = unreachable  # no connection to the host at all (DNS, refused, TLS)

    @property
    def transient(self) -> bool:
        return self.kind == "transient"


class HostUnresolved(Exception):
    """The host name has no address (DNS): the host is unreachable, whatever the path."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"cannot resolve host {host}: {detail}")
        self.host = host
        self.detail = detail


class AddressRefused(Exception):
    """The host resolved to an address we may not connect to."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}")
        self.host, self.address = host, address


def blocked_address(address: str) -> bool:
    """Private, loopback, link-local, reserved, multicast or unspecified: not the public web."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses blocked addresses, connects to a checked one.

    TLS still verifies the certificate against the host name (httpcore passes the
    origin host as server name), so connecting by address loses nothing.
    """

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise HostUnresolved(host, exc.strerror or str(exc)) from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self.allow_private:
            for address in addresses:
                if blocked_address(address):
                    raise AddressRefused(host, address)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded network backend and no proxies.

    httpx does not take a network backend, so the connection pool is replaced after
    construction (``_pool`` is the one attribute httpx's transport uses for it). No
    proxies: a proxy would make the connection checks meaningless.
    """

    def __init__(self, allow_private: bool, max_connections: int) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private),
        )


@dataclass
class HostGate:
    """Per-host politeness: a concurrency limit and a least delay between request starts."""

    concurrency: int
    delay: float
    next_at: float = 0.0  # loop time before which no request may start
    _sem: asyncio.Semaphore | None = None
    _lock: asyncio.Lock | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._sem is None or self._lock is None:
            self._sem, self._lock = asyncio.Semaphore(self.concurrency), asyncio.Lock()
        async with self._sem:
            async with self._lock:
                loop = asyncio.get_running_loop()
                wait = self.next_at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.next_at = loop.time() + self.delay
            yield

    def hold(self, seconds: float) -> None:
        """The server asked for a pause (Retry-After): nobody starts a request before it ends."""
        self.next_at = max(self.next_at, asyncio.get_running_loop().time() + seconds)

    def waiting(self) -> float:
        return self.next_at - asyncio.get_running_loop().time()


@dataclass(frozen=True)
class Response:
    """A complete response: 2xx with its body, or 304 without."""

    url: str  # the final URL, after redirects
    requested_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str  # media type, lowercase, without parameters ("" when not given)
    charset: str | None
    redirects: tuple[str, ...] = field(default_factory=tuple)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{_host(url)}:{port}"


WEB_PORTS = frozenset({80, 443})  # what an allowed_hosts entry without a port allows


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def host_entry(url: str) -> str:
    """The allowed_hosts entry for a URL's own host and port: ``host:port``."""
    host = _host(url)
    return f"[{host}]:{_port(url)}" if ":" in host else f"{host}:{_port(url)}"


def _split_entry(entry: str) -> tuple[str, int | None]:
    """``news.example`` -> (news.example, None); ``news.example:8080`` and
    ``[::1]:8080`` -> (host, 8080)."""
    entry = entry.lower().strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, ""
    host = host.removeprefix("www.").rstrip(".")
    return host, int(port) if port.isdigit() else None


def host_allowed(host: str, allowed: Collection[str], port: int | None = None) -> bool:
    """The host, or a subdomain of it, is listed (``www.`` ignored on both sides). With
    ``port``: an entry without a port allows the web ports 80 and 443 only, and
    ``host:port`` that port only, so a redirect to another port of an allowed host
    (an admin interface, a database) is refused."""
    host = host.lower().removeprefix("www.").strip("[]")
    for entry in allowed:
        name, entry_port = _split_entry(entry)
        if not name or not (host == name or host.endswith("." + name)):
            continue
        if port is None or port == entry_port or (entry_port is None and port in WEB_PORTS):
            return True
    return False


def _content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    media, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now if now is not None else time.time()
    return max(0.0, when.timestamp() - now)


def _phrase(status: int) -> str:
    try:
        from http import HTTPStatus

        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


class Fetcher:
    """One run's HTTP client: connections, robots.txt and host gates are shared by all feeds."""

    def __init__(self, settings: FeedSettings) -> None:
        self.settings = settings
        self.gates: dict[str, HostGate] = {}
        self.robots: dict[str, asyncio.Future[RobotsRules]] = {}
        self.requests = 0  # requests sent, for the run summary
        self._client: httpx.AsyncClient | None = None
        self._all: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Fetcher:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def open(self) -> None:
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(s.allow_private_hosts, s.max_connections),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(
                connect=s.connect_timeout_seconds,
                read=s.read_timeout_seconds,
                write=s.read_timeout_seconds,
                pool=s.total_timeout_seconds,
            ),
            follow_redirects=False,
            trust_env=False,
        )
        self._all = asyncio.Semaphore(s.max_connections)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- the public call --------------------------------------------------------------

    async def get(
        self,
        url: str,
        *,
        purpose: Purpose,
        allowed: Collection[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET with every check; follows redirects (bounded), checking each hop again.

        ``allowed`` lists the hosts this request may reach (None: any host, as for
        robots.txt). Raises FetchError.
        """
        chain = [url]
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self._check_url(current, allowed)
            if purpose != "robots":
                await self._check_robots(current)
            response = await self._attempts(current, headers or {})
            if response.status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{_phrase(response.status)} without a Location header")
                target = urljoin(current, location.strip())
                if target in chain:
                    raise FetchError(f"redirect loop: {' -> '.join([*chain, target])}")
                chain.append(target)
                current = target
                continue
            if response.status != 304 and not 200 <= response.status < 300:
                raise FetchError(_phrase(response.status), status=response.status)
            return self._finish(response, url, purpose, tuple(chain[1:]))
        raise FetchError(
            f"too many redirects (more than {self.settings.max_redirects}): "
            + " -> ".join(chain[:4] + (["..."] if len(chain) > 4 else []))
        )

    async def post_json(
        self, url: str, body: bytes, *, allowed: Collection[str], headers: dict[str, str]
    ) -> int:
        """POST a JSON body (a watchlist's webhook) under the rules every GET follows: an
        allowed host, no private address unless allowed, timeouts, retries for transient
        trouble. Redirects are not followed (a webhook answers where it was configured).
        Returns the status; raises FetchError."""
        self._check_url(url, allowed)
        raw = await self._attempts(url, headers, method="POST", content=body)
        if raw.status in REDIRECTS:
            raise FetchError(
                f"{_phrase(raw.status)} to {raw.headers.get('location', '?')}: webhooks are not "
                "redirected; configure the final URL"
            )
        return raw.status

    # -- checks ----------------------------------------------------------------------

    def _check_url(self, url: str, allowed: Collection[str] | None) -> None:
        try:
            parts = urlsplit(url)
            _ = parts.port  # urllib reads the port only when asked
        except ValueError:  # a port out of range, a broken IPv6 address: refused, not raised
            from mediawatch.ingest.urls import url_problem

            raise FetchError(f"cannot fetch {url}: {url_problem(url)}", kind="refused") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not a web URL: {url}", kind="refused")
        host = _host(url)
        if allowed is not None and not host_allowed(host, allowed, _port(url)):
            if host_allowed(host, allowed):
                entry = host_entry(url)
                raise FetchError(
                    f"port {_port(url)} of {host} is not allowed for this feed (add "
                    f'"{entry}" to the feed\'s allowed_hosts)',
                    kind="refused",
                )
            raise FetchError(
                f"host {host} is not allowed for this feed (add it to the feed's allowed_hosts)",
                kind="refused",
            )
        if not self.settings.allow_private_hosts:
            with contextlib.suppress(ValueError):
                ipaddress.ip_address(host.strip("[]"))
                if blocked_address(host.strip("[]")):
                    raise FetchError(self._refusal(host, host.strip("[]")), kind="refused")

    @staticmethod
    def _refusal(host: str, address: str) -> str:
        return (
            f"refused: {host} is a private, loopback, link-local or reserved address "
            f"({address}); set feeds.allow_private_hosts or --allow-private-hosts for local setups"
        )

    async def _check_robots(self, url: str) -> None:
        rules = await self.rules_for(url)
        if rules.refusal:
            raise FetchError(rules.refusal, kind="refused")
        if rules.unreachable:
            raise FetchError(rules.unreachable, kind="transient", unreachable=True)
        verdict = rules.check(url)
        if not verdict.allowed:
            kind = "transient" if rules.temporary else "refused"
            raise FetchError(verdict.reason, stage="robots", kind=kind)
        delay = rules.crawl_delay or 0.0
        if delay > self.settings.max_crawl_delay_seconds:
            raise FetchError(
                f"robots.txt asks for a Crawl-delay of {delay:g} s, over "
                f"feeds.max_crawl_delay_seconds ({self.settings.max_crawl_delay_seconds:g} s): "
                "host skipped",
                stage="robots",
                kind="refused",
            )

    async def rules_for(self, url: str) -> RobotsRules:
        """robots.txt of the URL's origin, fetched once per run (concurrent callers wait)."""
        origin = _origin(url)
        if origin not in self.robots:
            self.robots[origin] = asyncio.ensure_future(self._load_robots(url, origin))
        return await asyncio.shield(self.robots[origin])

    async def _load_robots(self, url: str, origin: str) -> RobotsRules:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        host = _host(url)
        try:
            response = await self.get(robots_url, purpose="robots")
        except FetchError as exc:
            if exc.kind == "refused":
                return RobotsRules(refusal=exc.reason)
            if exc.unreachable:
                # the host itself, not its robots.txt: every URL on it fails the same way
                return RobotsRules(unreachable=exc.reason)
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return RobotsRules.allowing_all(f"robots.txt: {_phrase(exc.status)}")
            return RobotsRules.disallowing_all(
                f"robots.txt of {host} unreachable ({exc.reason}): everything on the host "
                "is treated as disallowed for this run (RFC 9309)",
                temporary=True,
            )
        text = response.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        rules = parse(text, self.settings.user_agent)
        if rules.crawl_delay:
            gate = self._gate(url)
            gate.delay = max(gate.delay, rules.crawl_delay)
        return rules

    # -- sending ---------------------------------------------------------------------

    def _gate(self, url: str) -> HostGate:
        key = _host(url)  # per host: http and https, any port, are one server to be polite to
        if key not in self.gates:
            self.gates[key] = HostGate(
                max(1, self.settings.per_host_concurrency), self.settings.per_host_delay_seconds
            )
        return self.gates[key]

    async def _attempts(
        self, url: str, headers: dict[str, str], method: str = "GET", content: bytes | None = None
    ) -> _Raw:
        """One URL, with retries for transient trouble."""
        s = self.settings
        gate = self._gate(url)
        attempt = 0
        while True:
            if gate.waiting() > s.max_retry_after_seconds:
                raise FetchError(
                    f"{_host(url)} asked us to wait {gate.waiting():.0f} s (Retry-After), "
                    f"over feeds.max_retry_after_seconds: left for the next run",
                    kind="transient",
                )
            error: FetchError
            try:
                assert self._all is not None
                # The host's slot first: requests queued for one slow host must not
                # hold the connections other hosts could use.
                async with gate.slot(), self._all:
                    raw = await self._send(url, headers, method, content)
            except AddressRefused as exc:
                raise FetchError(self._refusal(exc.host, exc.address), kind="refused") from None
            except FetchError:
                raise
            except HostUnresolved as exc:
                error = FetchError(
                    f"cannot resolve host {exc.host} (DNS: {exc.detail})",
                    kind="transient",
                    unreachable=True,
                )
            except TimeoutError:
                error = FetchError(
                    f"no complete response within {s.total_timeout_seconds:g} s", kind="transient"
                )
            except httpx.TimeoutException as exc:
                what = type(exc).__name__.replace("Timeout", "").lower() or "request"
                limit = s.connect_timeout_seconds if what == "connect" else s.read_timeout_seconds
                error = FetchError(f"timed out ({what} timeout, {limit:g} s)", kind="transient")
            except httpx.ConnectError as exc:
                error = FetchError(
                    f"connection to {_host(url)} failed ({exc})", kind="transient", unreachable=True
                )
            except httpx.HTTPError as exc:
                error = FetchError(
                    f"connection failed ({type(exc).__name__}: {exc})", kind="transient"
                )
            else:
                if raw.status in (429, 503) and raw.retry_after is not None:
                    gate.hold(raw.retry_after)
                    if raw.retry_after > s.max_retry_after_seconds or attempt >= s.retries:
                        raise FetchError(
                            f"{_phrase(raw.status)}, Retry-After {raw.retry_after:.0f} s"
                            + (
                                ": over feeds.max_retry_after_seconds, left for the next run"
                                if raw.retry_after > s.max_retry_after_seconds
                                else f" (gave up after {attempt + 1} attempts)"
                            ),
                            kind="transient",
                            status=raw.status,
                        )
                    attempt += 1
                    continue
                if raw.status >= 500 or raw.status == 429:
                    error = FetchError(_phrase(raw.status), kind="transient", status=raw.status)
                elif raw.status >= 400:
                    raise FetchError(_phrase(raw.status), status=raw.status)
                else:
                    return raw
            if attempt >= s.retries:
                if attempt:
                    error.reason += f" (gave up after {attempt + 1} attempts)"
                    error.args = (error.reason,)
                raise error
            await asyncio.sleep(s.backoff_seconds * 2**attempt)
            attempt += 1

    async def _send(
        self, url: str, headers: dict[str, str], method: str = "GET", content: bytes | None = None
    ) -> _Raw:
        """One request; the body is read here, within the total time and size limits."""
        assert self._client is not None
        limit = self.settings.max_body_bytes
        async with asyncio.timeout(self.settings.total_timeout_seconds):
            request = self._client.build_request(method, url, headers=headers, content=content)
            self.requests += 1
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code in REDIRECTS or response.status_code >= 300:
                    return _Raw.of(response, b"")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(
                        f"response of {int(declared):,} bytes is over the limit of {limit:,} "
                        "(feeds.max_body_bytes)"
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(
                            f"response is over the limit of {limit:,} bytes (feeds.max_body_bytes)"
                        )
                    chunks.append(chunk)
                return _Raw.of(response, b"".join(chunks))
            finally:
                await response.aclose()

    def _finish(
        self, raw: _Raw, requested: str, purpose: Purpose, redirects: tuple[str, ...]
    ) -> Response:
        media, charset = raw.media, raw.charset
        if raw.status == 304 or purpose == "robots":
            pass
        elif purpose == "page":
            if media and media not in PAGE_TYPES:
                raise FetchError(f"not an HTML page (content type {media})")
        elif (
            media
            and media != "application/octet-stream"
            and not any(hint in media for hint in FEED_TYPE_HINTS)
        ):
            raise FetchError(f"not a feed or sitemap (content type {media})")
        return Response(
            url=raw.url,
            requested_url=requested,
            status=raw.status,
            headers=raw.headers,
            body=raw.body,
            content_type=media,
            charset=charset,
            redirects=redirects,
        )


@dataclass(frozen=True)
class _Raw:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    media: str
    charset: str | None
    retry_after: float | None

    @classmethod
    def of(cls, response: httpx.Response, body: bytes) -> _Raw:
        media, charset = _content_type(response.headers)
        return cls(
            url=str(response.url),
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            media=media,
            charset=charset,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )


class FetchSession:
    """A Fetcher on its own event-loop thread, for synchronous callers (the flow's tasks).

    One session lasts a whole run, so robots.txt, host delays and open connections
    carry over from the feeds to their pages and from batch to batch.
    """

    def __init__(self, settings: FeedSettings) -> None:
        self.fetcher = Fetcher(settings)
        # the run's and each feed's time for pages (mediawatch.ingest.deadline)
        self.deadlines = Deadlines(settings.feed_deadline_seconds, settings.run_deadline_seconds)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="mediawatch-fetch", daemon=True
        )
        self._thread.start()
        self.run(self.fetcher.open())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self.run(self.fetcher.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def __enter__(self) -> FetchSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
