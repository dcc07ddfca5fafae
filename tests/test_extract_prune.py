"""The pruning walks find exactly what trafilatura's XPath expressions find, on pages built
to be hard, and the extractor's text is the same with them as without."""

from __future__ import annotations

import random

import pytest
from lxml.html import document_fromstring
from trafilatura import bare_extraction
from trafilatura import xpaths as X

from mediawatch.extract import prune
from mediawatch.extract.html import TRAFILATURA_KWARGS, extract_html


def _words(text: str) -> list[str]:
    return text.split()


# Every tag an expression names (the "list" and "item" of trafilatura's converted trees
# too), and some no expression names.
TAGS = _words(
    "div section aside details ol ul list item p span header h1 article main a b li figure"
)
# Tokens that hit or nearly hit the expressions' tests: case, position in the value
# (^...), word boundaries, and the exceptions they spell out ("commentary").
TOKENS = _words(
    "comments Comment commentary comment-list comol disqus_thread dsq-comments "
    "article-comments post-comments share shar sharing Share social viral newsletter "
    "nav Nav navbar subnav navigation Navigation menu breadcrumb bread-crumb sidebar "
    "banner button author byline Byline footer Footer related elated tags tag-list "
    "cookie cookie-banner consent teaser Teaser TeaserBox mvp-post-add-box "
    "mvp-post-add-wrap infinite-scroll infinitescroll elementor-share-buttons "
    "elementor-widget widget bottom page-bottom bottom-bar Padding-bottom-lg-30 "
    "border-bottom-0 link permalink headline-link hidden is-hidden hide hide-print "
    "noprint reply-to reply-form comments-title nocomments akismet reader-comments "
    "message premium ad-slot ad -ad- main content article-body story x y caption "
    "figcaption post entry article-content article__content articleBody body-text "
    "post-text post_content postContent article-text ArticleContent article__container "
    "postarea art-postcontent text cell primary story-body FullText story-content "
    "single-post main-column field-body content-main contentBody content__body "
    "Main-Content page-Content mainArea article"
)
# Whole ids that only some expressions take (a disqus thread is a comment section, but an
# ol or ul with that id is not pruned as a comment list).
IDS = _words(
    "disqus_thread dsq-comments comments comol Comment-list commentary reply-1 hiddenbox "
    "mvp-post-add-wrap infinite-scroll teaser Teaser social-links bottom link main "
    "articleContent article story content primary-col main-content"
)
STYLES = ("display:none", "display: none", "border: 1px solid", "color: red", "visibility:hidden")
ROLES = ("navigation", "Navigation", "main", "mainframe", "banner", "article")
# (attribute, how often an element has it, its values); id and class apart (their order
# on the element decides what "@id|@class" tests)
OTHERS = (
    ("style", 0.15, STYLES),
    ("role", 0.1, ROLES),
    ("aria-hidden", 0.05, ("true", "false")),
    ("data-component", 0.05, ("MostPopularStories", "Promo")),
    ("data-lp-replacement-content", 0.03, ("", "x")),
    ("itemprop", 0.05, ("articleBody", "author")),
)


def _value(rng: random.Random) -> str:
    return " ".join(rng.sample(TOKENS, rng.choice((1, 1, 2, 3))))


def _element(rng: random.Random, depth: int) -> str:
    tag = rng.choice(TAGS)
    attrs = []
    if rng.random() < 0.5:
        attrs.append(f'class="{_value(rng)}"')
    if rng.random() < 0.35:
        ident = rng.choice(IDS) if rng.random() < 0.5 else _value(rng).replace(" ", "-")
        attrs.insert(rng.randrange(len(attrs) + 1), f'id="{ident}"')
    for name, chance, values in OTHERS:
        if rng.random() < chance:
            attrs.insert(rng.randrange(len(attrs) + 1), f'{name}="{rng.choice(values)}"')
    children = ""
    if depth < 4:
        children = "".join(_element(rng, depth + 1) for _ in range(rng.choice((0, 1, 2, 3))))
    opening = " ".join([tag, *attrs])
    return f"<{opening}>text {depth} {children}</{tag}> tail "


