"""What a batch and a run changed: the counts a run records and prints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mediawatch.records import Failure

if TYPE_CHECKING:
    from mediawatch.watch.run import WatchReport


@dataclass
class BatchReport:
    """What one stored batch changed."""

    new_articles: int = 0
    already_known: int = 0
    extracted: int = 0  # articles that came out of extraction (and were fingerprinted)
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    feed_new: dict[str, int] = field(default_factory=dict)  # poll url -> new articles
    revised_article_ids: list[int] = field(default_factory=list)


@dataclass
class RunSummary:
    """What a whole run changed; printed by `mediawatch ingest` and kept in `runs`."""

    run_id: int
    db: str
    documents: int = 0
    new_articles: int = 0
    already_known: int = 0
    extracted: int = 0
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    revised_article_ids: list[int] = field(default_factory=list)
    watch: WatchReport | None = None  # the watchlists' hits and deliveries (mediawatch.watch)
    feeds_polled: int = 0
    feeds_unchanged: int = 0  # 304, or the same body as last time
    pages_fetched: int = 0
    requests: int = 0
    # when the run started, wall clock with its zone (what --json shows); the elapsed
    # time is measured on the monotonic clock, kept outside the fields
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed: float = 0.0

    def __post_init__(self) -> None:
        self._clock = time.monotonic()

    def seconds_since_start(self) -> float:
        clock = getattr(self, "_clock", None)  # gone if a copy was made from the fields
        if clock is None:
            return (datetime.now(UTC) - self.started).total_seconds()
        return time.monotonic() - clock

    def add(self, report: BatchReport, documents: int, already_known: int = 0) -> None:
        self.documents += documents
        self.already_known += already_known + report.already_known
        for name in (
            "new_articles",
            "extracted",
            "exact_copies",
            "revisions",
            "new_groups",
            "grown_groups",
            "new_stories",
            "grown_stories",
        ):
            setattr(self, name, getattr(self, name) + getattr(report, name))
        self.failures.extend(report.failures)
        self.new_article_ids.extend(report.new_article_ids)
        self.revised_article_ids.extend(report.revised_article_ids)
        self.elapsed = self.seconds_since_start()

    def failed_by_stage(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.failures:
            out[f.stage] = out.get(f.stage, 0) + 1
        return dict(sorted(out.items()))

    def counts(self) -> dict[str, int | float | dict[str, int]]:
        """What the run did, stage by stage: items read, skipped as already stored,
        extracted, stored (new articles and revisions), failed per stage."""
        return {
            "documents": self.documents,
            "already_known": self.already_known,
            "extracted": self.extracted,
            "stored": self.new_articles + self.revisions,
            "new_articles": self.new_articles,
            "failed_by_stage": self.failed_by_stage(),
            "exact_copies": self.exact_copies,
            "revisions": self.revisions,
            "new_groups": self.new_groups,
            "grown_groups": self.grown_groups,
            "new_stories": self.new_stories,
            "grown_stories": self.grown_stories,
            "failures": len(self.failures),
            "feeds_polled": self.feeds_polled,
            "feeds_unchanged": self.feeds_unchanged,
            "pages_fetched": self.pages_fetched,
            "requests": self.requests,
            **(self.watch.counts() if self.watch is not None else {}),
            "elapsed_seconds": round(self.elapsed, 3),
        }
