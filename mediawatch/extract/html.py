"""HTML pages: trafilatura with metadata."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura


class ExtractionError(ValueError):
    """The page holds no article text; the message says why."""


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    author: str | None
    published_at: str | None
    sitename: str | None
    language: str | None
    extractor: str


def extract_html(html: str | bytes, url: str | None = None) -> Extracted:
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, favor_precision=True
    )
    if doc is None or not (doc.text or "").strip():
        raise ExtractionError("no article text found in the page")
    return Extracted(
        text=doc.text,
        title=doc.title,
        author=doc.author,
        published_at=doc.date,
        sitename=doc.sitename,
        language=doc.language,
        extractor="trafilatura",
    )
