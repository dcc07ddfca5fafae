"""The extraction stage on delivered items, and URL identity."""

from __future__ import annotations

from datetime import datetime

from mediawatch.config import ExtractSettings
from mediawatch.extract import extract_document
from mediawatch.extract.text import DERIVED_TITLE_CHARS, derive_title
from mediawatch.ingest.urls import canonical_url, url_key
from mediawatch.prepare import (
    drop_ahead,
    pool_chunks,
    prepare_batch,
    start_ahead,
    stream_ahead,
)
from mediawatch.records import Article, Failure, Fingerprinted, RawDocument

from .conftest import SEEDS

NOW = datetime(2026, 3, 1, 12, 0)
BODY = " ".join(
    f"Paragraph {i} says the harbour authority reopened the northern quay after repairs "
    f"costing {i} million."
    for i in range(1, 8)
)
PAGE = f"""<html lang="en"><head><title>Quay reopens | Harbour Times</title>
<meta name="author" content="Ada Lind"><meta property="og:site_name" content="Harbour Times">
<meta property="article:published_time" content="2026-02-27T08:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>Quay reopens</h1>{"".join(f"<p>{s}.</p>" for s in BODY.split(". "))}</article>
<footer>© 2026 Harbour Times</footer></body></html>"""


def doc(content, kind="html", url="https://www.harbour.example/news/quay?utm_source=rss", **kw):
    return RawDocument(
        url=url, origin="test", content=content, content_type=kind, fetched_at=NOW, **kw
    )


def test_html_page_gives_text_and_metadata() -> None:
    a = extract_document(doc(PAGE.encode()), ExtractSettings())
    assert isinstance(a, Article)
    assert a.url == "https://www.harbour.example/news/quay"  # tracking parameter gone
    assert a.title == "Quay reopens" and a.author == "Ada Lind"
    assert a.source == "Harbour Times" and a.language == "en"
    assert (a.published_at, a.published_precision) == (datetime(2026, 2, 27, 8), "second")
    assert a.extractor == "trafilatura"
    assert "northern quay" in a.text and "Home" not in a.text and "©" not in a.text


def test_plain_text_keeps_a_title_looking_first_line() -> None:
    text = "Quay reopens after repairs\n\n" + BODY
    a = extract_document(doc(text, "text", url="file:///x.txt"), ExtractSettings())
    assert isinstance(a, Article)
    assert a.title == "Quay reopens after repairs" and a.extractor == "plain-text"
    assert not a.text.startswith("Quay reopens")
    b = extract_document(doc(BODY, "text", url="file:///y.txt"), ExtractSettings())
    assert isinstance(b, Article) and b.text.startswith("Paragraph 1")
    assert a.title_derived is False and b.title_derived is True  # no title-like first line
    assert b.title == (
        "Paragraph 1 says the harbour authority reopened the northern quay after repairs "
        "costing 1\u2026"
    )


def test_a_first_line_that_ends_a_sentence_in_any_script_or_is_a_rule_is_body_text() -> None:
    """A Chinese first sentence ends in 。 (not "."), an Arabic clause in ،: they are the
    text's first lines, not titles; nor is a rule of dashes. A title without closing
    punctuation in those scripts is still one."""
    zh = "国务院今天举行新闻发布会，介绍前三季度经济运行情况。\n国家统计局表示，经济运行总体平稳。"
    for first in (zh.split("\n")[0], "قال المتحدث باسم الحكومة إن الميناء سيفتح غدا،", "-----"):
        text = first + "\n\n" + BODY
        a = extract_document(doc(text, "text", url="file:///z.txt"), ExtractSettings())
        assert isinstance(a, Article) and a.title_derived, first
        assert a.text.startswith(first), first
        assert a.title is not None and a.title.startswith(first.strip("-")[:8] or "Paragraph 1")
    titled = extract_document(
        doc("经济运行总体平稳\n\n" + zh, "text", url="file:///t.txt"), ExtractSettings()
    )
    assert isinstance(titled, Article) and titled.title == "经济运行总体平稳"


