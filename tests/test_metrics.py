"""Metrics on examples small enough to compute by hand (the hand computation is in comments)."""

from __future__ import annotations

import pytest

from mediawatch.evaluate.metrics import (
    PairCounts,
    balanced_accuracy,
    bcubed,
    macro,
    page_counts,
    page_precision,
    page_recall,
    pairwise,
)
from mediawatch.evaluate.metrics import extraction_scores as aggregate

# Five items. Gold: A = {a, b, c}, B = {d, e}. Predicted: 1 = {a, b}, 2 = {c, d, e}.
GOLD = {"a": "A", "b": "A", "c": "A", "d": "B", "e": "B"}
PRED = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 2}


def test_bcubed_hand_example() -> None:
    # Item precision = |cluster ∩ class| / |cluster|:
    #   a: {a,b}∩A = 2 of 2 -> 1;  b: 1;  c: {c,d,e}∩A = {c} -> 1/3;  d: {d,e} -> 2/3;  e: 2/3
    #   P = (1 + 1 + 1/3 + 2/3 + 2/3) / 5 = (11/3) / 5 = 11/15
    # Item recall = |cluster ∩ class| / |class|:
    #   a: 2/3;  b: 2/3;  c: 1/3;  d: 2/2 = 1;  e: 1
    #   R = (2/3 + 2/3 + 1/3 + 1 + 1) / 5 = (11/3) / 5 = 11/15
    # F1 = 2PR / (P + R) = 11/15 (P = R)
    m = bcubed(PRED, GOLD)
    assert m.precision == pytest.approx(11 / 15)
    assert m.recall == pytest.approx(11 / 15)
    assert m.f1 == pytest.approx(11 / 15)


def test_pairwise_hand_example() -> None:
    # Predicted pairs: cluster 1 {a,b} -> 1 pair; cluster 2 {c,d,e} -> 3 pairs (cd, ce, de) = 4
    # Gold pairs: A {a,b,c} -> 3 pairs (ab, ac, bc); B {d,e} -> 1 pair (de) = 4
    # Shared pairs: ab and de = 2.  P = 2/4 = 0.5, R = 2/4 = 0.5, F1 = 0.5
    m = pairwise(PRED, GOLD)
    assert (m.precision, m.recall, m.f1) == pytest.approx((0.5, 0.5, 0.5))


def test_all_in_one_cluster() -> None:
    # Everything in one predicted cluster {a,b,c,d,e} (size 5).
    # BCubed P: a,b,c -> 3/5 each, d,e -> 2/5 each: (9/5 + 4/5) / 5 = 13/25 = 0.52; R = 1.
    #   F1 = 2 * 0.52 / 1.52 = 1.04 / 1.52 = 13/19
    # Pairwise: predicted pairs C(5,2) = 10, gold pairs 4, shared 4 -> P = 0.4, R = 1,
    #   F1 = 0.8 / 1.4 = 4/7
    one = dict.fromkeys(GOLD, 0)
    b = bcubed(one, GOLD)
    assert (b.precision, b.recall, b.f1) == pytest.approx((13 / 25, 1.0, 13 / 19))
    p = pairwise(one, GOLD)
    assert (p.precision, p.recall, p.f1) == pytest.approx((0.4, 1.0, 4 / 7))


def test_all_singletons() -> None:
    # Each item alone. BCubed P = 1; R: a,b,c -> 1/3 each, d,e -> 1/2 each:
    #   (1 + 1) / 5 = 0.4;  F1 = 2 * 0.4 / 1.4 = 4/7
    # Pairwise: no predicted pair -> P = 1.0 by convention; shared 0 of 4 -> R = 0; F1 = 0
    single = {k: k for k in GOLD}
    b = bcubed(single, GOLD)
    assert (b.precision, b.recall, b.f1) == pytest.approx((1.0, 0.4, 4 / 7))
    p = pairwise(single, GOLD)
    assert (p.precision, p.recall, p.f1) == pytest.approx((1.0, 0.0, 0.0))


def test_perfect_and_label_names_do_not_matter() -> None:
    renamed = {k: f"story-{v}" for k, v in GOLD.items()}
    assert bcubed(renamed, GOLD).f1 == pytest.approx(1.0)
    assert pairwise(renamed, GOLD).f1 == pytest.approx(1.0)


def test_mismatched_items_rejected() -> None:
    with pytest.raises(ValueError):
        bcubed({"a": 1}, {"b": 1})


# --- extraction metric (the article-extraction-benchmark's) ---


def test_metric_six_token_prediction_vs_five_token_truth() -> None:
    # truth  "the cat sat on mats"      -> 4-shingles: (the cat sat on) (cat sat on mats)   = 2
    # pred   "Yes the cat sat on mats"  -> (Yes the cat sat) (the cat sat on) (cat sat on mats) = 3
    # tp = 2, fp = 3 - 2 = 1, fn = 2 - 2 = 0
    # P = 2/3, R = 2/2 = 1, F1 = 2 * (2/3) * 1 / (2/3 + 1) = (4/3) / (5/3) = 0.8
    counts = page_counts("the cat sat on mats", "Yes the cat sat on mats")
    assert counts == (2, 1, 0)
    assert page_precision(*counts) == pytest.approx(2 / 3)
    assert page_recall(*counts) == 1.0
    assert aggregate([counts]) == pytest.approx((2 / 3, 1.0, 0.8))


def test_metric_keeps_case_and_handles_short_and_empty_texts() -> None:
    # "THE" != "the": only (cat sat on mats) matches -> tp 1, fp 1, fn 1
    assert page_counts("the cat sat on mats", "THE cat sat on mats") == (1, 1, 1)
    # under 4 tokens the whole text is one shingle
    assert page_counts("two words", "two words") == (1, 0, 0)
    # page 1: P 2/3, R 1; page 2: empty prediction -> left out of the precision mean,
    # recall 0. P = 2/3, R = (1 + 0) / 2 = 1/2, F1 = 2 * (2/3) * (1/2) / (7/6) = 4/7
    pages = [(2, 1, 0), page_counts("a b c d e", None)]
    assert pages[1] == (0, 0, 2)
    assert aggregate(pages) == pytest.approx((2 / 3, 0.5, 4 / 7))
    # both empty: left out of both means
    assert aggregate([(2, 1, 0), page_counts("", "")]) == pytest.approx((2 / 3, 1.0, 0.8))


def test_balanced_accuracy_is_the_mean_of_the_two_recalls() -> None:
    # 4 same-story pairs, 3 found: recall 3/4. 10 different pairs, 9 kept apart: 9/10.
    # Balanced accuracy (3/4 + 9/10) / 2 = 0.825; plain accuracy would be 12/14 = 0.857.
    c = PairCounts()
    for labelled_same, predicted_same in [(True, True)] * 3 + [(True, False)]:
        c = c.add(labelled_same, predicted_same)
    for predicted_same in [False] * 9 + [True]:
        c = c.add(False, predicted_same)
    assert c == PairCounts(same=4, same_found=3, different=10, different_kept=9)
    assert (c.recall_same, c.recall_different) == pytest.approx((0.75, 0.9))
    assert c.balanced_accuracy == pytest.approx(0.825)
    # "different" for everything: 0.5, whatever the class sizes
    assert balanced_accuracy(0.0, 1.0) == 0.5
    assert PairCounts(same=0, different=3, different_kept=3).balanced_accuracy is None


def test_macro_average_leaves_undefined_values_out() -> None:
    # (0.825 + 0.5) / 2 = 0.6625; None (one class only) does not count as 0
    assert macro([0.825, None, 0.5]) == pytest.approx(0.6625)
    assert macro([None]) is None
