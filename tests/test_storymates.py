"""The story-mate check's parts: which mates are verified, and links in the group index."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mediawatch.config import ConfigError, load_settings
from mediawatch.fingerprint import fingerprint_many
from mediawatch.match.groups import Article, DedupIndex
from mediawatch.match.storymates import plan_checks, run_checks
from mediawatch.match.verify import verify

from .rewrites import rewrite_pairs

DAY = datetime(2026, 3, 2)


def test_plan_takes_the_most_recent_mates_not_yet_compared() -> None:
    dates = {i: DAY + timedelta(hours=i) for i in range(1, 9)}
    plans = plan_checks(
        new_ids=[8, 7],
        story_of={i: 1 for i in range(1, 9)},
        members={1: list(range(1, 9))},
        dates=dates,
        skip={8: {6}, 7: set()},  # 8 shares a band key with 6: compared already
        pruned={5},
        limit=3,
    )
    by_id = {p.article_id: p for p in plans}
    assert by_id[8].mates == (7, 4, 3)  # most recent first; 6 compared, 5 pruned
    assert by_id[8].beyond == 2 and by_id[8].pruned == 1
    assert by_id[7].mates == (8, 6, 4) and by_id[7].beyond == 3
    assert plan_checks([8], {8: 1}, {1: [8, 7]}, dates, {}, set(), limit=0) == []
    assert plan_checks([9], {}, {}, dates, {}, set(), limit=3) == []  # no story: nothing


def test_each_pair_is_verified_once_and_only_duplicates_link() -> None:
    p, q = rewrite_pairs(2, seed=13)
    texts = {1: p.original, 2: p.rewrite, 3: q.original}
    dates = {i: DAY + timedelta(hours=i) for i in texts}
    plans = plan_checks([1, 2, 3], {1: 1, 2: 1, 3: 1}, {1: [1, 2, 3]}, dates, {}, set(), 5)
    calls = []

    def counting(a: str, b: str, furniture):
        calls.append((a, b))
        return verify(a, b, furniture)

    checks, links, n = run_checks(plans, texts, (), counting)
    assert n == len(calls) == 3  # three pairs among three articles, each verified once
    assert links == [(1, 2)]
    found = {c.article_id: c.found for c in checks}
    assert found == {1: (2,), 2: (1,), 3: ()}


def test_a_link_groups_a_pair_without_a_shared_band_key() -> None:
    """A rewrite the band keys miss joins its original's group once linked, marked so."""
    pair = next(
        p
        for p in rewrite_pairs(100, seed=13)
        if verify(p.original, p.rewrite).relation
        and not any(
            set(keys) & set(fb.band_keys.get(kind, ()))
            for fa, fb in [fingerprint_many([p.original, p.rewrite])]
            for kind, keys in fa.band_keys.items()
        )
    )
    batch = [Article("1", pair.original, 1.0), Article("2", pair.rewrite, 2.0)]

    alone = DedupIndex()
    alone.add_batch(batch)
    assert alone.group_of["1"] != alone.group_of["2"]  # chance: no candidate, no group

    linked = DedupIndex()
    linked.link([("1", "2")])
    linked.add_batch(batch)
    assert linked.group_of["1"] == linked.group_of["2"]
    member = linked.member("2")
    assert member.relation == verify(pair.original, pair.rewrite).relation
    assert member.decision is not None and member.decision.scores["story_mates"] == 1.0
    assert linked.groups[linked.group_of["1"]].anchor == "1"  # the earlier one is the origin
    assert linked.band_candidates("2") == set()


def test_the_limit_is_a_checked_setting(monkeypatch) -> None:
    monkeypatch.setenv("MEDIAWATCH_MATCH_STORY_CHECK_LIMIT", "-1")
    with pytest.raises(ConfigError, match="STORY_CHECK_LIMIT = -1: must be 0 to 1,000"):
        load_settings()
    monkeypatch.setenv("MEDIAWATCH_MATCH_STORY_CHECK_LIMIT", "0")
    assert load_settings().match.story_check_limit == 0
