"""The small typed records that travel between the pipeline's stages.

ingest -> RawDocument -> extract -> Article -> fingerprint -> Fingerprinted -> match/cluster/store
Anything that goes wrong on the way becomes a Failure, recorded with its reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from mediawatch.times import lineage_key

ContentType = Literal["html", "text"]
Relation = Literal["origin", "exact", "near_copy", "rewrite"]


@dataclass(frozen=True)
class RawDocument:
    """One item as a source delivered it, before extraction."""

    url: str
    origin: str  # where it came from, for people: "news/a.html", "feed.jsonl:12"
    content: bytes | str
    content_type: ContentType
    fetched_at: datetime
    title: str | None = None
    published_at: datetime | None = None  # naive UTC (mediawatch.times)
    source: str | None = None
    guid: str | None = None
    summary: str | None = None
    published_precision: str | None = None  # second | minute | day | month (None: undated)


@dataclass(frozen=True)
class Failure:
    """An item that could not be taken, and why; stored so nothing fails silently."""

    origin: str
    stage: str  # ingest | extract | fingerprint | store
    reason: str
    url: str | None = None
    raw_hash: str | None = None  # an extraction failure: the content's hash (rejected_items)


@dataclass(frozen=True)
class Article:
    """An extracted article, ready to be fingerprinted and stored."""

    url: str  # canonical URL: the identity of the article
    original_url: str
    origin: str
    title: str | None
    text: str
    extractor: str
    fetched_at: datetime
    published_at: datetime | None = None
    author: str | None = None
    source: str | None = None  # outlet: site name or host
    language: str | None = None  # declared until fingerprinting identifies it from the text
    guid: str | None = None
    summary: str | None = None  # as the feed gave it
    language_confidence: float | None = None  # set once the language is identified
    declared_language: str | None = None  # what the page or feed said: a hint only
    published_precision: str | None = None  # second | minute | day | month (None: undated)
    title_derived: bool = False  # the title is the text's first sentence (none was given)
    canonical_url: str | None = None  # what the page names as its address (a local copy's)

    @property
    def given_title(self) -> str | None:
        """The title as the source gave it: a derived one repeats the text's first
        sentence, so matching, clustering and search leave it out."""
        return None if self.title_derived else self.title

    @property
    def date(self) -> datetime:
        """The date used for windows and ordering: publication, else fetch time."""
        return self.published_at or self.fetched_at

    @property
    def lineage(self) -> tuple[datetime, int, datetime]:
        """Which came first (origins, timelines): mediawatch.times.lineage_key."""
        return lineage_key(self.published_at, self.published_precision, self.fetched_at)


@dataclass(frozen=True)
class Fingerprinted:
    """An article with the signatures that matching and clustering need."""

    article: Article
    text_hash: str  # hash of the normalised text: exact copies share it
    band_keys: tuple[tuple[int, int], ...]  # (signature kind, key) rows for the LSH index
    terms: dict[str, dict[str, float]] = field(default_factory=dict)  # space -> term -> count
    raw_hash: str = ""  # hash of the delivered item (raw_hash below)
    search_terms: dict[str, int] | None = None  # full-text index counts (mediawatch.search)
    line_keys: tuple[str, ...] | None = None  # normalised lines, for furniture counting
    # what verification tokenises the text into (mediawatch.match.verify.features): the
    # language identified from the text alone, and each sentence's tokens joined by spaces
    verify_tokens: tuple[str, tuple[str, ...]] | None = None


def raw_hash(doc: RawDocument) -> str:
    """Fingerprint of what the source delivered: unchanged items are not extracted again."""
    h = hashlib.blake2b(digest_size=16)
    content = doc.content if isinstance(doc.content, bytes) else doc.content.encode("utf-8")
    for part in (content, (doc.title or "").encode("utf-8")):
        h.update(part)
        h.update(b"\x00")
    return h.hexdigest()
