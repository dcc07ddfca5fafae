"""trafilatura's pruning expressions as Python walks: the same elements, in a third of the time.

Why: before and while it looks for the article, trafilatura deletes page furniture
(comment sections, share bars, navigation, teasers, hidden blocks) found by XPath
expressions that test ``@id`` and ``@class`` with regular expressions. libxml2 calls back
into Python's ``re`` for every candidate element and every ``re:test``, attribute or not,
which made these expressions a quarter of the extractor's CPU time on real pages
(``bench/throughput.py``). Here each expression is one walk over the candidate tags in
C (``iterdescendants``) that skips elements without attributes and tests the same regular
expressions on the attributes that exist: the same elements in the same (document) order.

The tests mirror the expressions of trafilatura 2.3.1 (``RAW_TREE_PRUNE_XPATH``,
``REMOVE_COMMENTS_XPATH``, ``REMOVE_COMMENTS_AND_LISTS_XPATH``, ``OVERALL_DISCARD_XPATH``,
``TEASER_DISCARD_XPATH``, ``PRECISION_DISCARD_XPATH``, ``DISCARD_IMAGE_ELEMENTS``, and
``BODY_XPATH``, which finds the article's frame), with their regular expressions read
from the expressions themselves. If trafilatura's expressions change, ``MIRRORED``
is false and trafilatura's own run unchanged (``tests/test_extract_prune.py`` says so, so
that an upgrade reviews the mirror, and compares both on generated pages).

XPath's rules, as mirrored: ``re:test(@a, p)`` searches the attribute's value (an absent
attribute is the empty string, which none of these patterns match); ``re:test(@id|@class,
p)`` and ``starts-with(@id|@class, s)`` test whichever of the two attributes comes first on
the element; ``.//*`` is every element below the context element, not the element itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import xpaths as X

__all__ = ["MIRRORED", "MIRRORS", "mirrored"]

# The expressions mirrored here, by list and position.
_LISTS = (
    "RAW_TREE_PRUNE_XPATH",
    "REMOVE_COMMENTS_XPATH",
    "REMOVE_COMMENTS_AND_LISTS_XPATH",
    "OVERALL_DISCARD_XPATH",
    "TEASER_DISCARD_XPATH",
    "PRECISION_DISCARD_XPATH",
    "DISCARD_IMAGE_ELEMENTS",
    "BODY_XPATH",
)
#: Fingerprint of the trafilatura expressions this module mirrors.
MIRROR_OF = "9ed20a942d13dfdc"


def _fingerprint() -> str:
    paths = [x.path for name in _LISTS for x in getattr(X, name)]
    return hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]


def _patterns(name: str, index: int) -> list[re.Pattern[str]]:
    """The ``re:test`` patterns of one expression, in the order they are written (with
    the flag ``'i'``: case-insensitive, as lxml compiles them)."""
    path = getattr(X, name)[index].path
    return [
        re.compile(p, re.IGNORECASE if "i" in flags else 0)
        for p, flags in re.findall(r"re:test\([^,]+, '([^']*)'(?:, '([^']*)')?\)", path)
    ]


def _first(attrs: etree._Attrib, a: str, b: str) -> str:
    """``@a|@b`` as a string: the value of whichever comes first on the element."""
    for key, value in attrs.items():
        if key in (a, b):
            return value
    return ""


Walk = Callable[[HtmlElement], list[HtmlElement]]
Test = Callable[[HtmlElement, etree._Attrib], object]
_ELEMENTS = (etree.Element,)  # every element, not comments: ".//*"


def _passing(tags: tuple, test: Test, first: bool = False) -> Walk:
    """The walk for ``.//*[tags][test]``: the elements of ``tags`` below the context
    element, in document order, that have attributes and pass ``test(element, attrs)``
    (``first``: ``(...)[1]``, the first only). An element without attributes passes none
    of these expressions' tests, so it is skipped before any."""

    def walk(tree: HtmlElement) -> list[HtmlElement]:
        out = []
        for el in tree.iterdescendants(*tags):
            a = el.attrib
            if a and test(el, a):
                out.append(el)
                if first:
                    break
        return out

    return walk