def test_a_derived_title_is_the_first_sentence_shortened_at_a_word() -> None:
    """Past a dateline ("PLACE [..], DATE :", "CITY (Agency) -"), cut at a word boundary
    with an ellipsis; a short sentence stays whole, without its full stop."""
    seed = (SEEDS / "001_1a12cbee7aca723b.txt").read_text(encoding="utf-8")
    title = derive_title(seed)
    assert title == (
        "China has been using surveillance on its miniorities based in foreign countries for\u2026"
    )
    assert len(title) <= DERIVED_TITLE_CHARS
    assert derive_title("LONDON (Reuters) - Shares rose on Monday. More followed.") == (
        "Shares rose on Monday"
    )
    assert derive_title("Breaking: the dam has burst. Residents fled.") == (
        "Breaking: the dam has burst"  # no date, no agency: not a dateline
    )
    long_word = "Donaudampfschifffahrtsgesellschaftskapitän" * 3
    assert derive_title(long_word, limit=20) == long_word[:19] + "\u2026"  # one long word: cut
    assert derive_title("  \n ") is None


def test_a_title_given_or_found_is_never_derived() -> None:
    record = extract_document(
        doc(BODY, "text", url="file:///z.txt", title="Quay"), ExtractSettings()
    )
    assert isinstance(record, Article) and record.title == "Quay" and not record.title_derived
    assert record.given_title == "Quay"
    b = extract_document(doc(BODY, "text", url="file:///y.txt"), ExtractSettings())
    assert isinstance(b, Article) and b.given_title is None  # left out of matching and search


def test_too_little_text_is_a_failure_with_a_reason() -> None:
    short_page = "<html><body><article><p>Just a caption under a photo.</p></article></body></html>"
    f = extract_document(doc(short_page), ExtractSettings(min_words=25))
    assert isinstance(f, Failure)
    assert f.stage == "extract"
    assert f.reason in (
        "no article text found",
        "too little text for an article (6 words, minimum 25)",
    )
    brief = extract_document(doc("Minister resigns.", "text"), ExtractSettings(min_words=25))
    assert isinstance(brief, Article)  # a text record is the publisher's own text
    empty = extract_document(doc("  \n ", "text"), ExtractSettings())
    assert isinstance(empty, Failure) and empty.reason.startswith("too little text")
    g = extract_document(doc(b"<html><body><nav>Home</nav></body></html>"), ExtractSettings())
    assert isinstance(g, Failure) and g.reason == "no article text found"


def test_batches_in_worker_processes_match_the_serial_result() -> None:
    docs = [doc(PAGE.encode(), url=f"https://h.example/{i}") for i in range(16)]
    docs[5] = doc(b"<html><body><nav>Home</nav></body></html>", url="https://h.example/5")
    serial = prepare_batch(docs, ExtractSettings(), workers=1)
    parallel = prepare_batch(docs, ExtractSettings(), workers=2, chunk_size=3)
    assert serial == parallel  # extracted, fingerprinted and hashed alike, in order
    assert isinstance(parallel[5], Failure) and parallel[5].reason == "no article text found"
    ok = [p for p in parallel if isinstance(p, Fingerprinted)]
    assert [p.article.url for p in ok] == [f"https://h.example/{i}" for i in range(16) if i != 5]
    assert all(p.band_keys and p.terms["words"] and len(p.raw_hash) == 32 for p in ok)


def test_pool_chunks_end_in_smaller_ones() -> None:
    docs = [doc(PAGE.encode(), url=f"https://h.example/{i}") for i in range(175)]
    parts = pool_chunks(docs, 8, 2)
    assert [d for c in parts for d in c] == docs  # every document once, in order
    assert [len(c) for c in parts] == [8] * 20 + [4, 4, 2, 2, 1, 1, 1]
    assert [len(c) for c in pool_chunks(docs[:20], 8, 2)] == [8, 4, 2, 2, 1, 1, 1, 1]
    assert pool_chunks([], 8, 2) == []


