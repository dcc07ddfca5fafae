"""The pipeline's glue between stages, as plain functions the flow calls as tasks.

Per batch: skip what is stored unchanged -> extract -> fingerprint ->
match, cluster and store in one transaction (``store_batch``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from mediawatch.config import Settings
from mediawatch.ingest.local import iter_local
from mediawatch.ingest.urls import url_key
from mediawatch.records import Failure, Fingerprinted, RawDocument


@dataclass
class BatchReport:
    """What one stored batch changed."""

    new_articles: int = 0
    already_known: int = 0
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)


@dataclass
class RunSummary:
    """What a whole run changed; printed by `mediawatch ingest` and kept in `runs`."""

    run_id: int
    db: str
    documents: int = 0
    new_articles: int = 0
    already_known: int = 0
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def add(self, report: BatchReport, already_known: int = 0) -> None:
        self.documents += report.new_articles + report.already_known + report.exact_copies * 0
        self.documents += already_known + len(report.failures) + report.revisions
        self.already_known += already_known + report.already_known
        for name in (
            "new_articles", "exact_copies", "revisions", "new_groups", "grown_groups",
            "new_stories", "grown_stories",
        ):
            setattr(self, name, getattr(self, name) + getattr(report, name))
        self.failures.extend(report.failures)
        self.new_article_ids.extend(report.new_article_ids)
        self.elapsed = time.monotonic() - self.started

    def counts(self) -> dict[str, int | float]:
        return {
            "documents": self.documents,
            "new_articles": self.new_articles,
            "already_known": self.already_known,
            "exact_copies": self.exact_copies,
            "revisions": self.revisions,
            "new_groups": self.new_groups,
            "grown_groups": self.grown_groups,
            "new_stories": self.new_stories,
            "grown_stories": self.grown_stories,
            "failures": len(self.failures),
            "elapsed_seconds": round(self.elapsed, 3),
        }


def raw_hash(doc: RawDocument) -> str:
    """Fingerprint of what the source delivered: unchanged items are not extracted again."""
    h = hashlib.blake2b(digest_size=16)
    content = doc.content if isinstance(doc.content, bytes) else doc.content.encode("utf-8")
    for part in (content, (doc.title or "").encode("utf-8")):
        h.update(part)
        h.update(b"\x00")
    return h.hexdigest()


def batches(
    sources: list[str], settings: Settings
) -> Iterator[tuple[list[RawDocument], list[Failure]]]:
    """Source items in batches of ``run.batch_size`` documents, with their failures."""
    docs: list[RawDocument] = []
    failures: list[Failure] = []
    for item in iter_local(sources, settings.ingest):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            docs.append(item)
        if len(docs) >= settings.run.batch_size:
            yield docs, failures
            docs, failures = [], []
    if docs or failures:
        yield docs, failures
