"""Scores used by the evaluations; each has hand-computed tests in tests/test_metrics.py."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")


# --- extraction: the article-extraction-benchmark's metric -------------------------------


def shingles(text: str | None, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles (``\\w+`` tokens, case kept); 1..n-1 tokens give one."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def page_counts(true: str | None, pred: str | None) -> tuple[int, int, int]:
    """(tp, fp, fn) shingle counts of one page."""
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    return tp, sum(p.values()) - tp, sum(t.values()) - tp


def page_precision(tp: int, fp: int, fn: int) -> float:
    return 1.0 if fp == fn == 0 else (tp / (tp + fp) if tp + fp else 0.0)


def page_recall(tp: int, fp: int, fn: int) -> float:
    return 1.0 if fp == fn == 0 else (tp / (tp + fn) if tp + fn else 0.0)


def extraction_scores(counts: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """Mean precision (pages with a prediction), mean recall (pages with a truth), and
    the F1 of the two means, as the benchmark computes it."""
    precisions = [page_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0]
    recalls = [page_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0]
    p, r = statistics.fmean(precisions), statistics.fmean(recalls)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- clustering: BCubed (per item) and pairwise (per pair) --------------------------------
#
# BCubed is the headline figure: every article counts once, so a big story cannot hide a
# wrongly split small one. Pairwise is reported beside it because it punishes merging two
# big stories much harder.


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _check(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> list[str]:
    if set(predicted) != set(gold):
        raise ValueError("predicted and gold must label the same items")
    if not gold:
        raise ValueError("no items")
    return sorted(gold)


def bcubed(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> PRF:
    """Per-item BCubed: item precision = |own cluster ∩ own class| / |own cluster|, averaged."""
    items = _check(predicted, gold)
    both = Counter((predicted[i], gold[i]) for i in items)
    cluster = Counter(predicted[i] for i in items)
    klass = Counter(gold[i] for i in items)
    p = sum(both[predicted[i], gold[i]] / cluster[predicted[i]] for i in items) / len(items)
    r = sum(both[predicted[i], gold[i]] / klass[gold[i]] for i in items) / len(items)
    return PRF(p, r, _f1(p, r))


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> PRF:
    """Pair counting over unordered item pairs. With no pair on a side, that side scores 1.0."""
    items = _check(predicted, gold)
    tp = sum(_pairs(c) for c in Counter((predicted[i], gold[i]) for i in items).values())
    pred_pairs = sum(_pairs(c) for c in Counter(predicted[i] for i in items).values())
    gold_pairs = sum(_pairs(c) for c in Counter(gold[i] for i in items).values())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / gold_pairs if gold_pairs else 1.0
    return PRF(p, r, _f1(p, r))


# --- labelled pairs: "same story" against "different story" -------------------------------
#
# The two classes are very unequal in size in most languages, so the headline figure is the
# balanced accuracy (the mean of the two recalls): saying "different" to everything scores 0.5,
# not the share of different pairs.


@dataclass(frozen=True)
class PairCounts:
    """Decisions on labelled pairs of one language (or language pair)."""

    same: int = 0  # pairs labelled the same story
    same_found: int = 0  # ... put into one story
    different: int = 0  # pairs labelled different stories
    different_kept: int = 0  # ... kept in different stories

    def add(self, labelled_same: bool, predicted_same: bool) -> PairCounts:
        if labelled_same:
            return PairCounts(
                self.same + 1, self.same_found + predicted_same, self.different, self.different_kept
            )
        return PairCounts(
            self.same,
            self.same_found,
            self.different + 1,
            self.different_kept + (not predicted_same),
        )

    @property
    def recall_same(self) -> float | None:
        return self.same_found / self.same if self.same else None

    @property
    def recall_different(self) -> float | None:
        return self.different_kept / self.different if self.different else None

    @property
    def balanced_accuracy(self) -> float | None:
        return balanced_accuracy(self.recall_same, self.recall_different)


def balanced_accuracy(recall_same: float | None, recall_different: float | None) -> float | None:
    """Mean of the two recalls; None when a class has no pair (it would be a plain accuracy)."""
    if recall_same is None or recall_different is None:
        return None
    return (recall_same + recall_different) / 2


def macro(values: list[float | None]) -> float | None:
    """Unweighted mean of the defined values (a language with one class only is left out)."""
    defined = [v for v in values if v is not None]
    return statistics.fmean(defined) if defined else None
