"""Incremental story clustering: each batch joins stored stories or starts new ones.

How a batch is processed (`mediawatch evaluate stories` measures each choice):
1. Document frequencies are counted (IDF includes the batch; stored as term -> df counts).
2. Stories idle for more than `window_days` are closed and leave the candidate index.
3. Candidate stories come from an inverted index over each story's top terms, so the work
   depends on the batch and its candidates, never on the archive size.
4. The *neighbourhood* (batch articles + all members of the candidate stories) is clustered
   again, best pair first, with a normalised average-link (below) and one global
   threshold. This is the attach step, the merge pass and the move pass in one: a new
   article joins the story it fits as a whole, two stories that turn out to be one merge,
   and an article that an earlier, thinner batch put in the wrong story moves. Clustering
   from singletons removes the dependence on arrival order that sequential attachment has.
5. Cluster -> story ids are kept stable (largest overlap keeps the old id) and every batch
   article gets an explainable `Assignment`; merges and moves of older articles are logged.
With `recluster_members=False` the candidate stories enter step 4 as frozen wholes (their
stored sums): cheaper, no moves of older articles, but clearly worse on the ECB+ dev data.

Similarity. Each article is three unit (1 + log tf) * IDF vectors: content words, names,
numbers/dates. Between two clusters, per space, average-link (mean cosine over all cross
pairs) is divided by the geometric mean of both clusters' own coherence (their mean
within-pair cosine, shrunk to a prior for tiny clusters). That normalised average-link is
~1 for two halves of one story whatever their sizes, so one threshold fits singletons and
big stories alike (raw centroid cosine needs 0.23 for 1 vs 1 and 0.57 for 5 vs 5). The
spaces are combined as a weighted mean over the spaces both sides have (a missing space is
neutral), times a time factor that is exactly 1 without dates. No single link: a bridge
article moves a cluster pair's mean by 1/(n_a * n_b) only. Profile veto: two clusters of at
least `veto_min_size` articles each whose numbers/dates profiles disagree (normalised score
below the floor) never join; at that size the profile is reliable, for single articles not.
Lead gate: two clusters join only when some pair of their members (of one language) opens
alike, their titles and first words sharing rare words (`Params.lead_min`): two reports of
one event open with the same who and what, two pages on one topic share words further down.
In a story of four or more, each article must open alike with at least two of the
others (`Params.lead_mates`): pages that open alike only in a chain are a topic.
A web page that states no publication time anywhere is as far from everything in time as
two articles can be (`Params.dateless_apart`): it joins a story only through its duplicate
group. Text given without a time is neutral.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from mediawatch.cluster.constraints import Apart, ApartTags
from mediawatch.cluster.features import Features, passage_share
from mediawatch.times import NO_TIME, latest

SPACES: tuple[str, ...] = ("words", "entities", "numbers")
WORDS, NAMES, NUMBERS = 0, 1, 2  # language-bound; what events are about; what corroborates
UND = "und"  # language not known
Vector = dict[str, float]


@dataclass(frozen=True)
class Params:
    """All global constants, fixed on the ECB+ dev data before the figures were measured."""

    weights: tuple[float, float, float] = (0.3, 0.4, 0.3)  # words, entities, numbers
    threshold: float = 0.42  # normalised average-link needed to join two clusters
    prior_coherence: float = 0.3  # assumed mean within-story cosine of a tiny story
    prior_pairs: float = 2.0  # weight of that prior, in ordered member pairs
    size_penalty: float = 0.0  # extra threshold for small pairs: + penalty / sqrt(n_a * n_b)
    veto_min_size: int = 6  # pairs of clusters at least this big must agree in every space:
    veto_floor: tuple[float, float, float] = (0.0, 0.0, 0.3)  # per-space minimum, else no join
    # The numbers space counts at most this many times the better of words and names
    # (0: no cap).
    numbers_cap: float = 1.0
    # Per-space scores saturate here (0: never): ~1 already means "as alike as two
    # halves of one story", so more in one space says little when the others disagree.
    saturation: float = 1.0
    recluster_members: bool = True  # False: candidate stories join as frozen wholes (cheaper)
    top_k: tuple[int, int, int] = (300, 150, 60)  # stored centroid terms per space
    index_keys: int = 15  # postings per story and space (words, entities)
    query_keys: int = 15  # looked-up terms per article and space
    max_candidates: int = 20  # candidate stories per batch article
    # The neighbourhood a batch is clustered in: at most this many units (its similarity
    # matrices grow with the square), filled by candidate rank across the batch; stories
    # bigger than recluster_max_size join as one frozen unit (their members stay put).
    max_neighbourhood: int = 1500
    recluster_max_size: int = 100
    window_days: float = 14.0  # a story idle this long is closed
    time_weight: float = 0.8  # share of the score the time term can take away
    time_scale_days: float = 3.0  # e-folding of the time term beyond the stories' spans
    # A web page that states no publication time anywhere (mediawatch.times.NO_TIME) is
    # most likely evergreen (a care guide, a recipe, a product page), not an event: it is
    # as far in time from everything as time can make two articles (the time factor is
    # 1 - time_weight, below any threshold), so it joins a story only as a copy or
    # rewrite of one of its articles (a duplicate group). False: neutral, as text given
    # without a time.
    dateless_apart: bool = True
    # Two articles in different languages cannot compare their content words, so their
    # names carry the link alone: they count only when at least this many distinct
    # names are shared (one shared name, a country or a club, links unrelated reports).
    cross_language_names: int = 2
    # Between two stories that share no language, numbers that do not match are no
    # evidence against (as the words space, missing rather than zero): two languages
    # write numbers differently (digit grouping, numbers in words, the order of a date),
    # so a report and its translation often share none. Shared numbers still count.
    numbers_neutral_across: bool = True
    # A story known by one or two names must not look like a perfect match on them: its
    # names vector carries this many unshared pseudo-names of the rarest weight, so a
    # shared name counts in proportion to how many names each side has.
    names_pseudo: float = 2.0
    # Where neither side names anyone or anything (recipes, how-to and gardening pages),
    # the names space counts as a zero with this share of its weight rather than not at
    # all: words and numbers must then agree as strongly as two halves of one story.
    nameless_weight: float = 1.0
    # Two stories that both name people, places or organisations and share none of them
    # are reports of different events however alike their vocabulary (two product
    # reviews, two care guides): they never join.
    names_apart: bool = True
    # Two reports of one event say so in their titles and first sentences; two pages on
    # one topic share vocabulary further down. Two articles (of one language) link only
    # when their leads (features.LEAD_WORDS) share this much: the sum over shared lead
    # terms of their rarity, idf / log(1 + documents) (1 for a term of one document). Two
    # clusters join when some cross pair of members does. 0: no lead gate.
    lead_min: float = 1.5
    # Rarity is judged as if the archive held this many more documents, none with the
    # term: a young archive (one event's first reports) has not seen enough to call the
    # event's own words common. Against hundreds of documents it changes little.
    lead_prior_docs: int = 100
    # A chain of pairwise links (A opens like B, B like C) is a topic, not an event: in a
    # story of four or more articles, each article's lead must pass lead_min with at
    # least this many of the others (an article at the end of a chain has one). 0: the
    # best pair is enough.
    lead_mates: int = 2
    # A roundup (a daily deals list, a week's transport news, a debate preview) opens with one
    # item and moves on; a report of an event names its who and what throughout. Two
    # articles link only when each echoes the other's lead across its passages at least
    # this much: the summed rarity of the lead's words, each times the share of the
    # passages (features.ECHO_WINDOW tokens) that hold it. A text of one passage echoes
    # as much as its words overlap the lead. 0: no such test.
    echo_min: float = 0.75


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

    @classmethod
    def from_features(
        cls,
        article_id: str,
        features: Features,
        published: datetime | None = None,
        language: str | None = None,
        precision: str | None = None,
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
        )

    @classmethod
    def from_terms(
        cls,
        article_id: str,
        terms: Mapping[str, dict[str, float]],
        published: datetime | None = None,
        language: str | None = None,
        precision: str | None = None,
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


def _top(vec: Mapping[str, float], k: int) -> list[str]:
    return sorted(vec, key=lambda t: (-vec[t], t))[:k]


def _days(d: datetime | None) -> float:
    return d.timestamp() / 86400 if d is not None else math.nan


class StoryIndex:
    """Stories, stored article features, document frequencies and an inverted index.

    Everything here is a plain table; `to_rows`/`from_rows` round-trip the whole state.
    """

    def __init__(self, params: Params | None = None) -> None:
        self.params = params or Params()
        self.stories: dict[int, StoryState] = {}
        self.articles: dict[str, ArticleFeatures] = {}
        self.story_of: dict[str, int] = {}
        self.docfreq = DocFreq()
        self.postings: dict[str, set[int]] = {}
        self.story_keys: dict[int, set[str]] = {}
        self.next_id = 1
        self.events: list[StoryEvent] = []
        self.last_neighbourhood = 0  # units clustered by the last batch: the cost driver

    def vector(
        self, art: ArticleFeatures, space: str, idf: dict[str, float] | None = None
    ) -> Vector:
        """Unit (1 + log tf) * IDF vector under the current document frequencies (the
        names vector a little shorter than unit: ``Params.names_pseudo``).

        ``idf`` memoises IDFs for one space while the frequencies stay as they are (one
        batch's clustering): a neighbourhood's articles share most of their terms.
        """
        df, n1, log = self.docfreq.df[space], 1 + self.docfreq.n_docs, math.log
        memo = {} if idf is None else idf
        w: dict[str, float] = {}
        for t, c in art.counts(space).items():
            if c > 0:
                v = memo.get(t)
                if v is None:  # DocFreq.idf inlined: the same arithmetic
                    v = memo[t] = log(n1 / (1 + df.get(t, 0)))
                w[t] = (1.0 + log(c)) * v
        sq = sum(v * v for v in w.values())
        if space == "entities" and sq > 0:
            sq += self.params.names_pseudo * log(n1) ** 2
        norm = math.sqrt(sq)
        return {t: v / norm for t, v in w.items() if v > 0} if norm else {}

    def query_keys(self, art: ArticleFeatures) -> list[str]:
        return self.keys_of({s: self.vector(art, s) for s in ("words", "entities")})

    def keys_of(self, vecs: Mapping[str, Vector]) -> list[str]:
        """The index keys an article's vectors are looked up by: its top terms."""
        k = self.params.query_keys
        return [f"{s[0]}:{t}" for s in ("words", "entities") for t in _top(vecs[s], k)]

    # ---- inverted index -------------------------------------------------------------
    def _reindex(self, story: StoryState) -> None:
        self._unindex(story.story_id)
        keys = {
            f"{s[0]}:{t}"
            for s in ("words", "entities")
            for t in _top(story.centroid[s], self.params.index_keys)
        }
        for key in keys:
            self.postings.setdefault(key, set()).add(story.story_id)
        self.story_keys[story.story_id] = keys

    def _unindex(self, story_id: int) -> None:
        for key in self.story_keys.pop(story_id, set()):
            ids = self.postings.get(key)
            if ids is not None:
                ids.discard(story_id)
                if not ids:
                    del self.postings[key]

    def lookup(self, keys: Iterable[str]) -> list[StoryState]:
        """Open stories sharing most index keys with `keys`, best `max_candidates` first."""
        hits: dict[int, int] = {}
        for key in keys:
            for sid in self.postings.get(key, ()):
                hits[sid] = hits.get(sid, 0) + 1
        best = sorted(hits, key=lambda s: (-hits[s], s))[: self.params.max_candidates]
        return [self.stories[s] for s in best]

    def candidates(self, article: ArticleFeatures) -> list[StoryState]:
        """Candidate stories for an article: inverted-index lookup on its top terms."""
        return self.lookup(self.query_keys(article))

    def close_stale(self, now: datetime) -> list[int]:
        """Close stories idle for more than the window: they leave the candidate index."""
        closed = []
        limit = self.params.window_days * 86400
        for story in self.stories.values():
            if story.closed or story.last_seen is None:
                continue
            if (now - story.last_seen).total_seconds() > limit:
                story.closed = True
                self._unindex(story.story_id)
                closed.append(story.story_id)
        return closed

    # ---- persistence ----------------------------------------------------------------
    def to_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Tables: story, story_term, story_key, article, article_term, term_df, meta."""
        return {
            "story": [
                (
                    s.story_id,
                    s.size,
                    *(s.within[x] for x in SPACES),
                    s.first_seen,
                    s.last_seen,
                    s.closed,
                )
                for s in self.stories.values()
            ],
            "story_term": [
                (s.story_id, space, t, w)
                for s in self.stories.values()
                for space in SPACES
                for t, w in s.centroid[space].items()
            ],
            "story_key": [(k, sid) for k, ids in self.postings.items() for sid in ids],
            "article": [
                (a.article_id, self.story_of[a.article_id], a.published)
                for a in self.articles.values()
            ],
            "article_term": [
                (a.article_id, space, t, c)
                for a in self.articles.values()
                for space in SPACES
                for t, c in a.counts(space).items()
            ]
            + [
                (a.article_id, "lead", t, 1.0)
                for a in self.articles.values()
                for t in sorted(a.lead or ())
            ]
            + [
                (a.article_id, "spread", t, f)
                for a in self.articles.values()
                for t, f in a.spread.items()
            ],
            "term_df": [(sp, t, n) for sp in SPACES for t, n in self.docfreq.df[sp].items()],
            "meta": [("n_docs", self.docfreq.n_docs), ("next_story_id", self.next_id)],
        }

    @classmethod
    def from_rows(
        cls, rows: Mapping[str, Iterable[tuple[Any, ...]]], params: Params | None = None
    ) -> StoryIndex:
        index = cls(params)
        meta = dict(rows["meta"])
        index.docfreq.n_docs = int(meta["n_docs"])
        index.next_id = int(meta["next_story_id"])
        for sp, t, n in rows["term_df"]:
            index.docfreq.df[sp][t] = int(n)
        for sid, size, *within, first, last, closed in rows["story"]:
            index.stories[sid] = StoryState(
                sid,
                size,
                dict(zip(SPACES, within, strict=True)),
                first,
                last,
                closed=bool(closed),
            )
        for sid, space, t, w in rows["story_term"]:
            index.stories[sid].centroid[space][t] = w
        counts: dict[str, dict[str, dict[str, float]]] = {}
        for aid, space, t, c in rows["article_term"]:
            counts.setdefault(aid, {}).setdefault(space, {})[t] = c
        for aid, sid, published in rows["article"]:
            index.articles[aid] = ArticleFeatures.from_terms(aid, counts.get(aid, {}), published)
            index.story_of[aid] = sid
            index.stories[sid].members.append(aid)
        for key, sid in rows["story_key"]:
            index.postings.setdefault(key, set()).add(sid)
            index.story_keys.setdefault(sid, set()).add(key)
        return index


@dataclass
class _Clusters:
    """Agglomeration state over n neighbourhood articles (numpy, per space)."""

    cross: np.ndarray  # (S, n, n) summed cross-pair cosines between live clusters
    within: np.ndarray  # (S, n) summed ordered within-pair cosines
    present: np.ndarray  # (S, n) members having the space
    size: np.ndarray  # (n,)
    first: np.ndarray  # (n,) days, nan when unknown
    last: np.ndarray
    alive: np.ndarray  # (n,) bool
    members: list[list[int]]
    # (n, L) members per language. Content words of two articles in different languages
    # are not comparable (their vocabularies differ), so the words space averages over
    # same-language pairs only, and is missing (neutral) between clusters that share no
    # language; names and numbers are language-free and compare across languages.
    lang: np.ndarray | None = None
    # (n, n) the best lead overlap of any cross pair of members (Params.lead_min), 0 for a
    # pair that does not echo each other's lead (Params.echo_min); inf where not known (a
    # frozen story, an older article, two languages).
    lead: np.ndarray | None = None
    # (n,) every member a web page that states no publication time (Params.dateless_apart)
    dateless: np.ndarray | None = None


def _scores(
    c: _Clusters, rows: np.ndarray | slice, p: Params, parts: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Normalised average-link of clusters `rows` against all: (combined, per-space, time).
    ``rows`` may be ``slice(None)`` for every cluster (a view, not a copy of the cross
    sums); ``parts=False`` skips the per-space array that only a join step reports.

    One space at a time: (rows x n) arrays, never (spaces x rows x n) temporaries.
    """
    m = p.prior_pairs
    coh = np.maximum((c.within + p.prior_coherence * m) / (c.size * (c.size - 1) + m), 0.02)
    n_r, n_all = c.size[rows][:, None], c.size[None, :]
    pairs = n_r * n_all
    num = np.zeros(np.broadcast_shapes(n_r.shape, n_all.shape))
    den = np.zeros_like(num)
    veto = np.zeros(num.shape, dtype=bool)
    per_space = []
    content = np.zeros_like(num)  # the best of words and names: what numbers may back
    # (rows x n) same-language cross pairs: the words space compares only those, and
    # numbers that do not match count for nothing between clusters with none
    same = c.lang[rows] @ c.lang.T if c.lang is not None else None
    for s, (w, floor) in enumerate(zip(p.weights, p.veto_floor, strict=True)):
        if s == WORDS and same is not None:
            own = (c.lang * (c.lang - 1)).sum(axis=1)  # same-language ordered within pairs
            cw = np.maximum((c.within[s] + p.prior_coherence * m) / (own + m), 0.02)
            with np.errstate(divide="ignore", invalid="ignore"):
                per = c.cross[s, rows, :] / np.maximum(same, 1)
                per = per / np.sqrt(cw[rows][:, None] * cw[None, :])
            pres = (c.present[s, rows][:, None] > 0) & (c.present[s][None, :] > 0) & (same > 0)
        else:
            per = c.cross[s, rows, :] / pairs / np.sqrt(coh[s, rows][:, None] * coh[s][None, :])
            pres = (c.present[s, rows][:, None] > 0) & (c.present[s][None, :] > 0)
        if p.saturation > 0:  # one space far above 1 cannot outvote the others
            per = np.minimum(per, p.saturation)
        if s == NUMBERS and same is not None and p.numbers_neutral_across:
            pres = pres & ~((same == 0) & (per <= 0.0))
        if s == NUMBERS and p.numbers_cap > 0:
            # Numbers back what the text says; alone (scores, years, counts) they link
            # unrelated reports.
            per = np.minimum(per, p.numbers_cap * content)
        else:
            content = np.maximum(content, per * pres)
        # A space only some members of a cluster have weighs by the share that has it.
        frac = c.present[s] / np.maximum(c.size, 1)
        wt = w * np.sqrt(frac[rows][:, None] * frac[None, :]) * pres
        den += wt
        num += wt * per
        if s == NAMES and p.nameless_weight > 0:
            nameless = (c.present[s, rows][:, None] == 0) & (c.present[s][None, :] == 0)
            den += w * p.nameless_weight * nameless
        veto |= pres & (per < floor)
        if s == NAMES:
            apart = pres & (per <= 0.0) if p.names_apart else np.zeros_like(pres)
        if parts:
            per_space.append(per * pres)
    comb = np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)
    gap = np.fmax(c.first[None, :] - c.last[rows, None], c.first[rows, None] - c.last[None, :])
    gap = np.maximum(gap, 0.0)
    time = 1.0 - p.time_weight + p.time_weight * np.exp(-gap / p.time_scale_days)
    time = np.where(np.isnan(time), 1.0, time)
    if c.dateless is not None and p.dateless_apart:
        either = c.dateless[rows][:, None] | c.dateless[None, :]
        time = np.where(either, 1.0 - p.time_weight, time)
    comb = comb * time - p.size_penalty / np.sqrt(pairs)
    big = np.minimum(n_r, n_all) >= p.veto_min_size
    comb = np.where(big & veto, -1.0, comb)
    comb = np.where(apart, np.minimum(comb, 0.0), comb)
    if c.lead is not None and p.lead_min > 0:
        comb = np.where(c.lead[rows, :] < p.lead_min, np.minimum(comb, 0.0), comb)
    if not parts:
        return comb, None
    return comb, np.stack([*per_space, time])


