"""Extraction stage: RawDocument -> Article (or a Failure with its reason).

Batches run in worker processes together with fingerprinting: mediawatch.prepare.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mediawatch.config import ExtractSettings
from mediawatch.extract.html import ExtractionError, extract_html
from mediawatch.extract.text import normalise_paragraphs, split_title, strip_markdown
from mediawatch.ingest.urls import canonical_url, host_of
from mediawatch.records import Article, Failure, RawDocument

__all__ = ["ExtractionError", "extract_document"]


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def extract_document(doc: RawDocument, settings: ExtractSettings) -> Article | Failure:
    """Turn one delivered item into an article; never raises for bad content."""
    try:
        if doc.content_type == "html":
            page = extract_html(doc.content, url=doc.url)
            title = doc.title or page.title
            text, extractor = normalise_paragraphs(page.text), page.extractor
            author, language = page.author, page.language
            published_at = doc.published_at or _parse_date(page.published_at)
            source = doc.source or page.sitename or host_of(doc.url)
        else:
            raw = str(doc.content)
            if doc.origin.lower().endswith((".md", ".md.gz")):
                raw = strip_markdown(raw)
            title, body = (doc.title, raw) if doc.title else split_title(raw)
            text, extractor = normalise_paragraphs(body), "plain-text"
            author = language = None
            published_at = doc.published_at
            source = doc.source or host_of(doc.url)
    except ExtractionError as exc:
        return Failure(doc.origin, "extract", str(exc), doc.url)
    except Exception as exc:  # an extractor bug must not end the run
        return Failure(
            doc.origin, "extract", f"extractor error: {type(exc).__name__}: {exc}", doc.url
        )
    words = len(text.split())
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
    return Article(
        url=canonical_url(doc.url),
        original_url=doc.url,
        origin=doc.origin,
        title=(title or "").strip() or None,
        text=text,
        extractor=extractor,
        fetched_at=doc.fetched_at,
        published_at=published_at,
        author=author,
        source=source,
        language=language,
        guid=doc.guid,
        summary=doc.summary,
    )
