"""The lead gate and the lead echo: two reports of one event open alike (their titles and
first words share rare words), and each names the other's who and what throughout its
text, where a roundup names an event in one item only (``Params.lead_min``,
``Params.echo_min``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mediawatch.cluster.features import passage_share
from mediawatch.cluster.params import Params
from mediawatch.cluster.records import UND, ArticleFeatures, DocFreq
from mediawatch.cluster.similarity import languages_differ, sparse_rows


def lead_weights(
    art: ArticleFeatures, docfreq: DocFreq, prior_docs: int = 0
) -> dict[str, float] | None:
    """Each lead term's rarity, log((1 + N) / (1 + df)) / log(1 + N) over N documents
    (plus ``prior_docs`` without the term): 1 for a term of one document, 0 for a term of
    every document; times 1 - how common the word is in its language at large
    (``ArticleFeatures.common``): an archive that holds one article on trade cannot tell
    by its own counts that "trade" is in every newspaper. None when the lead is not known."""
    if art.lead is None:
        return None
    n1 = 1 + docfreq.n_docs + prior_docs
    top = math.log(n1)
    df = docfreq.df["words"]
    common = art.common
    return {
        t: (1.0 - common.get(t, 0.0)) * math.log(n1 / (1 + df.get(t, 0))) / top for t in art.lead
    }


def lead_overlap(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """How much two leads share: the summed rarity of their common terms, the lower of
    the two sums (by each lead's own weights: a word's forms in the two may differ in how
    common they are)."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    shared = [t for t in small if t in big]
    return min(sum(small[t] for t in shared), sum(big[t] for t in shared))


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
    """The lead overlap of two articles, None where the gate does not apply; two pages of
    one site count ``Params.same_site_lead`` times less."""
    leads = _pair_leads(a, b, docfreq, params)
    if leads is None:
        return None
    overlap = lead_overlap(*leads)
    return overlap / (params or Params()).same_site_lead if same_site(a, b) else overlap


def shared_lead(
    a: ArticleFeatures, b: ArticleFeatures, docfreq: DocFreq, params: Params | None = None
) -> list[tuple[str, float]]:
    """The lead terms two articles share, each with the lower of its two weights (what
    ``pair_lead`` sums, before the same-site division), the heaviest first; empty where
    the gate does not apply."""
    leads = _pair_leads(a, b, docfreq, params)
    if leads is None:
        return []
    la, lb = leads
    shared = [(t, min(la[t], lb[t])) for t in la if t in lb]
    return sorted(shared, key=lambda tw: (-tw[1], tw[0]))


def same_site(a: ArticleFeatures | None, b: ArticleFeatures | None) -> bool:
    """Both are known to come from one site."""
    return a is not None and b is not None and a.site is not None and a.site == b.site


def pair_echo(
    a: ArticleFeatures, b: ArticleFeatures, docfreq: DocFreq, params: Params | None = None
) -> float | None:
    """How much of each other's lead two articles echo throughout (the smaller of the two
    ``lead_echo``), None where the gate does not apply."""
    leads = _pair_leads(a, b, docfreq, params)
    return None if leads is None else min(lead_echo(a, leads[1]), lead_echo(b, leads[0]))


def lead_matrix(
    weights: list[dict[str, float] | None],
    langs: list[str | None],
    arts: list[ArticleFeatures | None] | None = None,
    echo_min: float = 0.0,
    same_site_lead: float = 1.0,
) -> np.ndarray:
    """(n, n) lead overlaps; inf where either lead is unknown or the languages differ
    (``UND`` is a language here, as in the words space: unknown compares with unknown).
    With ``arts`` and ``echo_min``: 0 where the two do not echo each other's lead
    throughout their texts (``echo``); two pages of one site count ``same_site_lead``
    times less."""
    x, vocab = sparse_rows([w or {} for w in weights])
    ones = x.copy()
    ones.data[:] = 1.0
    out = (x @ ones.T).toarray()
    out = np.minimum(out, out.T)  # as lead_overlap: the lower of the two sums
    if arts is not None and same_site_lead != 1.0:
        sites: dict[str, list[int]] = {}
        for k, a in enumerate(arts):
            if a is not None and a.site is not None:
                sites.setdefault(a.site, []).append(k)
        for ks in sites.values():
            if len(ks) > 1:
                out[np.ix_(ks, ks)] /= same_site_lead
    if arts is not None and echo_min > 0:
        out[_echo(x, vocab, arts) < echo_min] = 0.0
    unknown = np.array([w is None for w in weights])
    out[unknown[:, None] | unknown[None, :] | languages_differ(langs)] = np.inf
    return out


def _echo(x: Any, vocab: dict[str, int], arts: list[ArticleFeatures | None]) -> np.ndarray:
    """(n, n) ``lead_echo`` of every pair: ``x`` holds the lead weights (rows) over
    ``vocab``; a unit that is no article (a frozen story) echoes nothing (``lead_matrix``
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


class LeadTally:
    """The leads of a cluster's articles, per language: how many articles, and per lead
    term how many open with it and their summed weight (``lead_weights``). Tallies add
    up when clusters join, so a cluster's lead core is exact at every step."""

    __slots__ = ("articles", "terms")

    def __init__(self, language: str, weights: Mapping[str, float]) -> None:
        self.articles: dict[str, int] = {language: 1}
        self.terms: dict[str, dict[str, list[float]]] = {
            language: {t: [1.0, w] for t, w in weights.items()}
        }

    def add(self, other: LeadTally) -> None:
        """Fold another cluster's tally into this one."""
        for language, n in other.articles.items():
            self.articles[language] = self.articles.get(language, 0) + n
            mine = self.terms.setdefault(language, {})
            for t, (k, w) in other.terms[language].items():
                if t in mine:
                    mine[t][0] += k
                    mine[t][1] += w
                else:
                    mine[t] = [k, w]

    def as_one(self) -> None:
        """Count a forced group (a duplicate group, an analyst's merge) as one article
        with all its openings: what an analyst put together never narrows its core."""
        for language, terms in self.terms.items():
            self.articles[language] = 1
            for v in terms.values():
                v[1] /= v[0]
                v[0] = 1.0

    def core(self, language: str) -> dict[str, float]:
        """The lead terms of ``language`` that at least two of its articles open with (all
        of one article's), each with its mean weight."""
        need = 2.0 if self.articles.get(language, 0) >= 2 else 1.0
        return {t: w / k for t, (k, w) in self.terms.get(language, {}).items() if k >= need}


def cores_hold(a: LeadTally | None, b: LeadTally | None, need: float) -> bool:
    """Do two clusters open alike as stories (``Params.lead_core``)? In every language both
    have articles of, where one has two or more: the two lead cores share at least
    ``need`` (``lead_overlap``). None (a frozen story, a lead not known) passes."""
    if a is None or b is None or need <= 0:
        return True
    for language, n_a in a.articles.items():
        n_b = b.articles.get(language, 0)
        if n_b and max(n_a, n_b) >= 2 and lead_overlap(a.core(language), b.core(language)) < need:
            return False
    return True