def _join(c: _Clusters, i: int, j: int) -> None:
    """Fold cluster j into cluster i; pair sums are additive, so this is exact."""
    c.within[:, i] += c.within[:, j] + 2 * c.cross[:, i, j]
    c.cross[:, i, :] += c.cross[:, j, :]
    c.cross[:, :, i] += c.cross[:, :, j]
    c.cross[:, i, i] = 0.0
    c.cross[:, j, :] = 0.0
    c.cross[:, :, j] = 0.0
    c.present[:, i] += c.present[:, j]
    c.size[i] += c.size[j]
    c.first[i] = np.fmin(c.first[i], c.first[j])
    c.last[i] = np.fmax(c.last[i], c.last[j])
    c.members[i] += c.members[j]
    c.members[j] = []
    c.alive[j] = False
    if c.lang is not None:
        c.lang[i] += c.lang[j]
        c.lang[j] = 0.0
    if c.dateless is not None:
        c.dateless[i] &= c.dateless[j]
    if c.lead is not None:
        c.lead[i, :] = np.maximum(c.lead[i, :], c.lead[j, :])
        c.lead[:, i] = c.lead[i, :]


def _agglomerate(
    c: _Clusters, p: Params, must_link: Iterable[list[int]] = (), apart: ApartTags | None = None
) -> dict[int, tuple[float, list[float]]]:
    """Best pair first, until no pair reaches the threshold. Returns first-join steps.

    ``must_link`` unit groups (the versions of one article: a duplicate group; an
    analyst's merge or move) are joined before anything else, so a duplicate group never
    spans two stories. ``apart`` (an analyst's splits) forbids joins, whatever the score.
    """
    n = len(c.size)
    passes = _lead_passes(c, p)  # of the units, before any join
    root = list(range(n))
    for units in must_link:
        live = sorted({root[u] for u in units})
        for j in live[1:]:
            if apart is not None and apart.conflicts(live[0])[j]:
                continue  # a split outranks a link that would bridge it
            _join(c, live[0], j)
            if apart is not None:
                apart.join(live[0], j)
            for u in c.members[live[0]]:
                root[u] = live[0]
    if passes is not None:
        _lead_groups(passes[0], [m for m in c.members if len(m) > 1])
    sc, _ = _scores(c, slice(None), p, parts=False)
    np.fill_diagonal(sc, -np.inf)
    sc[~c.alive, :] = -np.inf
    sc[:, ~c.alive] = -np.inf
    if apart is not None:
        sc[apart.matrix()] = -np.inf
    first_join: dict[int, tuple[float, list[float]]] = {}
    while n > 1:
        flat = int(np.argmax(sc))
        i, j = divmod(flat, n)
        if sc[i, j] < p.threshold:
            break
        if passes is not None and not _leads_hold(c, passes, i, j, p.lead_mates):
            sc[i, j] = sc[j, i] = -np.inf  # until i or j changes (its row is recomputed)
            continue
        _, parts = _scores(c, np.array([i]), p)
        step = [float(x) for x in parts[:, 0, j]]
        for k in (*c.members[i], *c.members[j]):
            first_join.setdefault(k, (float(sc[i, j]), step))
        _join(c, i, j)
        sc[j, :] = -np.inf
        sc[:, j] = -np.inf
        row, _ = _scores(c, np.array([i]), p, parts=False)
        row = np.where(c.alive, row[0], -np.inf)
        row[i] = -np.inf
        if apart is not None:
            apart.join(i, j)
            row[apart.conflicts(i)] = -np.inf
        sc[i, :] = row
        sc[:, i] = row
    return first_join


