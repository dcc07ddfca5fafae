"""Recompute what the text analysis derives from stored texts.

When ``mediawatch.fingerprint.SCHEME_VERSION`` changes (new tokens, stems, languages),
stored band keys, term counts and search postings no longer meet those of new
articles. Reindexing recomputes them from the stored texts: the language, the text
hash, LSH band keys, story terms, search postings; then document frequencies and every
live story's profile (summed member vectors, coherence sums, index keys). What was
decided stays: duplicate groups, relations, stories and their members. Pruned
articles keep the rows they have (their text is gone).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from mediawatch.cluster.index import top_terms
from mediawatch.cluster.stories import SPACES, ArticleFeatures, DocFreq, Params, StoryIndex
from mediawatch.fingerprint import SCHEME_VERSION, fingerprint_batch
from mediawatch.records import Article
from mediawatch.text import word_count
from storage import reindex as db
from storage.stories import features_json

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReindexReport:
    articles: int  # texts analysed again
    pruned: int  # kept as they were
    stories: int  # profiles recomputed
    from_scheme: int
    to_scheme: int


def needed(conn: duckdb.DuckDBPyConnection) -> bool:
    """Does this database hold fingerprints of an older text analysis?"""
    return db.text_scheme(conn) < SCHEME_VERSION


def reindex(
    conn: duckdb.DuckDBPyConnection,
    progress: Progress | None = None,
    params: Params | None = None,
) -> ReindexReport:
    """Recompute every derived row (in the caller's transaction)."""
    before = db.text_scheme(conn)
    total, pruned = db.count_indexable(conn)
    done = 0
    for chunk in db.stored_texts(conn):
        _reindex_chunk(conn, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    stories = _rebuild_stories(conn, params or Params())
    db.set_text_scheme(conn, SCHEME_VERSION)
    return ReindexReport(done, pruned, stories, before, SCHEME_VERSION)


def _reindex_chunk(conn: duckdb.DuckDBPyConnection, chunk: list[tuple]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    articles = [
        Article(
            url=f"stored:{aid}",
            original_url=f"stored:{aid}",
            origin="reindex",
            title=title,
            text=text,
            extractor="stored",
            fetched_at=now,
            language=declared,
            declared_language=declared,
        )
        for aid, title, text, declared, _ in chunk
    ]
    fps = fingerprint_batch(articles)
    rows, bands, terms, postings = [], [], [], []
    for (aid, _, text, _, day), f in zip(chunk, fps, strict=True):
        a = f.article
        # the count a new article gets (an older release counted Chinese by whitespace)
        rows.append((aid, a.language, a.language_confidence, f.text_hash, word_count(text)))
        bands.extend((kind, key, aid, day.date()) for kind, key in f.band_keys)
        feats = ArticleFeatures.from_terms(str(aid), f.terms)
        terms.append((aid, features_json(feats)))
        postings.append((aid, f.search_terms or {}))
    db.replace_article_rows(conn, rows, bands, terms, postings)


def _rebuild_stories(conn: duckdb.DuckDBPyConnection, params: Params) -> int:
    """Document frequencies from every article's terms, then each live story's profile
    as the clusterer keeps it: the sum of its members' unit vectors (top terms), the
    summed within-story cosines (|sum|^2 - n for unit vectors), and its index keys."""
    index = StoryIndex(params)
    df = DocFreq()
    for aid, terms, published, language, precision in db.all_terms(conn):
        a = ArticleFeatures.from_terms(str(aid), terms, published, language, precision)
        index.articles[a.article_id] = a
        df.add(a)
    index.docfreq = df
    db.replace_term_df(
        conn, ((space, term, n) for space in SPACES for term, n in df.df[space].items())
    )
    within_rows, term_rows, key_rows = [], [], []
    idf: dict[str, dict[str, float]] = {x: {} for x in SPACES}
    for sid, members in db.story_members(conn).items():
        story_profile(index, sid, members, params, idf, within_rows, term_rows, key_rows)
    db.replace_story_profiles(conn, within_rows, term_rows, key_rows)
    return len(within_rows)


def story_profile(
    index: StoryIndex,
    sid: int,
    members: list[int],
    params: Params,
    idf: dict[str, dict[str, float]],
    within_rows: list,
    term_rows: list,
    key_rows: list,
) -> None:
    """One story's profile rows from its members' features in ``index`` (appended):
    summed unit vectors (top terms), within-story cosine sums, index keys. Also used
    when an analyst's correction changes a story's members (mediawatch.corrections)."""
    within = []
    for s, space in enumerate(SPACES):
        total: Counter[str] = Counter()
        n = 0
        for aid in members:
            art = index.articles.get(str(aid))
            if art is None:
                continue
            vec = index.vector(art, space, idf[space])
            if vec:
                n += 1
                total.update(vec)
        within.append(max(0.0, math.fsum(v * v for v in total.values()) - n))
        for term in top_terms(total, params.top_k[s]):
            term_rows.append((sid, space, term, total[term]))
        if space in ("words", "entities"):
            key_rows.extend((f"{space[0]}:{t}", sid) for t in top_terms(total, params.index_keys))
    within_rows.append((sid, *within))
