"""Extraction stage: RawDocument -> Article (or a Failure with its reason).

Batches run in worker processes together with fingerprinting: mediawatch.prepare.
"""

from __future__ import annotations

import logging

from mediawatch.config import ExtractSettings
from mediawatch.extract.html import Extracted, ExtractionError, extract_html
from mediawatch.extract.names import clean_source, strip_site_suffix
from mediawatch.extract.text import derive_title, normalise_paragraphs, split_title, strip_markdown
from mediawatch.ingest.urls import canonical_url, host_of
from mediawatch.records import Article, Failure, RawDocument
from mediawatch.text.segment import word_count
from mediawatch.times import PLAIN_TEXT, Stamp, rank

__all__ = ["ExtractionError", "extract_document"]

# trafilatura warns "discarding data: None" for every page it finds too short; the run
# records its own reason for such a page (a failure "too little text"), and the warning
# would reach the ingest output through Prefect's log handler. Its errors still show.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def _published(doc: RawDocument, page: Extracted | None) -> Stamp | None:
    """What the source said (feed item, JSONL record), refined by the page when the page
    is more precise inside the same period (a feed's date, the page's 18:20 that day)."""
    given = (
        Stamp(doc.published_at, doc.published_precision or "second")  # type: ignore[arg-type]
        if doc.published_at is not None
        else None
    )
    found = (
        Stamp(page.published_at, page.published_precision or "day")  # type: ignore[arg-type]
        if page is not None and page.published_at is not None
        else None
    )
    if given is None or found is None:
        return given or found
    if rank(found.precision) < rank(given.precision) and given.covers(found):
        return found
    return given


def extract_document(doc: RawDocument, settings: ExtractSettings) -> Article | Failure:
    """Turn one delivered item into an article; never raises for bad content."""
    try:
        if doc.content_type == "html":
            page = extract_html(doc.content, url=doc.url)
            text, extractor = normalise_paragraphs(page.text), page.extractor
            author, language = page.author, page.language
            stamp = _published(doc, page)
            source = doc.source or clean_source(page.sitename) or host_of(doc.url)
            # a page's own <title> often ends in the site's name; a title given with the
            # item (a feed's, a record's) is kept as given
            title = doc.title or strip_site_suffix(page.title, source, doc.url)
            canonical = page.canonical_url
        else:
            raw = str(doc.content)
            if doc.origin.lower().endswith((".md", ".md.gz")):
                raw = strip_markdown(raw)
            title, body = (doc.title, raw) if doc.title else split_title(raw)
            text, extractor = normalise_paragraphs(body), PLAIN_TEXT
            author = language = None
            stamp = _published(doc, None)
            source = doc.source or host_of(doc.url)
            canonical = None
    except ExtractionError as exc:
        return Failure(doc.origin, "extract", str(exc), doc.url)
    except Exception as exc:  # an extractor bug must not end the run
        return Failure(
            doc.origin, "extract", f"extractor error: {type(exc).__name__}: {exc}", doc.url
        )
    words = word_count(text)  # the count stored with the article (Chinese: segmented)
    # Extracted pages that come back short are navigation, error or paywall pages;
    # text supplied as text is the publisher's own, however brief (a news brief).
    minimum = settings.min_words if doc.content_type == "html" else 1
    if words < minimum:
        return Failure(
            doc.origin,
            "extract",
            f"too little text for an article ({words} words, minimum {minimum})",
            doc.url,
        )
    title = (title or "").strip() or None
    derived = title is None and (title := derive_title(text)) is not None
    return Article(
        url=canonical_url(doc.url),
        original_url=doc.url,
        origin=doc.origin,
        title=title,
        title_derived=derived,
        canonical_url=canonical,
        text=text,
        extractor=extractor,
        fetched_at=doc.fetched_at,
        published_at=stamp.at if stamp else None,
        published_precision=stamp.precision if stamp else None,
        author=author,
        source=source,
        language=language,
        guid=doc.guid,
        summary=doc.summary,
    )