def _walks() -> dict[tuple[str, int], Walk]:
    raw_1, raw_2 = _patterns("RAW_TREE_PRUNE_XPATH", 0)[::2]
    com_id, com_class = _patterns("REMOVE_COMMENTS_XPATH", 0)
    lists_id, lists_class, ol_id, ol_class = _patterns("REMOVE_COMMENTS_AND_LISTS_XPATH", 0)
    cookie, od_id, od_class = _patterns("OVERALL_DISCARD_XPATH", 0)
    hidden, od2_id, od2_class = _patterns("OVERALL_DISCARD_XPATH", 1)
    bottom, link = _patterns("PRECISION_DISCARD_XPATH", 1)
    body_id, body_class = _patterns("BODY_XPATH", 0)
    story_id, fulltext, story_class = _patterns("BODY_XPATH", 2)
    content_id, content_class = _patterns("BODY_XPATH", 3)
    blocks = ("div", "item", "list", "p", "section", "span")
    frames = ("article", "div", "main", "section")

    def raw_prune(el: HtmlElement, a: etree._Attrib) -> bool:
        ident, cls = a.get("id", ""), a.get("class", "")
        return bool(raw_1.search(ident) or raw_1.search(cls)) and bool(
            next(el.iterdescendants("h1"), None) is None or raw_2.search(ident) or raw_2.search(cls)
        )

    def comments_and_lists(el: HtmlElement, a: etree._Attrib) -> bool:
        ident, cls = a.get("id", ""), a.get("class", "")
        return bool(lists_id.search(ident) or lists_class.search(cls)) and bool(
            el.tag not in ("ol", "ul") or ol_id.search(ident) or ol_class.search(cls)
        )

    def overall(_: HtmlElement, a: etree._Attrib) -> bool:
        ident, cls = a.get("id"), a.get("class")
        return bool(
            "data-lp-replacement-content" in a
            or "nav" in a.get("role", "").replace("N", "n")
            or "MostPopularStories" in a.get("data-component", "")
            or ((ident is not None or cls is not None) and cookie.search(_first(a, "id", "class")))
            or (ident is not None and od_id.search(ident))
            or (cls is not None and od_class.search(cls))
        )

    def hidden_block(_: HtmlElement, a: etree._Attrib) -> bool:
        ident, cls, style = a.get("id", ""), a.get("class", ""), a.get("style", "")
        return bool(
            cls == "comments-title"
            or _first(a, "id", "class").startswith("reply-")
            or hidden.search(_first(a, "id", "style"))
            or "display:none" in style
            or "display: none" in style
            or od2_id.search(ident)
            or od2_class.search(cls)
            or a.get("aria-hidden") == "true"
        )

    def precision(_: HtmlElement, a: etree._Attrib) -> bool:
        either = _first(a, "id", "class")
        return bool(bottom.search(either) or link.search(either) or "border" in a.get("style", ""))

    def story_body(_: HtmlElement, a: etree._Attrib) -> bool:
        ident, cls = a.get("id", ""), a.get("class", "")
        return bool(
            a.get("role") == "article"
            or ident in ("article", "story")
            or cls in ("postarea", "art-postcontent", "text", "cell", "story")
            or story_id.search(ident)
            or fulltext.search(cls)
            or story_class.search(cls)
        )

    def content_body(_: HtmlElement, a: etree._Attrib) -> bool:
        ident, cls = a.get("id", ""), a.get("class", "")
        return bool(
            ident == "content"
            or cls == "content"
            or content_id.search(ident)
            or content_class.search(cls)
            or "main-content" in ident.replace("C", "c").replace("M", "m")
            or "main-content" in cls.replace("C", "c").replace("M", "m")
            or "page-content" in cls.replace("C", "c").replace("P", "p")
        )

    # The article's frame: trafilatura takes the first element an expression returns.
    def article_body(tree: HtmlElement) -> list[HtmlElement]:
        """``.//*[...][1]``: each parent's first child that passes, in document order."""
        out, parents = [], set()
        for el in tree.iterdescendants(*frames):
            a = el.attrib
            if not a:
                continue
            ident, cls = a.get("id", ""), a.get("class", "")
            if (
                cls in ("post", "entry")
                or a.get("itemprop") == "articleBody"
                or ident == "articleContent"
                or body_id.search(ident)
                or body_class.search(cls)
            ):
                parent = el.getparent()
                if parent not in parents:
                    parents.add(parent)
                    out.append(el)
        return out

    def main_body(tree: HtmlElement) -> list[HtmlElement]:
        """``(.//*[...])[1]|(.//main)[1]``: both, in document order."""
        first = next(
            (
                el
                for el in tree.iterdescendants("article", "div", "section")
                if el.get("class", "").startswith("main")
                or el.get("id", "").startswith("main")
                or el.get("role", "").startswith("main")
            ),
            None,
        )
        main = next(tree.iterdescendants("main"), None)
        if first is None or main is None or first is main:
            return [el for el in (first, main) if el is not None][:1]
        position = {el: i for i, el in enumerate(tree.iterdescendants())}
        return sorted((first, main), key=position.__getitem__)

    return {
        ("RAW_TREE_PRUNE_XPATH", 0): _passing(("div", "section", "aside"), raw_prune),
        ("RAW_TREE_PRUNE_XPATH", 1): _passing(
            ("div", "section", "aside"),
            lambda _, a: "elementor-share-buttons" in a.get("class", ""),
        ),
        ("REMOVE_COMMENTS_XPATH", 0): _passing(
            ("div", "list", "section", "details"),
            lambda _, a: com_id.search(a.get("id", "")) or com_class.search(a.get("class", "")),
        ),
        ("REMOVE_COMMENTS_AND_LISTS_XPATH", 0): _passing(
            ("div", "list", "section", "details", "ol", "ul"), comments_and_lists
        ),
        ("OVERALL_DISCARD_XPATH", 0): _passing(blocks, overall),
        ("OVERALL_DISCARD_XPATH", 1): _passing(_ELEMENTS, hidden_block),
        ("TEASER_DISCARD_XPATH", 0): _passing(
            blocks,
            lambda _, a: (
                "teaser" in a.get("id", "").replace("T", "t")
                or "teaser" in a.get("class", "").replace("T", "t")
            ),
        ),
        ("PRECISION_DISCARD_XPATH", 0): lambda tree: list(tree.iterdescendants("header")),
        ("PRECISION_DISCARD_XPATH", 1): _passing(blocks, precision),
        ("DISCARD_IMAGE_ELEMENTS", 0): _passing(
            blocks, lambda _, a: "caption" in a.get("id", "") or "caption" in a.get("class", "")
        ),
        ("BODY_XPATH", 0): article_body,
        ("BODY_XPATH", 2): _passing(frames, story_body, first=True),
        ("BODY_XPATH", 3): _passing(frames, content_body, first=True),
        ("BODY_XPATH", 4): main_body,
    }


