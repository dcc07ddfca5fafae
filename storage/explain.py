"""What an explanation needs from the database for one pair of articles."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from mediawatch.ingest.urls import site_of
from mediawatch.match.storymates import StoryCheck
from storage.dedup import furniture, story_checks_of
from storage.lineage import story_precision
from storage.stories import SPACES


@dataclass(frozen=True)
class PairData:
    text_a: str | None  # None: pruned by retention
    text_b: str | None
    terms_a: dict[str, dict]  # as stored (article_terms): per space, and the lead
    terms_b: dict[str, dict]
    published_a: datetime | None
    published_b: datetime | None
    df: dict[str, dict[str, int]]
    n_docs: int
    furniture: set[str]
    story_reason_a: str | None
    story_reason_b: str | None
    language_a: str | None = None
    language_b: str | None = None
    shared_bands: dict[str, int] | None = None  # LSH band keys in common, per kind
    days_apart: float | None = None  # by the dates matching uses (publication, else fetch)
    # each article's check against its story-mates when it arrived (none before schema 11)
    story_checks: dict[int, StoryCheck] = field(default_factory=dict)
    via_story: bool = False  # a group membership of the pair was reached as story-mates
    precision_a: str | None = None  # of the publication times (mediawatch.times)
    precision_b: str | None = None
    site_a: str | None = None  # where each was published (mediawatch.ingest.urls.site_of)
    site_b: str | None = None
    title_a: str | None = None
    title_b: str | None = None
    # (language, stored terms) of the articles of B's story other than A (B among them),
    # and of A's story other than B: what each would have to open like (Params.lead_core);
    # empty for a story too big to be reclustered (it joins as one frozen unit)
    mates_b: list[tuple[str | None, dict]] = field(default_factory=list)
    mates_a: list[tuple[str | None, dict]] = field(default_factory=list)


def pair_data(conn: duckdb.DuckDBPyConnection, id_a: int, id_b: int, story_most: int) -> PairData:
    """``story_most``: the biggest story whose members' leads are loaded (the clusterer's
    recluster_max_size)."""
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            f"""SELECT a.article_id, a.text, a.published_at, t.terms, sm.reason, a.language,
                      a.date, {story_precision("a")}, a.url,
                      a.canonical_url, a.title
               FROM articles a LEFT JOIN article_terms t USING (article_id)
               LEFT JOIN story_members sm USING (article_id)
               WHERE a.article_id IN (?, ?)""",
            [id_a, id_b],
        ).fetchall()
    }
    (text_a, pub_a, terms_a, reason_a, lang_a, date_a, prec_a, url_a, canon_a, title_a) = rows[id_a]
    (text_b, pub_b, terms_b, reason_b, lang_b, date_b, prec_b, url_b, canon_b, title_b) = rows[id_b]
    shared = dict(
        conn.execute(
            """SELECT x.kind, count(*) FROM lsh_bands x
               JOIN lsh_bands y ON x.kind = y.kind AND x.key = y.key
               WHERE x.article_id = ? AND y.article_id = ? GROUP BY x.kind""",
            [id_a, id_b],
        ).fetchall()
    )
    ta, tb = json.loads(terms_a or "{}"), json.loads(terms_b or "{}")
    df: dict[str, dict[str, int]] = {s: {} for s in SPACES}
    for space in SPACES:
        wanted = sorted(set(ta.get(space, {})) | set(tb.get(space, {})))
        if wanted:
            df[space] = dict(
                conn.execute(
                    "SELECT term, df FROM term_df WHERE space = ? AND term IN (SELECT unnest(?))",
                    [space, wanted],
                ).fetchall()
            )
    n_docs = conn.execute("SELECT value FROM pipeline_state WHERE name = 'n_docs'").fetchone()[0]
    decisions = conn.execute(
        "SELECT decision FROM dup_members WHERE article_id IN (?, ?) AND decision IS NOT NULL",
        [id_a, id_b],
    ).fetchall()
    via_story = any(json.loads(d).get("scores", {}).get("story_mates") for (d,) in decisions)
    mates_b, mates_a = (
        story_leads(conn, of, other, story_most) for of, other in ((id_b, id_a), (id_a, id_b))
    )
    return PairData(
        text_a,
        text_b,
        ta,
        tb,
        pub_a,
        pub_b,
        df,
        n_docs,
        furniture(conn),
        reason_a,
        reason_b,
        lang_a,
        lang_b,
        shared,
        abs((date_a - date_b).total_seconds()) / 86400 if date_a and date_b else None,
        story_checks_of(conn, [id_a, id_b]),
        via_story,
        prec_a,
        prec_b,
        site_of(url_a, canon_a),
        site_of(url_b, canon_b),
        title_a,
        title_b,
        mates_b,
        mates_a,
    )


def story_leads(
    conn: duckdb.DuckDBPyConnection, article_id: int, without: int, most: int
) -> list[tuple[str | None, dict]]:
    """(language, stored terms) of the members of ``article_id``'s story but ``without``;
    empty for a story of more than ``most`` articles (the clusterer's recluster_max_size:
    such a story joins as one frozen unit, whose lead is not tested)."""
    rows = conn.execute(
        """SELECT a.language, t.terms FROM story_members m
           JOIN articles a USING (article_id) JOIN article_terms t USING (article_id)
           WHERE m.story_id = (SELECT story_id FROM story_members WHERE article_id = ?)
             AND m.article_id <> ?
           ORDER BY m.article_id LIMIT ?""",
        [article_id, without, most + 1],
    ).fetchall()
    return [] if len(rows) > most else [(lang, json.loads(terms)) for lang, terms in rows]
