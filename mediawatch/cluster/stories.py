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
The profile leaves single-digit counts out (`Params.veto_specific`): they are in reports of
every event and look rarer the bigger the archive.
Lead gate: two clusters join only when some pair of their members (of one language) opens
alike, their titles and first words sharing rare words (`Params.lead_min`): two reports of
one event open with the same who and what, two pages on one topic share words further down.
In a story of four or more, each article must open alike with at least two of the
others (`Params.lead_mates`): pages that open alike only in a chain are a topic. And an
article joins a story of two or more only when it opens like the story's lead core, the
lead words its articles share (`Params.lead_core`): a topic neighbour of the same day opens
like one report, not like the event they all report.
A web page that states no publication time anywhere is as far from everything in time as
two articles can be (`Params.dateless_apart`): it joins a story only through its duplicate
group. Text given without a time is neutral.

Where each part lives: ``params`` (the constants), ``records`` (articles, stories,
assignments), ``index`` (the stored stories and their inverted index), ``similarity``
(cosines over sparse rows), ``leads`` (the lead gate and echo), ``agglomerate`` (the
best-pair-first clustering); this module assembles a batch's neighbourhood, runs it and
explains each assignment.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from mediawatch.cluster.agglomerate import PROFILE, Clusters, agglomerate
from mediawatch.cluster.constraints import Apart, ApartTags
from mediawatch.cluster.index import StoryIndex, top_terms
from mediawatch.cluster.leads import (
    LeadTally,
    lead_echo,
    lead_matrix,
    lead_weights,
    pair_echo,
    pair_lead,
)
from mediawatch.cluster.params import Params
from mediawatch.cluster.records import (
    NAMES,
    NUMBERS,
    SPACES,
    UND,
    WORDS,
    ArticleFeatures,
    Assignment,
    DocFreq,
    StoryEvent,
    StoryState,
    Vector,
)
from mediawatch.cluster.similarity import cosine_matrix, shared_names, similarities
from mediawatch.text.dates import common_quantity

__all__ = [
    "NAMES",
    "NUMBERS",
    "SPACES",
    "UND",
    "WORDS",
    "ArticleFeatures",
    "Assignment",
    "DocFreq",
    "Params",
    "StoryEvent",
    "StoryIndex",
    "StoryState",
    "Vector",
    "assign_batch",
    "lead_echo",
    "lead_weights",
    "pair_echo",
    "pair_lead",
    "pair_score",
    "story_labels",
]


def _days(d: datetime | None) -> float:
    return d.timestamp() / 86400 if d is not None else math.nan


def _specific(numbers: Vector, unit: bool) -> Vector:
    """The numbers without common quantities (``common_quantity``), which the veto
    compares (``Params.veto_specific``). A single article's is a unit vector again; a
    frozen story's stays the sum of its members' (not renormalised one by one)."""
    kept = {t: v for t, v in numbers.items() if not common_quantity(t)}
    if unit and kept:
        norm = math.sqrt(sum(v * v for v in kept.values()))
        kept = {t: v / norm for t, v in kept.items()}
    return kept


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
    profile: list[Vector] = []  # the specific numbers (Params.veto_specific)
    for st in frozen:
        units.append(list(st.members))
        vecs.append(st.centroid)
        size.append(st.size)
        profile.append(_specific(st.centroid["numbers"], unit=False))
        # the cohesion of its members' specific numbers is not stored: their numbers' stands in
        within.append([st.within[x] for x in SPACES] + [st.within["numbers"]])
        present.append(
            [st.size if v else 0 for v in (*(st.centroid[x] for x in SPACES), profile[-1])]
        )
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
        profile.append(_specific(vecs[-1]["numbers"], unit=True))
        within.append([0.0] * (len(SPACES) + 1))
        have = (*(vecs[-1][x] for x in SPACES), profile[-1])
        present.append([1 if v else 0 for v in have])
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
    cross = similarities(vecs, one_lang, p.cross_language_names)
    weights = (
        [None] * len(frozen)
        + [lead_weights(index.articles[aid], index.docfreq, p.lead_prior_docs) for aid in singles]
        if p.lead_min > 0
        else []
    )
    unit_langs = [None] * len(frozen) + [index.articles[aid].language or UND for aid in singles]
    c = Clusters(
        cross=np.concatenate([cross, cosine_matrix(profile)[None]]),
        within=np.array(within, dtype=float).T.reshape(PROFILE + 1, n),
        present=np.array(present, dtype=float).T.reshape(PROFILE + 1, n),
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
        lead=lead_matrix(
            weights,
            unit_langs,
            [None] * len(frozen) + [index.articles[aid] for aid in singles],
            p.echo_min,
            p.same_site_lead,
        )
        if p.lead_min > 0
        else None,
        tally=[
            None if w is None or lang is None else LeadTally(lang, w)
            for w, lang in zip(weights, unit_langs, strict=True)
        ]
        if p.lead_min > 0 and p.lead_core > 0
        else None,
    )
    sims, present0 = c.cross[:PROFILE].copy(), c.present[:PROFILE].copy()  # not the profile
    size0, lang0 = c.size.copy(), lang.copy()
    unit_index = {aid: k for k in range(n) for aid in units[k]}
    links = [[unit_index[a] for a in group if a in unit_index] for group in must_link]
    links = [g for g in links if len(g) > 1]
    first_join = agglomerate(c, p, links, ApartTags.build(units, apart))
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
                t: story.centroid[x][t] for t in top_terms(story.centroid[x], p.top_k[s])
            }
        story.size = len(story.members)
        index.stories[story.story_id] = story
        index._reindex(story)

    unit_of = {units[k][0]: k for k in range(n) if len(units[k]) == 1}
    ids = [story_for[ci] for ci in range(len(clusters))]
    within_cl = c.within[:PROFILE, roots]
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
            and shared_names(va, vb) < p.cross_language_names
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