def _lead_passes(c: _Clusters, p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Before any join: (n, n) whose lead passes with whose (Params.lead_min), a frozen
    story or an unknown lead passing with all; the units' sizes; which units are single
    articles. None without the lead mates rule."""
    if c.lead is None or p.lead_min <= 0 or p.lead_mates <= 0:
        return None
    passes = c.lead >= p.lead_min
    np.fill_diagonal(passes, False)
    return passes, c.size.copy(), c.size == 1


def _lead_groups(passes: np.ndarray, groups: list[list[int]]) -> None:
    """The units of a forced group (a duplicate group, an analyst's merge or move) pass
    with one another, and with whatever any of them passes with: the group counts as one
    article with all its openings, so an analyst's merge never blocks later joins."""
    for units in groups:
        any_of = passes[units].any(axis=0)
        passes[units, :] = any_of
        passes[:, units] = any_of[:, None]
        passes[np.ix_(units, units)] = True
        passes[units, units] = False


def _leads_hold(
    c: _Clusters, passes: tuple[np.ndarray, np.ndarray, np.ndarray], i: int, j: int, mates: int
) -> bool:
    """Would each single article of clusters i and j joined pass its lead with at least
    ``mates`` of the others? Checked from four articles on: up to three, a pair passing
    (the gate of _scores) is all the evidence there is."""
    others = c.size[i] + c.size[j] - 1
    if others < 3:
        return True
    matrix, size, single = passes
    units = np.array(c.members[i] + c.members[j])
    counts = matrix[np.ix_(units[single[units]], units)] @ size[units]
    return bool((counts >= mates).all())


def _frozen(story: StoryState, p: Params) -> bool:
    """Does this candidate story join the neighbourhood as one unit?"""
    return not p.recluster_members or story.size > p.recluster_max_size


def _neighbourhood(
    linked: list[StoryState], ranked: list[list[StoryState]], n_batch: int, p: Params
) -> tuple[dict[int, StoryState], set[int]]:
    """The candidate stories a batch is clustered with, within ``max_neighbourhood`` units,
    and which of them join frozen (one unit each).

    The stories of linked versions come first and always (frozen when their members do
    not fit); then every article's best candidate, every article's second best, and so
    on, while the units fit: a busy day's batch sees fewer candidates per article, never
    a neighbourhood that outgrows memory.
    """
    cand: dict[int, StoryState] = {st.story_id: st for st in linked}
    frozen = {sid for sid, st in cand.items() if _frozen(st, p)}
    units = n_batch + len(cand)  # every linked story takes at least its one unit
    for sid, st in cand.items():
        if sid not in frozen:
            if units + st.size - 1 <= p.max_neighbourhood:
                units += st.size - 1
            else:
                frozen.add(sid)
    for rank in range(max((len(r) for r in ranked), default=0)):
        for stories in ranked:
            if rank >= len(stories) or stories[rank].story_id in cand:
                continue
            st = stories[rank]
            cost = 1 if _frozen(st, p) else st.size
            if units + cost <= p.max_neighbourhood:
                cand[st.story_id] = st
                units += cost
                if _frozen(st, p):
                    frozen.add(st.story_id)
    return cand, frozen


def lead_weights(
    art: ArticleFeatures, docfreq: DocFreq, prior_docs: int = 0
) -> dict[str, float] | None:
    """Each lead term's rarity, log((1 + N) / (1 + df)) / log(1 + N) over N documents
    (plus ``prior_docs`` without the term): 1 for a term of one document, 0 for a term of
    every document. None when the article's lead is not known."""
    if art.lead is None:
        return None
    n1 = 1 + docfreq.n_docs + prior_docs
    top = math.log(n1)
    df = docfreq.df["words"]
    return {t: math.log(n1 / (1 + df.get(t, 0))) / top for t in art.lead}


def lead_overlap(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """How much two leads share: the summed rarity of their common terms."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return sum(w for t, w in small.items() if t in big)


def _pair_leads(
    a: ArticleFeatures, b: ArticleFeatures, docfreq: DocFreq, params: Params | None
) -> tuple[dict[str, float], dict[str, float]] | None:
    """The two lead weights, None where the gate does not apply (a lead not known, or two
    languages: their words cannot be compared)."""
    prior = (params or Params()).lead_prior_docs
    la, lb = lead_weights(a, docfreq, prior), lead_weights(b, docfreq, prior)
    if la is None or lb is None or (a.language or UND) != (b.language or UND):
        return None
    return la, lb


def pair_lead(
    a: ArticleFeatures, b: ArticleFeatures, docfreq: DocFreq, params: Params | None = None
) -> float | None:
    """The lead overlap of two articles, None where the gate does not apply."""
    leads = _pair_leads(a, b, docfreq, params)
    return None if leads is None else lead_overlap(*leads)


def pair_echo(
    a: ArticleFeatures, b: ArticleFeatures, docfreq: DocFreq, params: Params | None = None
) -> float | None:
    """How much of each other's lead two articles echo throughout (the smaller of the two
    ``lead_echo``), None where the gate does not apply."""
    leads = _pair_leads(a, b, docfreq, params)
    return None if leads is None else min(lead_echo(a, leads[1]), lead_echo(b, leads[0]))


def _lead_matrix(
    weights: list[dict[str, float] | None],
    langs: list[str | None],
    arts: list[ArticleFeatures | None] | None = None,
    echo_min: float = 0.0,
) -> np.ndarray:
    """(n, n) lead overlaps; inf where either lead is unknown or the languages differ
    (``UND`` is a language here, as in the words space: unknown compares with unknown).
    With ``arts`` and ``echo_min``: 0 where the two do not echo each other's lead
    throughout their texts (``echo``)."""
    x, vocab = _sparse_rows([w or {} for w in weights])
    ones = x.copy()
    ones.data[:] = 1.0
    out = (x @ ones.T).toarray()
    if arts is not None and echo_min > 0:
        out[_echo(x, vocab, arts) < echo_min] = 0.0
    unknown = np.array([w is None for w in weights])
    out[unknown[:, None] | unknown[None, :] | _languages_differ(langs)] = np.inf
    return out


def _echo(x: Any, vocab: dict[str, int], arts: list[ArticleFeatures | None]) -> np.ndarray:
    """(n, n) ``lead_echo`` of every pair: ``x`` holds the lead weights (rows) over
    ``vocab``; a unit that is no article (a frozen story) echoes nothing (``_lead_matrix``
    sets its pairs to inf)."""
    from scipy import sparse

    rows, cols, vals = [], [], []
    for k, a in enumerate(arts):
        if a is None:
            continue
        for t in a.words:
            col = vocab.get(t)
            if col is not None:
                rows.append(k)
                cols.append(col)
                vals.append(passage_share(a.words, a.spread, t))
    f = sparse.csr_matrix((vals, (rows, cols)), shape=x.shape)
    e = (f @ x.T).toarray()
    return np.minimum(e, e.T)


def lead_echo(a: ArticleFeatures, b_lead: Mapping[str, float]) -> float:
    """How much of b's lead a echoes throughout: the summed rarity of b's lead words, each
    times the share of a's passages that hold it (features.passage_share)."""
    return sum(w * passage_share(a.words, a.spread, t) for t, w in b_lead.items())


def _sparse_rows(rows: Sequence[Mapping[str, float]]) -> tuple[Any, dict[str, int]]:
    """A CSR matrix of term -> value rows over their own local vocabulary (returned too).

    Sparse: a neighbourhood of n articles has tens of thousands of distinct terms, each
    article a few hundred, so a dense (n x vocabulary) matrix would be mostly zeros.
    """
    from scipy import sparse  # a datasketch dependency; imported where it is used

    vocab: dict[str, int] = {}
    cols: list[int] = []
    vals: list[float] = []
    ptr = [0]
    for row in rows:
        for t, val in row.items():
            cols.append(vocab.setdefault(t, len(vocab)))
            vals.append(val)
        ptr.append(len(cols))
    return sparse.csr_matrix((vals, cols, ptr), shape=(len(rows), max(len(vocab), 1))), vocab


def _languages_differ(langs: list[str | None]) -> np.ndarray:
    """(n, n) True where both units have one known language and the two differ."""
    code = {c: k for k, c in enumerate(sorted({x for x in langs if x}))}
    lid = np.array([code[x] if x else -1 for x in langs])
    return (lid[:, None] != lid[None, :]) & (lid[:, None] >= 0) & (lid[None, :] >= 0)


def _shared_names(a: Vector, b: Vector) -> int:
    """Distinct names two vectors share; a several-word name counts through its parts."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return sum(1 for t in small if "_" not in t and t in big)


def _similarities(
    vecs: list[dict[str, Vector]], langs: list[str | None] | None = None, min_names: int = 0
) -> np.ndarray:
    """(S, n, n) cosine matrices over a neighbourhood-local vocabulary (sparse rows).

    ``langs``: each unit's one language (None: unknown or several); two units of
    different languages keep their names' cosine only when they share ``min_names``.
    """
    n = len(vecs)
    out = np.zeros((len(SPACES), n, n))
    for s, space in enumerate(SPACES):
        x, vocab = _sparse_rows([v[space] for v in vecs])
        out[s] = (x @ x.T).toarray()
        np.fill_diagonal(out[s], 0.0)
        if space == "entities" and langs is not None and min_names > 1:
            single = [t.count("_") == 0 for t in vocab]  # parts, not the joined names
            keep = np.flatnonzero(single)
            b = x[:, keep].copy()
            b.data[:] = 1.0
            shared = (b @ b.T).toarray()
            out[s][_languages_differ(langs) & (shared < min_names)] = 0.0
    return out


def assign_batch(
    articles: list[ArticleFeatures],
    index: StoryIndex,
    now: datetime | None = None,
    must_link: Iterable[Iterable[str]] = (),
    apart: Sequence[Apart] = (),
) -> list[Assignment]:
    """Cluster one batch into `index` (mutated); one Assignment per batch article.

    Changes to older articles (moves, absorbed stories) are appended to `index.events`.
    ``must_link`` lists article ids that must share a story (duplicate groups, an
    analyst's merges and moves); ``apart`` pairs of article sets that never share one
    (an analyst's splits; mediawatch.cluster.constraints). Ids outside the
    neighbourhood are ignored.
    """
    p = index.params
    for art in articles:
        index.docfreq.add(art)
        index.articles[art.article_id] = art
    dates = [a.published for a in articles if a.published is not None]
    if now is None and dates:
        now = max(dates)
    if now is not None:
        index.close_stale(now)

    batch_ids = [a.article_id for a in sorted(articles, key=lambda a: a.article_id)]
    # The story of a stored version of a batch article is a candidate whatever the term
    # index says (its terms may not look alike at all, e.g. while the archive is too
    # small for idf): a duplicate group never spans two stories.
    must_link = [list(group) for group in must_link]
    linked_stories = [
        index.stories[sid]
        for group in must_link
        for aid in group
        if (sid := index.story_of.get(aid)) is not None and sid in index.stories
    ]
    # The frequencies are fixed from here: each batch article's vectors, computed once,
    # give its index keys now and its row of the neighbourhood below.
    idf: dict[str, dict[str, float]] = {x: {} for x in SPACES}
    batch_vecs = {
        aid: {x: index.vector(index.articles[aid], x, idf[x]) for x in SPACES} for aid in batch_ids
    }
    ranked = [index.lookup(index.keys_of(batch_vecs[aid])) for aid in batch_ids]
    cand, freeze = _neighbourhood(linked_stories, ranked, len(batch_ids), p)

    # Units of the agglomeration: single articles, or (frozen mode) whole candidate stories.
    units: list[list[str]] = []
    vecs: list[dict[str, Vector]] = []
    size, within, present, first, last = [], [], [], [], []
    in_batch = set(batch_ids)  # a story holding a batch article (a revision) stays open
    frozen = [cand[k] for k in sorted(cand) if k in freeze and in_batch.isdisjoint(cand[k].members)]
    frozen_ids = {st.story_id for st in frozen}
    members = {m for st in cand.values() if st.story_id not in frozen_ids for m in st.members}
    singles = sorted(in_batch | members)
    for st in frozen:
        units.append(list(st.members))
        vecs.append(st.centroid)
        size.append(st.size)
        within.append([st.within[x] for x in SPACES])
        present.append([st.size if st.centroid[x] else 0 for x in SPACES])
        first.append(_days(st.first_seen))
        last.append(_days(st.last_seen))
    langs: list[dict[str, int]] = [
        dict(Counter(index.articles[m].language or UND for m in st.members if m in index.articles))
        or {UND: st.size}
        for st in frozen
    ]
    for aid in singles:
        art = index.articles[aid]
        units.append([aid])
        vecs.append(batch_vecs.get(aid) or {x: index.vector(art, x, idf[x]) for x in SPACES})
        size.append(1)
        within.append([0.0] * len(SPACES))
        present.append([1 if vecs[-1][x] else 0 for x in SPACES])
        first.append(_days(art.published))
        last.append(_days(art.latest))
        langs.append({art.language or UND: 1})
    n = len(units)
    index.last_neighbourhood = n
    codes = sorted({code for counts in langs for code in counts})
    lang = np.zeros((n, len(codes)))
    for k, counts in enumerate(langs):
        for code, cnt in counts.items():
            lang[k, codes.index(code)] = cnt
    one_lang = [next(iter(x)) if len(x) == 1 and UND not in x else None for x in langs]
    c = _Clusters(
        cross=_similarities(vecs, one_lang, p.cross_language_names),
        within=np.array(within, dtype=float).T.reshape(len(SPACES), n),
        present=np.array(present, dtype=float).T.reshape(len(SPACES), n),
        size=np.array(size, dtype=float),
        first=np.array(first),
        last=np.array(last),
        alive=np.ones(n, dtype=bool),
        members=[[k] for k in range(n)],
        lang=lang,
        # a frozen story (over recluster_max_size articles) is no evergreen page
        dateless=np.array(
            [False] * len(frozen) + [index.articles[aid].dateless for aid in singles], dtype=bool
        ),
        lead=_lead_matrix(
            [None] * len(frozen)
            + [
                lead_weights(index.articles[aid], index.docfreq, p.lead_prior_docs)
                for aid in singles
            ],
            [None] * len(frozen) + [index.articles[aid].language or UND for aid in singles],
            [None] * len(frozen) + [index.articles[aid] for aid in singles],
            p.echo_min,
        )
        if p.lead_min > 0
        else None,
    )
    sims, present0, size0, lang0 = c.cross.copy(), c.present.copy(), c.size.copy(), lang.copy()
    unit_index = {aid: k for k in range(n) for aid in units[k]}
    links = [[unit_index[a] for a in group if a in unit_index] for group in must_link]
    links = [g for g in links if len(g) > 1]
    first_join = _agglomerate(c, p, links, ApartTags.build(units, apart))
    linked = {u for g in links for u in g}
    roots = [k for k in range(n) if c.alive[k]]
    clusters = [c.members[k] for k in roots]
    cluster_of = {aid: ci for ci, mem in enumerate(clusters) for k in mem for aid in units[k]}

    # Stable ids: the biggest overlaps between new clusters and old stories keep old ids.
    batch_set = in_batch
    overlaps = []
    for ci, mem in enumerate(clusters):
        counts: dict[int, int] = {}
        for aid in (aid for k in mem for aid in units[k] if aid not in batch_set):
            counts[index.story_of[aid]] = counts.get(index.story_of[aid], 0) + 1
        overlaps += [(-cnt, sid, ci) for sid, cnt in counts.items()]
    story_for: dict[int, int] = {}
    used: set[int] = set()
    for _, sid, ci in sorted(overlaps):
        if ci not in story_for and sid not in used:
            story_for[ci] = sid
            used.add(sid)
    for ci in range(len(clusters)):
        if ci not in story_for:
            story_for[ci] = index.next_id
            index.next_id += 1
    for sid in sorted(set(cand) - used):
        where = [story_for[cluster_of[m]] for m in index.stories[sid].members]
        index.events.append(StoryEvent("merged", None, sid, max(set(where), key=where.count)))
        index._unindex(sid)
        del index.stories[sid]

    for ci, (root, mem) in enumerate(zip(roots, clusters, strict=True)):
        story = StoryState(story_for[ci])
        for k in mem:
            for x in SPACES:
                cen = story.centroid[x]
                for t, v in vecs[k][x].items():
                    cen[t] = cen.get(t, 0.0) + v
            for aid in units[k]:
                old = index.story_of.get(aid)
                if old is not None and old != story.story_id and aid not in batch_set:
                    index.events.append(StoryEvent("moved", aid, old, story.story_id))
                index.story_of[aid] = story.story_id
                story.members.append(aid)
                art = index.articles[aid]
                if art.published is not None and art.latest is not None:
                    story.first_seen = min(story.first_seen or art.published, art.published)
                    story.last_seen = max(story.last_seen or art.latest, art.latest)
        for s, x in enumerate(SPACES):
            story.within[x] = float(c.within[s, root])
            story.centroid[x] = {
                t: story.centroid[x][t] for t in _top(story.centroid[x], p.top_k[s])
            }
        story.size = len(story.members)
        index.stories[story.story_id] = story
        index._reindex(story)

    unit_of = {units[k][0]: k for k in range(n) if len(units[k]) == 1}
    ids = [story_for[ci] for ci in range(len(clusters))]
    within_cl = c.within[:, roots]
    return _explain(
        index,
        articles,
        unit_of,
        clusters,
        ids,
        size0,
        present0,
        sims,
        within_cl,
        used,
        first_join,
        linked,
        lang0,
    )


def _explain(
    index: StoryIndex,
    articles: list[ArticleFeatures],
    pos: dict[str, int],
    clusters: list[list[int]],
    ids: list[int],
    unit_size: np.ndarray,
    present: np.ndarray,
    sims: np.ndarray,
    within: np.ndarray,
    existed: set[int],
    first_join: dict[int, tuple[float, list[float]]],
    linked: set[int] = frozenset(),  # type: ignore[assignment]
    lang: np.ndarray | None = None,
) -> list[Assignment]:
    """Per batch article: the joining step, its fit to its story and to the best rival.

    An article that only joined through its duplicate group (``linked``) says so:
    reason ``duplicate``.

    Fit = normalised average-link of the article with a cluster (its own without itself).
    """
    p = index.params
    w = np.asarray(p.weights)[:, None]
    n_cl = len(clusters)
    onehot = np.zeros((sims.shape[1], n_cl))
    for ci, mem in enumerate(clusters):
        onehot[mem, ci] = 1.0
    size = unit_size @ onehot
    n_present = present @ onehot  # (S, C) members having each space
    label = np.full(sims.shape[1], n_cl)  # each unit's cluster (n_cl: none)
    for ci, mem in enumerate(clusters):
        label[mem] = ci
    out = []
    for art in articles:
        k = pos[art.article_id]
        own = int(np.argmax(onehot[k]))
        # (S, C) sums of k's similarities per cluster: bincount, not a dense (n x C) product
        cross = np.stack(
            [np.bincount(label, weights=row, minlength=n_cl + 1)[:n_cl] for row in sims[:, k, :]]
        )
        n_other = size - onehot[k]
        wthn = within - 2 * cross * onehot[k][None, :]
        m = p.prior_pairs
        coh = np.maximum((wthn + p.prior_coherence * m) / (n_other * (n_other - 1) + m), 0.02)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = cross / np.maximum(n_other, 1) / np.sqrt(p.prior_coherence * coh)
        pres = (present[:, k][:, None] > 0) & (n_present - present[:, k][:, None] * onehot[k] > 0)
        if lang is not None:  # content words: same-language members only
            n_same = (lang @ lang[k]) @ onehot - onehot[k]
            coh_w = np.maximum(
                (wthn[WORDS] + p.prior_coherence * m) / (n_same * (n_same - 1) + m), 0.02
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                per[WORDS] = (
                    cross[WORDS] / np.maximum(n_same, 1) / np.sqrt(p.prior_coherence * coh_w)
                )
            pres[WORDS] &= n_same > 0
        den = (w * pres).sum(axis=0)
        others_named = n_present[NAMES] - present[NAMES, k] * onehot[k]
        nameless = (present[NAMES, k] == 0) & (others_named == 0) & (n_other > 0)
        den = den + p.weights[NAMES] * p.nameless_weight * nameless
        fit = np.where(den > 0, (w * per * pres).sum(axis=0) / np.maximum(den, 1e-12), 0.0)
        fit = np.where(n_other > 0, fit, 0.0)
        if p.names_apart:  # as _scores: named on both sides, no name shared
            fit = np.where(pres[NAMES] & (per[NAMES] <= 0.0), np.minimum(fit, 0.0), fit)
        rival = _best_rival(fit, own, n_other)
        score, step = first_join.get(k, (0.0, [0.0] * len(SPACES) + [1.0]))
        sid = index.story_of[art.article_id]
        if k in linked and k not in first_join:
            reason = "duplicate"
        else:
            reason = "attached" if sid in existed else "new" if size[own] == 1 else "new:with-batch"
        out.append(
            Assignment(
                art.article_id,
                sid,
                reason,
                score,
                dict(zip(SPACES, step[:-1], strict=True)),
                step[-1],
                p.threshold,
                float(fit[own]),
                float(fit[own]) - rival[0],
                ids[rival[1]] if rival[1] >= 0 else None,
                n_cl,
            )
        )
    return out


def _best_rival(fit: np.ndarray, own: int, n_other: np.ndarray) -> tuple[float, int]:
    """The best-fitting other cluster with members: (fit, index), or (0.0, -1) if none.
    Ties go to the later cluster."""
    ok = n_other > 0
    ok[own] = False
    if not ok.any():
        return 0.0, -1
    masked = np.where(ok, fit, -np.inf)
    cj = len(masked) - 1 - int(np.argmax(masked[::-1]))
    return float(masked[cj]), cj


def story_labels(index: StoryIndex) -> dict[str, int]:
    """article id -> story id for every stored article."""
    return dict(index.story_of)


def pair_score(
    a: ArticleFeatures, b: ArticleFeatures, docfreq: DocFreq, params: Params | None = None
) -> tuple[float, dict[str, float], float]:
    """How the clusterer scores two single articles: (combined, per space, time factor).

    For two singletons the normalised average-link is the cosine divided by the prior
    coherence, saturated, with numbers capped by the better of words and names, as in
    ``_scores``; this is the score two articles need (>= threshold) to start a story.
    """
    p = params or Params()
    index = StoryIndex(p)
    index.docfreq = docfreq
    per: dict[str, float] = {}
    num = den = 0.0
    content = 0.0
    apart = False  # both name something, and nothing the same (Params.names_apart)
    two_languages = (a.language or UND) != (b.language or UND)
    for s, space in enumerate(SPACES):
        if s == WORDS and two_languages:
            continue  # content words of two languages are not comparable
        va, vb = index.vector(a, space), index.vector(b, space)
        if not va or not vb:
            continue
        cos = sum(v * vb.get(t, 0.0) for t, v in va.items())
        if space == "numbers" and two_languages and p.numbers_neutral_across and cos <= 0.0:
            continue  # no shared number across two languages: no evidence either way
        if (
            space == "entities"
            and a.language not in (None, UND)
            and b.language not in (None, UND)
            and a.language != b.language
            and _shared_names(va, vb) < p.cross_language_names
        ):
            cos = 0.0  # one shared name does not link two languages
        score = cos / p.prior_coherence
        apart = apart or (s == NAMES and p.names_apart and score <= 0.0)
        if p.saturation > 0:
            score = min(score, p.saturation)
        if s == NUMBERS and p.numbers_cap > 0:
            score = min(score, p.numbers_cap * content)
        else:
            content = max(content, score)
        per[space] = score
        num += p.weights[s] * score
        den += p.weights[s]
    if not a.entities and not b.entities:
        den += p.weights[NAMES] * p.nameless_weight  # neither names anything
    lead, echo = pair_lead(a, b, docfreq, p), pair_echo(a, b, docfreq, p)
    if p.lead_min > 0 and lead is not None and echo is not None:
        apart = apart or lead < p.lead_min or echo < p.echo_min
    time = 1.0
    if a.published is not None and b.published is not None:
        assert a.latest is not None and b.latest is not None
        between = max(b.published - a.latest, a.published - b.latest)
        gap = max(between.total_seconds(), 0.0) / 86400  # 0 when the intervals overlap
        time = 1.0 - p.time_weight + p.time_weight * math.exp(-gap / p.time_scale_days)
    if p.dateless_apart and (a.dateless or b.dateless):
        time = 1.0 - p.time_weight
    combined = 0.0 if apart else (num / den if den else 0.0) * time
    return combined, per, time
