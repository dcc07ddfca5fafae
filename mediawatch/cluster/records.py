"""What the story clusterer reads and writes: an article's features, the document
frequencies, a story's stored state, and where each batch article went and why."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mediawatch.cluster.features import Features
from mediawatch.times import NO_TIME, latest

SPACES: tuple[str, ...] = ("words", "entities", "numbers")
WORDS, NAMES, NUMBERS = 0, 1, 2  # language-bound; what events are about; what corroborates
UND = "und"  # language not known
Vector = dict[str, float]


@dataclass
class DocFreq:
    """Document frequencies per space and term, plus the document count (IDF source)."""

    n_docs: int = 0
    df: dict[str, dict[str, int]] = field(default_factory=lambda: {s: {} for s in SPACES})

    def add(self, article: ArticleFeatures) -> None:
        self.n_docs += 1
        for space in SPACES:
            d = self.df[space]
            for term in article.counts(space):
                d[term] = d.get(term, 0) + 1

    def idf(self, space: str, term: str) -> float:
        """log((1+N)/(1+df)): zero for a term in every document, so boilerplate weighs nothing."""
        return math.log((1 + self.n_docs) / (1 + self.df[space].get(term, 0)))


@dataclass(frozen=True)
class ArticleFeatures:
    """An article as the clusterer receives and stores it: raw term counts, optional date."""

    article_id: str
    words: dict[str, float]
    entities: dict[str, float]
    numbers: dict[str, float]
    published: datetime | None = None
    language: str | None = None  # content words compare within one language only
    # How precise ``published`` is (mediawatch.times.PRECISIONS; None: exact). A date-only
    # value was published some time that day: it is as close to a page of 09:00 as to
    # one of 21:00, so time gaps are measured between the two intervals.
    precision: str | None = None
    # The content words of its title and first sentences (features.LEAD_WORDS); None: not
    # known (stored by an older release): no lead gate.
    lead: frozenset[str] | None = None
    # features.Features.spread: in how many of the text's passages each word occurs; empty
    # for a text of one passage (or one stored by an older release): every word throughout.
    spread: dict[str, float] = field(default_factory=dict)
    # The site it was published on (mediawatch.ingest.urls.site_of); None: not known (a
    # text without a web address). Two pages of one site share its beat and house style.
    site: str | None = None
    # features.Features.common: how common each lead word is in its language at large;
    # empty for one stored by an older release (every lead word judged by the archive).
    common: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_features(
        cls,
        article_id: str,
        features: Features,
        published: datetime | None = None,
        language: str | None = None,
        precision: str | None = None,
        site: str | None = None,
    ) -> ArticleFeatures:
        return cls(
            article_id,
            features.words,
            features.entities,
            features.numbers,
            published,
            language,
            precision,
            features.lead,
            features.spread,
            site,
            features.common,
        )

    @classmethod
    def from_terms(
        cls,
        article_id: str,
        terms: Mapping[str, dict[str, float]],
        published: datetime | None = None,
        language: str | None = None,
        precision: str | None = None,
        site: str | None = None,
    ) -> ArticleFeatures:
        """From stored story terms (``{"words": ..., "entities": ..., "numbers": ...}``)."""
        return cls(
            article_id,
            terms.get("words", {}),
            terms.get("entities", {}),
            terms.get("numbers", {}),
            published,
            language,
            precision,
            frozenset(terms["lead"]) if "lead" in terms else None,
            terms.get("spread", {}),
            site,
            terms.get("common", {}),
        )

    def counts(self, space: str) -> dict[str, float]:
        return getattr(self, space)

    @property
    def dateless(self) -> bool:
        """A web page that states no publication time (not: text given without one)."""
        return self.published is None and self.precision == NO_TIME

    @property
    def latest(self) -> datetime | None:
        """The latest the article can have been published (its interval's end)."""
        if self.published is None or self.precision is None:
            return self.published
        return latest(self.published, self.precision)


@dataclass
class StoryState:
    """One story as rows: summed member vectors (top-K per space), size, coherence, span."""

    story_id: int
    size: int = 0
    within: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SPACES, 0.0))
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    centroid: dict[str, Vector] = field(default_factory=lambda: {s: {} for s in SPACES})
    members: list[str] = field(default_factory=list)
    closed: bool = False


@dataclass(frozen=True)
class Assignment:
    """Where a batch article went and why.

    `score` is the normalised average-link of the clustering step that first joined the
    article to anything (>= `threshold` by construction); `space_scores` splits it per
    space (their weighted mean, times `time_factor`, is `score`). `fit` is the article
    against its final story without itself, `margin` = fit - runner-up fit.
    """

    article_id: str
    story_id: int
    reason: str  # attached | new | new:with-batch | duplicate (joined with its duplicate group)
    score: float
    space_scores: dict[str, float]
    time_factor: float  # 1.0 when dates are missing
    threshold: float
    fit: float  # article vs its story without itself (0.0 when alone)
    margin: float
    runner_up: int | None  # best other story in the neighbourhood
    n_clusters: int  # clusters in this batch's neighbourhood (all were compared)


@dataclass(frozen=True)
class StoryEvent:
    """A change to stored articles: an older article moved, or a story absorbed."""

    kind: str  # moved | merged
    article_id: str | None
    from_story: int
    to_story: int
