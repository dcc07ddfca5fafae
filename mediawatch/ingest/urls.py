"""URL identity: one article reached through many URL variants must be stored once."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_AMP_PARAMS = {"amp", "outputtype", "output"}
_INDEX_PAGE = re.compile(r"/(index|default)\.(html?|php|aspx?)$", re.IGNORECASE)
_AMP_SUFFIX = re.compile(r"(/amp/?|\.amp)$", re.IGNORECASE)


def url_problem(url: str) -> str | None:
    """Why a web URL cannot be fetched (a port out of range, a broken IPv6 address, no
    host), or None. urllib raises ValueError for these only when the part is read, deep
    in a run; this says it where the URL comes in."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL", a bracketed host that is no address
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "not a web URL: give an http:// or https:// address"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return "its port must be a number from 1 to 65535"
    if not parts.hostname:
        return "it has no host"
    return None


def _unreadable(url: str) -> bool:
    """urllib cannot read the URL's parts (its port, a broken IPv6 address)."""
    try:
        _ = urlsplit(url).port
    except ValueError:
        return True
    return False


def canonical_url(url: str) -> str:
    """The URL to show and store: tracking parameters and the fragment removed.

    courlan drops the known tracking parameters (utm_*, fbclid, gclid, ...),
    lowercases the host and sorts the query; we also drop the fragment.
    """
    if not url.startswith(("http://", "https://")) or _unreadable(url):
        return url  # a URL that cannot be fetched is kept as given, never an error
    try:
        cleaned = normalize_url(url, strict=False)
    except ValueError:
        cleaned = url
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """The identity of a URL: equal for the usual variants of one page.

    http/https, www./m./amp. hosts, AMP paths, index pages and trailing slashes
    all name the same article, so they share a key.
    """
    if not url.startswith(("http://", "https://")) or _unreadable(url):
        return url
    parts = urlsplit(canonical_url(url))
    host = parts.hostname or ""
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = _AMP_SUFFIX.sub("", parts.path)
    path = _INDEX_PAGE.sub("/", path).rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in _AMP_PARAMS]
    return urlunsplit(("", host, path, urlencode(sorted(query)), "")).lstrip("/")


def host_of(url: str) -> str | None:
    """The host of a web URL without www., used as the default source name."""
    if not url.startswith(("http://", "https://")) or _unreadable(url):
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def site_of(url: str | None, canonical: str | None = None) -> str | None:
    """The site an article was published on: the host of its address, else of the address
    the page gives for itself (a saved page ingested from a folder); None for a text
    without a web address."""
    return host_of(url or "") or host_of(canonical or "")
