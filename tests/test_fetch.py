"""The polite, safe HTTP client against a real server on loopback: robots.txt, delays,
allow-lists, private addresses, redirects, timeouts, size limits, retries."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pytest

from mediawatch.config import FeedSettings
from mediawatch.ingest.fetch import (
    Fetcher,
    FetchError,
    blocked_address,
    host_allowed,
    retry_after_seconds,
)
from mediawatch.ingest.robots import parse

from .feedserver import FeedServer, article_html

# Loopback tests need the private-address guard off; fast settings keep the suite quick.
FAST = FeedSettings(
    allow_private_hosts=True,
    per_host_delay_seconds=0.0,
    connect_timeout_seconds=2.0,
    read_timeout_seconds=1.0,
    total_timeout_seconds=2.0,
    retries=0,
    backoff_seconds=0.05,
)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


def fetch(settings: FeedSettings, url: str, **kwargs) -> object:
    """One GET through a fresh Fetcher; returns the Response or the FetchError."""

    async def go():
        async with Fetcher(settings) as f:
            try:
                return await f.get(url, **{"purpose": "page", **kwargs})
            except FetchError as exc:
                return exc

    return asyncio.run(go())


def fetch_all(settings: FeedSettings, urls: list[str]) -> list[object]:
    async def one(f: Fetcher, url: str):
        try:
            return await f.get(url, purpose="page")
        except FetchError as exc:
            return exc

    async def go():
        async with Fetcher(settings) as f:
            return await asyncio.gather(*(one(f, u) for u in urls))

    return asyncio.run(go())


# --- robots.txt rules (RFC 9309) -------------------------------------------------------------


def test_robots_rules_longest_match_wildcards_and_groups() -> None:
    text = """
    # comment
    User-agent: *
    Disallow: /

    User-agent: otherbot
    User-agent: mediawatch
    Disallow: /private/
    Allow: /private/open$
    Disallow: /*.pdf$
    Allow: /search
    Disallow: /search?q=*&secret
    Crawl-delay: 2.5
    """
    rules = parse(text, "mediawatch/0.1 (+https://example.org/contact)")
    assert rules.agent == "mediawatch" and rules.crawl_delay == 2.5
    assert not rules.check("https://x.example/private/a").allowed
    assert rules.check("https://x.example/private/open").allowed
    assert not rules.check("https://x.example/private/open/more").allowed  # '$' anchors
    assert not rules.check("https://x.example/docs/report.pdf").allowed
    assert rules.check("https://x.example/docs/report.pdf?page=2").allowed
    assert rules.check("https://x.example/search?q=1").allowed
    assert not rules.check("https://x.example/search?q=1&secret").allowed
    assert rules.check("https://x.example/news/1").allowed
    verdict = rules.check("https://x.example/private/a")
    assert verdict.reason == (
        "disallowed by robots.txt (Disallow: /private/ for user agent 'mediawatch')"
    )
    # Another agent falls back to '*', which disallows everything but robots.txt itself.
    star = parse(text, "somebot/1.0")
    assert star.agent == "*" and not star.check("https://x.example/news/1").allowed
    assert star.check("https://x.example/robots.txt").allowed
    # No group at all, or an empty Disallow: everything allowed.
    assert parse("", "mediawatch").check("https://x.example/a").allowed
    assert parse("User-agent: *\nDisallow:\n", "mediawatch").check("https://x.example/a").allowed


def test_equal_length_allow_wins_and_percent_encoding_is_compared_decoded() -> None:
    rules = parse("User-agent: *\nDisallow: /page\nAllow: /page\nDisallow: /a%3Cd\n", "mw")
    assert rules.check("https://x.example/page").allowed
    assert not rules.check("https://x.example/a<d").allowed


def test_address_and_host_checks() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                    "::1", "fe80::1", "fc00::1", "0.0.0.0", "100.64.0.1", "::ffff:127.0.0.1",
                    "224.0.0.1", "240.0.0.1"):  # fmt: skip
        assert blocked_address(address), address
    for address in ("93.184.216.34", "2606:4700:4700::1111", "8.8.8.8"):
        assert not blocked_address(address), address
    assert host_allowed("www.news.example", {"news.example"})
    assert host_allowed("feeds.news.example", {"news.example"})
    assert not host_allowed("news.example.evil", {"news.example"})
    assert not host_allowed("othernews.example", {"news.example"})
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert retry_after_seconds("soon") is None


# --- robots.txt over HTTP --------------------------------------------------------------------


def test_robots_disallow_is_never_fetched_and_names_the_rule(server: FeedServer) -> None:
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.add("/private/a.html", article_html("harbour"))
    server.add("/public/a.html", article_html("harbour"))
    refused = fetch(FAST, server.url("/private/a.html"))
    assert isinstance(refused, FetchError)
    assert (refused.stage, refused.kind) == ("robots", "refused")
    assert "Disallow: /private/" in refused.reason
    assert server.count("/private/a.html") == 0
    ok = fetch(FAST, server.url("/public/a.html"))
    assert not isinstance(ok, FetchError) and ok.status == 200
    # The user agent is ours, on robots.txt and page requests alike.
    assert {r.headers["user-agent"] for r in server.requests} == {FAST.user_agent}


def test_crawl_delay_and_per_host_delay_space_the_requests(server: FeedServer) -> None:
    """Request starts are spaced by the client, so the run lasts at least the gaps.

    Measured around the client's calls, not between the server's arrival times: a
    request can reach a busy server late, making its gap to the next one look short."""
    server.add(
        "/robots.txt", "User-agent: mediawatch\nCrawl-delay: 0.3\n", content_type="text/plain"
    )
    paths = [f"/p{i}.html" for i in range(3)]
    for p in paths:
        server.add(p, article_html("harbour"))
    began = time.monotonic()
    results = fetch_all(
        dataclasses.replace(FAST, per_host_concurrency=3), [server.url(p) for p in paths]
    )
    assert time.monotonic() - began >= 2 * 0.3  # the third starts two delays after the first
    assert all(not isinstance(r, FetchError) for r in results)
    assert sorted(r.path for r in server.requests if r.path in paths) == paths  # once each
    # Without a Crawl-delay the configured per-host delay applies.
    other = FeedServer()
    try:
        for p in paths:
            other.add(p, article_html("orchard"))
        began = time.monotonic()
        fetch_all(
            dataclasses.replace(FAST, per_host_delay_seconds=0.2), [other.url(p) for p in paths]
        )
        assert time.monotonic() - began >= 2 * 0.2
    finally:
        other.close()


def test_per_host_concurrency_is_limited(server: FeedServer) -> None:
    paths = [f"/slow{i}.html" for i in range(6)]
    for p in paths:
        server.add(p, article_html("library"), sleep=0.2)
    settings = dataclasses.replace(FAST, per_host_concurrency=2, max_connections=10)
    results = fetch_all(settings, [server.url(p) for p in paths])
    assert all(not isinstance(r, FetchError) for r in results)
    assert server.max_in_flight == 2  # two at once, never more


@pytest.mark.parametrize(
    ("route", "allowed", "reason"),
    [
        ({"status": 404, "body": "nope"}, True, None),
        ({"status": 410, "body": "gone"}, True, None),
        ({"status": 503, "body": "down"}, False, "robots.txt of 127.0.0.1 unreachable (HTTP 503"),
        ({"status": 500, "body": "oops"}, False, "unreachable (HTTP 500 Internal Server Error"),
        ({"drop": True}, False, "unreachable (connection failed"),
    ],
)
def test_robots_status_conventions(server: FeedServer, route, allowed, reason) -> None:
    """4xx: everything allowed; 5xx or unreachable: everything disallowed, temporarily."""
    server.add("/robots.txt", **route)
    server.add("/a.html", article_html("harbour"))
    result = fetch(FAST, server.url("/a.html"))
    if allowed:
        assert not isinstance(result, FetchError) and result.status == 200
    else:
        assert isinstance(result, FetchError) and result.stage == "robots"
        assert result.kind == "transient"  # tried again next run
        assert reason in result.reason and "treated as disallowed" in result.reason
        assert server.count("/a.html") == 0


def test_a_host_that_cannot_be_reached_is_reported_as_such_not_as_robots(
    server: FeedServer,
) -> None:
    """A name without an address (DNS) or a port nobody listens on: the host is
    unreachable, whatever the path; robots.txt is not the culprit."""
    server.add("/away", status=302, headers={"Location": "http://nosuch.invalid/a.html"})
    closed = FeedServer()  # a port that answered once and listens no more
    closed.close()
    for url, reason in (
        ("http://nosuch.invalid/a.html", "cannot resolve host nosuch.invalid (DNS: "),
        (server.url("/away"), "cannot resolve host nosuch.invalid (DNS: "),
        (closed.url("/a.html"), "connection to 127.0.0.1 failed ("),
    ):
        result = fetch(FAST, url)
        assert isinstance(result, FetchError), url
        assert result.stage == "fetch" and result.kind == "transient", result.reason
        assert result.reason.startswith(reason) and "robots" not in result.reason
    assert server.count("/away") == 1
    # the next URL on that host in the same run fails the same way, without asking again
    results = fetch_all(FAST, ["http://nosuch.invalid/a.html", "http://nosuch.invalid/b.html"])
    assert [r.reason.split(" (")[0] for r in results] == ["cannot resolve host nosuch.invalid"] * 2


def test_robots_is_fetched_once_per_host_and_run(server: FeedServer) -> None:
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    paths = [f"/r{i}.html" for i in range(4)]
    for p in paths:
        server.add(p, article_html("bridge"))
    fetch_all(FAST, [server.url(p) for p in paths])
    assert server.count("/robots.txt") == 1


# --- safety ----------------------------------------------------------------------------------


def test_private_addresses_are_refused_before_any_request(server: FeedServer) -> None:
    server.add("/a.html", article_html("harbour"))
    strict = dataclasses.replace(FAST, allow_private_hosts=False)
    for host in ("127.0.0.1", "localhost"):  # a literal address, and a name resolved first
        result = fetch(strict, server.url("/a.html", host=host))
        assert isinstance(result, FetchError), host
        assert result.kind == "refused" and result.stage == "fetch"
        assert "private, loopback, link-local or reserved address (127.0.0.1)" in result.reason
        assert "--allow-private-hosts" in result.reason
    assert server.requests == []  # not even robots.txt was asked for
    assert fetch(FAST, server.url("/a.html")).status == 200


def test_hosts_outside_the_allow_list_are_refused_also_after_a_redirect(
    server: FeedServer,
) -> None:
    server.add("/a.html", article_html("harbour"))
    server.add("/away", status=302, headers={"Location": server.url("/a.html", host="localhost")})
    own = f"127.0.0.1:{server.port}"
    direct = fetch(FAST, server.url("/a.html", host="localhost"), allowed={own})
    assert isinstance(direct, FetchError) and "host localhost is not allowed" in direct.reason
    hop = fetch(FAST, server.url("/away"), allowed={own})
    assert isinstance(hop, FetchError) and "host localhost is not allowed" in hop.reason
    assert not any(r.host.startswith("localhost") for r in server.requests)
    ok = fetch(FAST, server.url("/away"), allowed={own, f"localhost:{server.port}"})
    assert ok.status == 200 and ok.url == server.url("/a.html", host="localhost")
    assert ok.redirects == (server.url("/a.html", host="localhost"),)


def test_another_port_of_an_allowed_host_is_refused_unless_listed(server: FeedServer) -> None:
    """An allowed host is allowed on the web ports and the ports listed with it: a
    redirect to another port of it (an admin page, a database) is not followed."""
    other = FeedServer()  # the same host, another port
    try:
        other.add("/admin", article_html("orchard"))
        server.add("/away", status=302, headers={"Location": other.url("/admin")})
        own = f"127.0.0.1:{server.port}"
        for allowed in ({own}, {own, "127.0.0.1"}):  # a bare host: ports 80 and 443 only
            hop = fetch(FAST, server.url("/away"), allowed=allowed)
            assert isinstance(hop, FetchError) and hop.kind == "refused"
            assert f"port {other.port} of 127.0.0.1 is not allowed" in hop.reason
            assert f'"127.0.0.1:{other.port}"' in hop.reason  # what to add to allow it
        assert other.requests == []
        ok = fetch(FAST, server.url("/away"), allowed={own, f"127.0.0.1:{other.port}"})
        assert ok.status == 200 and ok.url == other.url("/admin")
    finally:
        other.close()
    assert host_allowed("news.example", {"news.example"}, 443)
    assert host_allowed("cdn.news.example", {"news.example"}, 80)
    assert not host_allowed("news.example", {"news.example"}, 8080)
    assert host_allowed("news.example", {"news.example:8080"}, 8080)
    assert not host_allowed("news.example", {"news.example:8080"}, 443)
    assert host_allowed("::1", {"[::1]:8080"}, 8080)


# --- robustness ------------------------------------------------------------------------------


def test_redirect_loops_and_long_chains_end_with_a_reason(server: FeedServer) -> None:
    server.add("/loop1", status=302, headers={"Location": "/loop2"})
    server.add("/loop2", status=301, headers={"Location": "/loop1"})
    loop = fetch(FAST, server.url("/loop1"))
    assert isinstance(loop, FetchError) and loop.reason.startswith("redirect loop: ")
    for i in range(8):
        server.add(f"/hop{i}", status=307, headers={"Location": f"/hop{i + 1}"})
    chain = fetch(dataclasses.replace(FAST, max_redirects=3), server.url("/hop0"))
    assert isinstance(chain, FetchError)
    assert chain.reason.startswith("too many redirects (more than 3)")
    assert server.count("/hop4") == 0


def test_a_server_that_never_answers_times_out(server: FeedServer) -> None:
    server.add("/hang", hang=True)
    result = fetch(dataclasses.replace(FAST, read_timeout_seconds=1.0), server.url("/hang"))
    assert isinstance(result, FetchError) and result.kind == "transient"
    assert result.reason.startswith(("timed out", "no complete response within"))


def test_bodies_over_the_limit_are_refused(server: FeedServer) -> None:
    twenty_mb = 20 * 1024 * 1024
    server.add("/streamed", stream_bytes=twenty_mb)  # no Content-Length: counted while read
    server.add("/declared", b"x" * twenty_mb)  # Content-Length says it up front
    default = dataclasses.replace(FAST, max_body_bytes=FeedSettings().max_body_bytes)
    for path in ("/streamed", "/declared"):
        result = fetch(default, server.url(path))
        assert isinstance(result, FetchError), path
        assert "over the limit of 10,000,000" in result.reason and result.kind == "permanent"


def test_content_types_are_checked(server: FeedServer) -> None:
    server.add("/report.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    server.add("/image", b"\x89PNG", content_type="image/png")
    page = fetch(FAST, server.url("/report.pdf"))
    assert isinstance(page, FetchError) and page.reason == (
        "not an HTML page (content type application/pdf)"
    )
    feed = fetch(FAST, server.url("/image"), purpose="feed")
    assert isinstance(feed, FetchError) and "not a feed or sitemap (content type image/png)" in (
        feed.reason
    )


def test_transient_errors_are_retried_with_backoff(server: FeedServer) -> None:
    route = server.add("/flaky", article_html("school"))
    route.responses = [(500, {}), (502, {})]
    result = fetch(dataclasses.replace(FAST, retries=2), server.url("/flaky"))
    assert not isinstance(result, FetchError) and result.status == 200
    times = [r.at for r in server.hits("/flaky")]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1  # 0.05 s, then twice that
    route.responses = [(503, {})] * 3
    failed = fetch(dataclasses.replace(FAST, retries=1), server.url("/flaky"))
    assert isinstance(failed, FetchError) and failed.kind == "transient"
    assert failed.reason == "HTTP 503 Service Unavailable (gave up after 2 attempts)"
    gone = fetch(dataclasses.replace(FAST, retries=2), server.url("/missing"))
    assert isinstance(gone, FetchError) and gone.reason == "HTTP 404 Not Found"
    assert server.count("/missing") == 1  # a 4xx is not retried


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(server: FeedServer, status: int) -> None:
    route = server.add("/busy", article_html("festival"))
    route.responses = [(status, {"Retry-After": "1"})]
    result = fetch(dataclasses.replace(FAST, retries=1), server.url("/busy"))
    assert not isinstance(result, FetchError) and result.status == 200
    first, second = (r.at for r in server.hits("/busy"))
    assert second - first >= 0.95
    route.responses = [(status, {"Retry-After": "3600"})]
    refused = fetch(dataclasses.replace(FAST, retries=3), server.url("/busy"))
    assert isinstance(refused, FetchError) and refused.kind == "transient"
    assert "Retry-After 3600 s: over feeds.max_retry_after_seconds" in refused.reason
    assert server.count("/busy") == 3  # asked once more, then left for the next run