def test_chunks_started_ahead_are_taken_by_the_batch_that_asks_for_them() -> None:
    settings = ExtractSettings()
    docs = [doc(PAGE.encode(), url=f"https://h.example/{i}") for i in range(8)]
    assert start_ahead(docs[:3], settings, workers=2, chunk_size=3) == 0  # in-process size
    assert start_ahead(docs, settings, workers=2, chunk_size=3) == 6  # 3, then the tail: 1s
    taken = prepare_batch(docs, settings, workers=2, chunk_size=3)
    assert drop_ahead() == 0  # all six chunks were taken
    assert taken == prepare_batch(docs, settings, workers=1)  # as if extracted just now
    start_ahead(docs, settings, workers=2, chunk_size=3)
    edited = doc(PAGE.replace("northern", "southern").encode(), url="https://h.example/7")
    other = prepare_batch([*docs[:7], edited], settings, workers=2, chunk_size=3)
    assert "southern quay" in other[7].article.text  # the edited page, not the one ahead
    assert drop_ahead() == 1  # its chunk, started ahead with the old page, was cancelled


def test_chunks_streamed_as_pages_are_read_are_the_batch_s_own() -> None:
    """The workers start on a first batch while it is read: every chunk started early is
    one the batch submits (none twice, none wasted), whatever the batch's length."""
    import mediawatch.prepare as prepare

    settings = ExtractSettings()
    pages = [doc(PAGE.encode(), url=f"https://h.example/{i}") for i in range(23)]
    for n in (3, 7, 8, 9, 13, 23):
        docs = pages[:n]
        add = stream_ahead(settings, workers=2, chunk_size=3, batch_size=n)
        streamed = []
        for d in docs:
            add(d)
            streamed = [list(key[1]) for key in prepare._ahead]
            # only full chunks with more than a round of chunks after them, so far
            assert all(len(c) == 3 for c in streamed)
        assert streamed == pool_chunks(docs, 3, 2)[: len(streamed)], n
        assert len(streamed) == max(0, -(-(n - 6) // 3)), n  # as many as settled
        start_ahead(docs, settings, workers=2, chunk_size=3)  # the rest, none again
        pooled = n >= 4  # prepare_batch's rule: fewer than 2 * workers run in-process
        assert len(prepare._ahead) == (len(pool_chunks(docs, 3, 2)) if pooled else 0)
        taken = prepare_batch(docs, settings, workers=2, chunk_size=3)
        assert drop_ahead() == 0  # every chunk started was taken
        assert taken == prepare_batch(docs, settings, workers=1)
    # a batch of 4 read from a longer list: only its own pages are streamed
    add = stream_ahead(settings, workers=2, chunk_size=1, batch_size=5)
    for d in pages[:10]:
        add(d)
    assert [list(k[1]) for k in prepare._ahead] == [[pages[0]], [pages[1]], [pages[2]]]
    assert drop_ahead() == 3


def test_url_variants_share_one_key() -> None:
    variants = [
        "https://www.Example.com/news/story/?utm_source=tw&utm_medium=social#comments",
        "http://example.com/news/story",
        "https://m.example.com/news/story/amp/",
        "https://example.com/news/story/index.html",
        "https://amp.example.com/news/story?amp=1",
    ]
    assert {url_key(u) for u in variants} == {"example.com/news/story"}
    assert url_key("https://example.com/news/story?id=2") != url_key(
        "https://example.com/news/story?id=3"
    )
    assert (
        canonical_url("https://www.example.com/a?b=2&a=1&fbclid=x#top")
        == "https://www.example.com/a?a=1&b=2"
    )
    assert url_key("file:///tmp/a.txt") == "file:///tmp/a.txt"
