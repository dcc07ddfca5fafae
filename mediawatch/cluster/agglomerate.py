"""Agglomeration of a neighbourhood, best pair first: normalised average-link per space,
combined and gated (time, names, the lead gate, its mates and the lead cores), until no
pair reaches the threshold. Cluster sums are additive, so a join is exact and cheap."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mediawatch.cluster.constraints import ApartTags
from mediawatch.cluster.leads import LeadTally, cores_hold
from mediawatch.cluster.params import Params
from mediawatch.cluster.records import NAMES, NUMBERS, SPACES, WORDS

PROFILE = len(SPACES)  # the layer of specific numbers (Params.veto_specific)


@dataclass
class Clusters:
    """Agglomeration state over n neighbourhood articles (numpy, per space).

    ``cross``, ``within`` and ``present`` have a layer per space (``SPACES``) and one more
    (``PROFILE``): the numbers without common quantities, which only the veto compares
    (``Params.veto_specific``).
    """

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
    # per cluster, its articles' leads (Params.lead_core); None for a unit whose lead is
    # not known (a frozen story, an article stored by an older release)
    tally: list[LeadTally | None] | None = None


def _scores(
    c: Clusters, rows: np.ndarray | slice, p: Params, parts: bool = True
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
            per, pres = _average_link(c, s, rows, coh, pairs)
        if p.saturation > 0:  # one space far above 1 cannot outvote the others
            per = np.minimum(per, p.saturation)
        if s == NUMBERS:
            per, pres = _as_numbers(per, pres, same, content, p)
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
        if s != NUMBERS or not p.veto_specific:
            veto |= pres & (per < floor)
        if s == NAMES:
            apart = pres & (per <= 0.0) if p.names_apart else np.zeros_like(pres)
        if parts:
            per_space.append(per * pres)
    if p.veto_specific:  # the veto compares the specific numbers
        per, pres = _average_link(c, PROFILE, rows, coh, pairs)
        per, pres = _as_numbers(np.minimum(per, p.saturation or np.inf), pres, same, content, p)
        veto |= pres & (per < p.veto_floor[NUMBERS])
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


def _average_link(
    c: Clusters, layer: int, rows: np.ndarray | slice, coh: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One layer's mean cross-pair cosine over both clusters' coherence, and where both
    clusters have the layer at all."""
    per = c.cross[layer, rows, :] / pairs / np.sqrt(coh[layer, rows][:, None] * coh[layer][None, :])
    pres = (c.present[layer, rows][:, None] > 0) & (c.present[layer][None, :] > 0)
    return per, pres


def _as_numbers(
    per: np.ndarray, pres: np.ndarray, same: np.ndarray | None, content: np.ndarray, p: Params
) -> tuple[np.ndarray, np.ndarray]:
    """The numbers space's rules on a (rows x n) score: between clusters that share no
    language, no shared number is no evidence (``numbers_neutral_across``); and numbers
    count at most as much as the better of words and names (``numbers_cap``)."""
    if same is not None and p.numbers_neutral_across:
        pres = pres & ~((same == 0) & (per <= 0.0))
    if p.numbers_cap > 0:
        # Numbers back what the text says; alone (scores, years, counts) they link
        # unrelated reports.
        per = np.minimum(per, p.numbers_cap * content)
    return per, pres


def _join(c: Clusters, i: int, j: int) -> None:
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
    if c.tally is not None:
        a, b = c.tally[i], c.tally[j]
        if a is not None and b is not None:
            a.add(b)
        else:
            c.tally[i] = None  # a core partly unknown: no core test for this cluster
        c.tally[j] = None


def agglomerate(
    c: Clusters, p: Params, must_link: Iterable[list[int]] = (), apart: ApartTags | None = None
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
    forced = [k for k, m in enumerate(c.members) if len(m) > 1]
    if passes is not None:
        _lead_groups(passes[0], [c.members[k] for k in forced])
    if c.tally is not None:
        for k in forced:
            if (t := c.tally[k]) is not None:
                t.as_one()
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
        if (passes is not None and not _leads_hold(c, passes, i, j, p.lead_mates)) or (
            c.tally is not None and not cores_hold(c.tally[i], c.tally[j], p.lead_core * p.lead_min)
        ):
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


def _lead_passes(c: Clusters, p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
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
    c: Clusters, passes: tuple[np.ndarray, np.ndarray, np.ndarray], i: int, j: int, mates: int
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
