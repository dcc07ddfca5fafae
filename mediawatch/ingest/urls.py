"""URL identity: one article reached through many URL variants must be stored once."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_AMP_PARAMS = {"amp", "outputtype", "output"}
_INDEX_PAGE = re.compile(r"/(index|default)\.(html?|php|aspx?)$", re.IGNORECASE)
_AMP_SUFFIX = re.compile(r"(/amp/?|\.amp)$", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """The URL to show and store: tracking parameters and the fragment removed.

    courlan drops the known tracking parameters (utm_*, fbclid, gclid, ...),
    lowercases the host and sorts the query; we also drop the fragment.
    """
    if not url.startswith(("http://", "https://")):
        return url
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
    if not url.startswith(("http://", "https://")):
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
    if not url.startswith(("http://", "https://")):
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None