def _page(seed: int) -> str:
    rng = random.Random(seed)
    body = "".join(_element(rng, 0) for _ in range(6))
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


def test_the_walks_stand_in_for_the_expressions_of_this_trafilatura() -> None:
    # False after a trafilatura upgrade that changed an expression: review the walks in
    # mediawatch/extract/prune.py against the new expressions, then update MIRROR_OF.
    assert prune.MIRRORED, "trafilatura's pruning expressions changed: review the mirror"
    assert len(prune.MIRRORS) == 14


@pytest.mark.parametrize("seed", range(0, 400, 50))
def test_each_walk_finds_what_its_expression_finds(seed: int) -> None:
    found = 0
    for s in range(seed, seed + 50):
        tree = document_fromstring(_page(s))
        for key, mirror in prune.MIRRORS.items():
            expected = mirror.original(tree)
            assert mirror(tree) == expected, (key, s)
            found += len(expected)
        body = tree.find("body")  # a context element below the root, as trafilatura passes
        for key, mirror in prune.MIRRORS.items():
            assert mirror(body) == mirror.original(body), (key, s, "body")
    assert found > 500  # the pages hit the expressions often, not only miss them


def test_a_whole_document_tree_is_left_to_the_expression() -> None:
    tree = document_fromstring(_page(3))
    for mirror in prune.MIRRORS.values():
        assert mirror(tree.getroottree()) == mirror.original(tree.getroottree())


def test_the_mirrors_are_in_place_only_while_mediawatch_extracts() -> None:
    originals = {key: getattr(X, key[0])[key[1]] for key in prune.MIRRORS}
    with prune.mirrored():
        for key, mirror in prune.MIRRORS.items():
            assert getattr(X, key[0])[key[1]] is mirror
    assert {key: getattr(X, key[0])[key[1]] for key in prune.MIRRORS} == originals
    with pytest.raises(RuntimeError), prune.mirrored():
        raise RuntimeError("an extraction that fails midway")
    assert {key: getattr(X, key[0])[key[1]] for key in prune.MIRRORS} == originals


ARTICLE = """<html><head><title>Harbour wall to be rebuilt</title></head><body>
<header class="site-header"><nav class="navbar">Home News Sport</nav></header>
<div class="share-bar social">Share on Facebook Share on X</div>
<div id="cookie-banner">We use cookies to improve your experience.</div>
<main><article class="article-body">
<h1>Harbour wall to be rebuilt after winter storms</h1>
<p>The council of Calder Bay voted on Tuesday to rebuild the harbour wall that the winter
storms breached in three places, at a cost of 4.2 million pounds.</p>
<div class="teaser">Read next: the ferry timetable for the summer season.</div>
<p>Engineers said the new wall would be a metre higher and would take two years to build,
with the work starting in the spring once the fishing season allows.</p>
<p style="display:none">Hidden tracking text that no reader sees.</p>
<p>Residents who lost boats in the storms will be compensated from an emergency fund that
the regional government set up in January.</p>
</article></main>
<section id="comments"><p>First! Great article, thanks.</p></section>
<div class="related-stories"><p>Other news: a new bakery opens.</p></div>
<footer class="footer">Copyright Calder Bay Gazette</footer>
</body></html>"""


def test_the_extractor_gives_the_same_text_with_the_walks() -> None:
    tree = document_fromstring(ARTICLE)
    without = bare_extraction(tree, **TRAFILATURA_KWARGS, fast=True)
    with prune.mirrored():
        walked = bare_extraction(tree, **TRAFILATURA_KWARGS, fast=True)
    assert walked.text == without.text
    assert "4.2 million pounds" in walked.text and "emergency fund" in walked.text
    for furniture in ("Share on Facebook", "cookies", "Read next", "Hidden tracking", "First!"):
        assert furniture not in walked.text
    page = extract_html(ARTICLE, url="https://gazette.example/harbour")  # the walks inside
    assert "metre higher" in page.text and "emergency fund" in page.text
    assert "Share on Facebook" not in page.text and "First!" not in page.text