class Mirror:
    """Called like the XPath expression it stands in for (``expression(tree)``)."""

    def __init__(self, original: etree.XPath, walk: Walk) -> None:
        self.original = original
        self.walk = walk
        self.path = original.path

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        if not isinstance(tree, etree._Element):  # a whole ElementTree: XPath's own way
            return self.original(tree)
        return self.walk(tree)


def _usable() -> bool:
    if _fingerprint() != MIRROR_OF:
        return False
    # An absent attribute is the empty string to XPath; the walks skip elements without
    # attributes, which is only the same if no pattern matches the empty string.
    return not any(
        p.search("")
        for name in _LISTS
        for i in range(len(getattr(X, name)))
        for p in _patterns(name, i)
    )


MIRRORED = _usable()
#: (list name, position) -> the mirror standing in for that expression.
MIRRORS: dict[tuple[str, int], Mirror] = (
    {key: Mirror(getattr(X, key[0])[key[1]], walk) for key, walk in _walks().items()}
    if MIRRORED
    else {}
)


@contextmanager
def mirrored() -> Iterator[None]:
    """trafilatura runs with the mirrors in place of its expressions, and only within this
    block: a bare trafilatura elsewhere in the process (a benchmark's baseline) keeps its
    own. The lists are trafilatura's module constants, shared by name with the modules that
    prune, so their items are swapped in place and put back after."""
    if not MIRRORS:
        yield
        return
    for (name, i), mirror in MIRRORS.items():
        getattr(X, name)[i] = mirror
    try:
        yield
    finally:
        for (name, i), mirror in MIRRORS.items():
            getattr(X, name)[i] = mirror.original
