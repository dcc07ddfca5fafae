"""The stories and stored article features of an archive, with an inverted index over
each story's top terms: candidate stories for a batch are looked up, never scanned, so
the work depends on the batch, not on the archive's size."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mediawatch.cluster.params import Params
from mediawatch.cluster.records import (
    SPACES,
    ArticleFeatures,
    DocFreq,
    StoryEvent,
    StoryState,
    Vector,
)


def top_terms(vec: Mapping[str, float], k: int) -> list[str]:
    return sorted(vec, key=lambda t: (-vec[t], t))[:k]


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
        return [f"{s[0]}:{t}" for s in ("words", "entities") for t in top_terms(vecs[s], k)]

    # ---- inverted index -------------------------------------------------------------
    def _reindex(self, story: StoryState) -> None:
        self._unindex(story.story_id)
        keys = {
            f"{s[0]}:{t}"
            for s in ("words", "entities")
            for t in top_terms(story.centroid[s], self.params.index_keys)
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
            ]
            + [
                (a.article_id, "common", t, f)
                for a in self.articles.values()
                for t, f in a.common.items()
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
