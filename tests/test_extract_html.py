"""Tests on small inline pages (never the benchmark data)."""

from __future__ import annotations

import json
import random
from datetime import datetime

import pytest

from mediawatch.extract.html import (
    NOISE,
    Config,
    ExtractionError,
    SiteBoilerplate,
    decode_html,
    extract_html,
    line_hash,
    strip_noise,
)

PARAGRAPHS = [
    (
        "The city council approved the new budget on Tuesday after a long debate that lasted "
        "well into the night, with members split over spending on public transport and parks."
    ),
    (
        "Supporters said the plan would fund twelve new bus routes and repair dozens of "
        "playgrounds, while critics argued that the tax increase would hurt small businesses."
    ),
    (
        "The mayor, who had campaigned on the promise of better transport, called the vote a "
        "turning point for the city and thanked residents for attending the public hearings."
    ),
    (
        "Opposition members said they would continue to press for an independent audit of the "
        "transport agency before any new money is spent on the expansion of the network."
    ),
]


def article_page(paragraphs: list[str] = PARAGRAPHS, extra_head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Council approves budget | Example News</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">{extra_head}
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Council approves budget</h1><p>March 5, 2024 10:00</p>{body}
<p>Subscribe to our newsletter for more local news.</p></article>
<footer><p>© 2024 Example News. All rights reserved.</p></footer></body></html>"""


# --------------------------------------------------------------------------- extraction


def test_simple_article_text_and_metadata() -> None:
    result = extract_html(article_page(), "https://www.example.com/news/budget")
    assert result.title == "Council approves budget"
    assert result.author == "Jane Doe"
    assert (result.published_at, result.published_precision) == (datetime(2024, 3, 5, 10), "second")
    assert result.language == "en"
    assert result.extractor == "trafilatura"
    assert result.text.split("\n") == PARAGRAPHS  # headline, date line, newsletter pitch gone


def test_clean_up_is_what_removes_headline_and_date() -> None:
    raw = extract_html(article_page(), config=Config(clean_head=False, clean_tail=False))
    assert raw.text.startswith("Council approves budget\nMarch 5, 2024")
    assert raw.text.endswith("Subscribe to our newsletter for more local news.")


def test_short_page_falls_back_to_jsonld_article_body() -> None:
    full = " ".join(PARAGRAPHS)
    ld = json.dumps({"@type": "NewsArticle", "headline": "Budget", "articleBody": full})
    html = f"""<html lang="en"><head><title>Budget</title>
<script type="application/ld+json">{ld}</script></head><body>
<article><p>The city council approved the new budget on Tuesday.</p>
<p class="paywall">Subscribe to read the full story.</p></article></body></html>"""
    result = extract_html(html, "https://paywalled.example.org/budget")
    assert result.extractor == "jsonld"
    assert result.text == full
    no_fallback = extract_html(html, config=Config(fallback=False, min_text_chars=0))
    assert no_fallback.extractor == "trafilatura" and len(no_fallback.text) < 100


def test_body_split_into_sibling_chunks_is_merged() -> None:
    rng = random.Random(7)
    vocab = " ".join(PARAGRAPHS).lower().replace(",", "").replace(".", "").split()

    def chunk(n: int) -> str:
        return "".join(
            f"<p>{' '.join(rng.choice(vocab) for _ in range(30))}.</p>" for _ in range(n)
        )

    html = f"""<html lang="en"><head><title>Budget</title></head><body><main>
<article class="article main-content"><div class="article__chunks">
<div class="grid"><div class="body__container article__body">{chunk(3)}</div></div>
<div class="grid"><aside class="ad"><p>Advertisement</p></aside></div>
<div class="grid"><div class="body__container article__body">{chunk(4)}</div></div>
</div></article></main></body></html>"""
    merged = extract_html(html, "https://chunks.example.com/a")
    single = extract_html(
        html, "https://chunks.example.com/a", config=Config(merge_containers=False)
    )
    assert single.extractor == "trafilatura"
    assert merged.extractor == "trafilatura+merged"
    assert merged.text.startswith(single.text) and len(merged.text) > 2 * len(single.text)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty document"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "page is not HTML"),
        ('{"items": [1, 2, 3]}', "page is not HTML"),
        (
            (
                "<html><head><title>Login</title></head><body><nav><a href='/'>Home</a></nav>"
                "<form><input name='user'><button>Sign in</button></form></body></html>"
            ),
            "no article text found",
        ),
    ],
)
def test_no_article_raises_clear_error(html: str | bytes, reason: str) -> None:
    with pytest.raises(ExtractionError) as excinfo:
        extract_html(html, "https://www.example.com/x")
    assert excinfo.value.reason == reason


# --------------------------------------------------------------------------- decoding

ACCENTED = "Le café du coin – «naïve» façade, “guillemets” et œuvre; déjà vu à Noël."


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="iso-8859-1">',  # latin-1 label: browsers (and we) read it as cp1252
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
        "",  # undeclared: charset-normalizer
    ],
)
def test_decode_cp1252_page(meta: str) -> None:
    raw = f"<html><head>{meta}<title>Café</title></head><body><p>{ACCENTED}</p></body></html>"
    assert ACCENTED in decode_html(raw.encode("cp1252"))


def test_decode_bom_and_wrong_declaration() -> None:
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>") == "<p>café</p>"
    assert decode_html("<p>café</p>".encode("utf-16")) == "<p>café</p>"
    text = "<p>Le café du coin à Noël: une élève très déjà façade, où est la fenêtre?</p>"
    assert decode_html(f'<meta charset="utf-8">{text}'.encode("cp1252")).endswith(text)
    assert decode_html(b"<p>caf\xe9</p>", encoding="latin-1") == "<p>café</p>"


def test_extract_from_cp1252_bytes() -> None:
    paragraphs = [f"{ACCENTED} {p}" for p in PARAGRAPHS]
    html = article_page(
        paragraphs, '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
    )
    result = extract_html(html.replace('<meta charset="utf-8">', "").encode("cp1252"))
    assert result.text.split("\n")[0] == paragraphs[0]


# --------------------------------------------------------------------------- site boilerplate


def test_site_boilerplate_filters_lines_repeated_on_a_host() -> None:
    bp = SiteBoilerplate(min_pages=2, min_chars=10)
    promo = "Get our daily briefing delivered to your inbox."
    bp.observe("news.example", ["First story text, unique to page one.", promo, "Short"])
    bp.observe("news.example", ["Second story text, unique to page two.", promo, "Short"])
    bp.observe("news.example", ["Second story text, unique to page two.", promo, "Short"])  # repeat
    page = ["Third story text.", "GET our daily  briefing delivered to your inbox.", "Short"]
    assert bp.filter("news.example", page) == ["Third story text.", "Short"]  # "Short" < min_chars
    assert bp.filter("other.example", page) == page  # state is per host
    assert sorted(n for host, _, n in bp.rows() if host == "news.example") == [1, 1, 2]


def test_site_boilerplate_rows_round_trip() -> None:
    bp = SiteBoilerplate(min_pages=2)
    for story in ("first", "second"):
        bp.observe("a.example", [f"the {story} story body text", "© 2024 A Example, all rights"])
    restored = SiteBoilerplate(min_pages=2)
    restored.load_rows(bp.rows())
    assert sorted(restored.rows()) == sorted(bp.rows())
    assert restored.filter("a.example", ["© 2025 A Example, all rights"]) == []  # digits normalised
    assert all(-(2**63) <= h < 2**63 for _, h, _ in bp.rows())
    assert line_hash("A  b") == line_hash("a b")


def test_extract_html_uses_site_boilerplate() -> None:
    bp = SiteBoilerplate(min_pages=2)
    promo = "Our reporters cover the city every day, support local journalism today."
    texts = []
    for story in ("A", "B"):
        paragraphs = [f"Story {story}: {p}" for p in PARAGRAPHS] + [promo]
        url = f"https://www.example.com/{story}"
        texts.append(extract_html(article_page(paragraphs), url, boilerplate=bp).text)
    assert texts[0].endswith(promo)  # first page: nothing learnt yet
    assert promo not in texts[1] and texts[1].startswith("Story B:")


# Pieces of pages that make the noise expression succeed, fail midway, or nest: cases of
# the tags, JSON-LD, unclosed comments and scripts, tags that only begin like one.
NOISE_PIECES = (
    "<p>text</p>",
    "<script>var a = '<p>';</script>",
    "<SCRIPT type='text/javascript'>x()</SCRIPT >",
    '<script type="application/ld+json">{"@type": "NewsArticle"}</script>',
    '<script type="APPLICATION/JSON">{}</script>',
    "<scripts>not a script</scripts>",
    "<script src=a.js>",
    "</script>",
    "<style>p { color: red }</style>",
    "<Style media=print>",
    "</style\n>",
    "<!-- a comment <script>x</script> -->",
    "<!-- unclosed",
    "-->",
    "<svg viewBox='0 0 1 1'><path d=''/></svg>",
    "<svg><svg></svg></svg>",
    "<svgs>",
    "<script",
    "<style type='x'",
    "ſcript",
    "<ſcript>long s</ſcript>",
    "\n",
    " > ",
)


def test_strip_noise_cuts_what_the_noise_expression_matches() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        page = "".join(rng.choice(NOISE_PIECES) for _ in range(rng.randrange(1, 12)))
        assert strip_noise(page) == NOISE.sub("", page), page
    page = "<p>keep</p><script>drop()</script><!-- drop --><style>x</style><p>keep too</p>"
    assert strip_noise(page) == "<p>keep</p><p>keep too</p>"
