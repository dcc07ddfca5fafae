"""Source names and titles as a reader wants them: a page's site name can be template
junk (``{$plugin.tx_news.opengraph.site_name}``) or a URL (its Facebook page), and many
titles end in the site's name ("Fire destroys warehouses | Foxy Folksy")."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Unfilled template placeholders: {$x}, {{ x }}, ${x}, %(x)s, [[x]], <?php ... ?>.
_TEMPLATE = re.compile(r"\{\$|\{\{|\}\}|\$\{|%\([a-z_]+\)s|\[\[|\]\]|<\?|\?>", re.IGNORECASE)
# A title's last part, after a separator that sites put before their name.
_SUFFIX = re.compile(r"^(?P<title>.+?)\s+(?:\||–|—|-|·|::|»)\s+(?P<site>[^|–—·»]{2,60})$")


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def clean_source(name: str | None) -> str | None:
    """The site name a page gives, or None when it is a placeholder or a URL (the caller
    then falls back to the host of the page's own URL)."""
    if not name:
        return None
    name = " ".join(name.split())
    if not name or _TEMPLATE.search(name):
        return None
    if name.lower().startswith(("http://", "https://", "www.")) or "/" in name:
        return None  # a URL, often a social media page: not the outlet's name
    return name


def strip_site_suffix(title: str | None, source: str | None, url: str | None) -> str | None:
    """The title without a trailing "| Site" (or "- Site", "— Site") that names the
    source or the host of the URL; any other ending is kept (it may be the title's)."""
    if not title:
        return title
    m = _SUFFIX.match(title.strip())
    if not m:
        return title
    site = _key(m["site"])
    names = {_key(source or "")}
    host = (urlsplit(url or "").hostname or "").lower().removeprefix("www.")
    if host:
        names.add(_key(host))
        names.add(_key(host.rsplit(".", 1)[0]))  # "foxyfolksy.com" -> "foxyfolksy"
    names.discard("")
    if site and site in names:
        return m["title"].strip()
    return title
