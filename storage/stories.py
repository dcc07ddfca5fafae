"""The story clusterer's state in DuckDB: load the part a batch needs, write back what changed.

Only the batch's neighbourhood is loaded: document frequencies of the terms involved,
and the open candidate stories found through the ``story_keys`` inverted index, with
their members' term counts. So a batch costs the same against 10,000 or 1,000,000
stored articles.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from mediawatch.cluster.stories import (
    SPACES,
    ArticleFeatures,
    DocFreq,
    Params,
    StoryIndex,
    StoryState,
)
from mediawatch.ingest.urls import site_of
from storage.bulk import insert_rows
from storage.lineage import story_precision


@dataclass
class LoadedStories:
    """A partial StoryIndex plus what is needed to write its changes back."""

    index: StoryIndex
    loaded_story_ids: set[int] = field(default_factory=set)


def _df(conn: duckdb.DuckDBPyConnection, terms: dict[str, set[str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {s: {} for s in SPACES}
    for space, wanted in terms.items():
        if wanted:
            rows = conn.execute(
                "SELECT term, df FROM term_df WHERE space = ? AND term IN (SELECT unnest(?))",
                [space, sorted(wanted)],
            ).fetchall()
            out[space].update(dict(rows))
    return out


def _terms_of(articles: Iterable[ArticleFeatures]) -> dict[str, set[str]]:
    terms: dict[str, set[str]] = {s: set() for s in SPACES}
    for a in articles:
        for s in SPACES:
            terms[s].update(a.counts(s))
    return terms


def n_docs(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT value FROM pipeline_state WHERE name = 'n_docs'").fetchone()[0]


def load(
    conn: duckdb.DuckDBPyConnection,
    batch: list[ArticleFeatures],
    params: Params,
    open_since: datetime,
    also: set[int] | None = None,
) -> LoadedStories:
    """The stored stories a batch may join, as a StoryIndex (batch not yet added).

    ``also`` adds stories that must be in the neighbourhood whatever their terms:
    those of stored duplicates of batch articles.
    """
    # Document frequencies as they will be once the batch is counted: query keys use them.
    docfreq = DocFreq(n_docs=n_docs(conn), df=_df(conn, _terms_of(batch)))
    index = StoryIndex(params)
    index.next_id = conn.execute("SELECT coalesce(max(story_id), 0) + 1 FROM stories").fetchone()[0]
    rows: list[tuple[int]] = []
    if index.next_id > 1:  # an empty archive has no story to look up
        probe = StoryIndex(params)
        probe.docfreq = DocFreq(docfreq.n_docs, {s: dict(d) for s, d in docfreq.df.items()})
        for a in batch:
            probe.docfreq.add(a)
        rows = _candidate_rows(conn, batch, probe, open_since, params)
    story_ids = sorted({r[0] for r in rows} | (also or set()))
    loaded = _load_stories(conn, index, story_ids)
    members = [a for s in index.stories.values() for a in s.members]
    member_feats = _load_features(conn, members)
    extra = _terms_of(member_feats.values())
    for s in SPACES:
        extra[s] -= set(docfreq.df[s])
    for s, d in _df(conn, extra).items():
        docfreq.df[s].update(d)
    index.docfreq = docfreq
    for aid, feats in member_feats.items():
        index.articles[aid] = feats
    return LoadedStories(index, loaded)


def _candidate_rows(
    conn: duckdb.DuckDBPyConnection,
    batch: list[ArticleFeatures],
    probe: StoryIndex,
    open_since: datetime,
    params: Params,
) -> list[tuple[int]]:
    """Candidate stories per article: most shared index keys first, open stories only."""
    per_article = [(a.article_id, probe.query_keys(a)) for a in batch]
    if not any(keys for _, keys in per_article):
        return []
    return conn.execute(
        """
        WITH q AS (SELECT unnest(?) AS article_key, unnest(?) AS key),
        hits AS (
            SELECT q.article_key, k.story_id, count(*) AS n
            FROM q JOIN story_keys k USING (key)
            JOIN stories s USING (story_id)
            WHERE s.merged_into IS NULL AND s.last_date >= ?
            GROUP BY ALL
        )
        SELECT DISTINCT story_id FROM hits
        QUALIFY row_number() OVER (PARTITION BY article_key ORDER BY n DESC, story_id) <= ?
        """,
        [
            [aid for aid, keys in per_article for _ in keys],
            [k for _, keys in per_article for k in keys],
            open_since,
            params.max_candidates,
        ],
    ).fetchall()


def _load_stories(conn: duckdb.DuckDBPyConnection, index: StoryIndex, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    for sid, size, ww, we, wn, first, last in conn.execute(
        """SELECT story_id, size, within_words, within_entities, within_numbers,
                  first_published, last_published
           FROM stories WHERE story_id IN (SELECT unnest(?))""",
        [ids],
    ).fetchall():
        index.stories[sid] = StoryState(
            sid, size, {"words": ww, "entities": we, "numbers": wn}, first, last
        )
    for sid, space, term, weight in conn.execute(
        "SELECT story_id, space, term, weight FROM story_terms"
        " WHERE story_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall():
        index.stories[sid].centroid[space][term] = weight
    for key, sid in conn.execute(
        "SELECT key, story_id FROM story_keys WHERE story_id IN (SELECT unnest(?))", [ids]
    ).fetchall():
        index.postings.setdefault(key, set()).add(sid)
        index.story_keys.setdefault(sid, set()).add(key)
    for aid, sid in conn.execute(
        "SELECT article_id, story_id FROM story_members WHERE story_id IN (SELECT unnest(?))"
        " ORDER BY article_id",
        [ids],
    ).fetchall():
        index.story_of[str(aid)] = sid
        index.stories[sid].members.append(str(aid))
    return set(ids)


def _load_features(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, ArticleFeatures]:
    if not ids:
        return {}
    rows = conn.execute(
        f"""SELECT t.article_id, t.terms, a.published_at, a.language, {story_precision("a")},
                  a.url, a.canonical_url
           FROM article_terms t JOIN articles a USING (article_id)
           WHERE t.article_id IN (SELECT unnest(?))""",
        [[int(i) for i in ids]],
    ).fetchall()
    out = {}
    for aid, terms, published, language, precision, url, canonical in rows:
        out[str(aid)] = ArticleFeatures.from_terms(
            str(aid), json.loads(terms), published, language, precision, site_of(url, canonical)
        )
    return out


def features_json(a: ArticleFeatures) -> str:
    terms: dict[str, dict[str, float]] = {s: a.counts(s) for s in SPACES}
    if a.lead is not None:
        terms["lead"] = dict.fromkeys(sorted(a.lead), 1.0)
    if a.spread:
        terms["spread"] = a.spread
    if a.common:
        terms["common"] = a.common
    return json.dumps(terms, separators=(",", ":"))


def save(
    conn: duckdb.DuckDBPyConnection,
    loaded: LoadedStories,
    batch: list[ArticleFeatures],
    run_id: int,
    now: datetime,
) -> set[int]:
    """Write the clusterer's new state; returns the ids of stories that changed."""
    index = loaded.index
    # Document frequencies: +1 per batch article and term.
    increments: Counter[tuple[str, str]] = Counter(
        (s, t) for a in batch for s in SPACES for t in a.counts(s)
    )
    if increments:
        conn.execute(
            "INSERT INTO term_df SELECT unnest($1), unnest($2), unnest($3)"
            " ON CONFLICT (space, term) DO UPDATE SET df = df + excluded.df",
            [[s for s, _ in increments], [t for _, t in increments], list(increments.values())],
        )
    conn.execute("UPDATE pipeline_state SET value = value + ? WHERE name = 'n_docs'", [len(batch)])
    insert_rows(
        conn,
        "article_terms",
        ["article_id", "terms"],
        [(int(a.article_id), features_json(a)) for a in batch],
    )
    touched = set(index.stories)
    gone = loaded.loaded_story_ids - touched
    ids = sorted(touched | gone)
    if ids:
        conn.execute("DELETE FROM story_terms WHERE story_id IN (SELECT unnest(?))", [ids])
        conn.execute("DELETE FROM story_keys WHERE story_id IN (SELECT unnest(?))", [ids])
    insert_rows(
        conn,
        "story_terms",
        ["story_id", "space", "term", "weight"],
        [
            (sid, space, term, weight)
            for sid, st in index.stories.items()
            for space in SPACES
            for term, weight in st.centroid[space].items()
        ],
    )
    insert_rows(
        conn,
        "story_keys",
        ["key", "story_id"],
        [(key, sid) for sid, ks in index.story_keys.items() for key in ks],
    )
    columns = [
        "story_id",
        "size",
        "within_words",
        "within_entities",
        "within_numbers",
        "first_published",
        "last_published",
    ]
    values = [
        (
            sid,
            st.size,
            st.within["words"],
            st.within["entities"],
            st.within["numbers"],
            st.first_seen,
            st.last_seen,
        )
        for sid, st in index.stories.items()
    ]
    old = [v for v in values if v[0] in loaded.loaded_story_ids]
    new = [v for v in values if v[0] not in loaded.loaded_story_ids]
    if old:
        select = ", ".join(f"unnest(${i + 1}) AS {c}" for i, c in enumerate(columns))
        conn.execute(
            f"""UPDATE stories SET size = v.size, within_words = v.within_words,
                    within_entities = v.within_entities, within_numbers = v.within_numbers,
                    first_published = v.first_published, last_published = v.last_published,
                    updated_at = ${len(columns) + 1}, updated_run = ${len(columns) + 2}
                FROM (SELECT {select}) v WHERE stories.story_id = v.story_id""",
            [*map(list, zip(*old, strict=True)), now, run_id],
        )
    insert_rows(
        conn,
        "stories",
        [
            *columns,
            "n_sources",
            "n_independent",
            "n_groups",
            "first_date",
            "last_date",
            "created_at",
            "updated_at",
            "created_run",
            "updated_run",
        ],
        [(*v, 0, 0, 0, now, now, now, now, run_id, run_id) for v in new],
    )
    return touched


def absorbed(index: StoryIndex) -> dict[int, int]:
    """Stories absorbed by a merge in this batch -> the story that took them."""
    return {e.from_story: e.to_story for e in index.events if e.kind == "merged"}


def open_since(newest: datetime, window_days: int) -> datetime:
    return newest - timedelta(days=window_days)


def replace_terms(conn: duckdb.DuckDBPyConnection, article_id: int, terms: dict) -> None:
    """A revised article's term counts replace the old ones.

    Story profiles and document frequencies are left as they are: they are sums over
    many articles, and one revision moves them little (they settle when the story
    is re-clustered with later batches).
    """
    conn.execute(
        "UPDATE article_terms SET terms = ? WHERE article_id = ?",
        [json.dumps(terms, separators=(",", ":")), article_id],
    )
