"""The story-mate check's parts: which mates are verified, and links in the group index."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mediawatch.config import ConfigError, load_settings
from mediawatch.fingerprint import fingerprint_many
from mediawatch.match.groups import Article, DedupIndex
from mediawatch.match.storymates import plan_checks, run_checks, words_alike
from mediawatch.match.verify import verify
from mediawatch.text import content_words, tokens

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


def test_the_runner_up_story_is_verified_too() -> None:
    """A rewrite the clusterer put in a story of its own is still verified against the
    story it was considered for (its runner-up), within the rival limit."""
    p, q = rewrite_pairs(2, seed=13)
    texts = {1: p.original, 2: q.original, 3: q.rewrite, 9: p.rewrite}
    dates = {i: DAY + timedelta(hours=i) for i in texts}
    story_of = {1: 1, 2: 1, 3: 2, 9: 3}  # the rewrite (9) alone in story 3
    members = {1: [1, 2], 2: [3], 3: [9]}
    assert plan_checks([9], story_of, members, dates, {}, set(), 5)[0].mates == ()
    plans = plan_checks([9], story_of, members, dates, {}, set(), 5, rivals={9: 1})
    assert (plans[0].rival_id, plans[0].rival_mates) == (1, (2, 1))  # most recent first
    checks, links, n = run_checks(plans, texts)
    assert links == [(1, 9)] and n == 2
    assert checks[0].found == (1,) and checks[0].rival_checked == (2, 1)
    # the limit of the runner-up's members; and its own story is no runner-up
    capped = plan_checks([9], story_of, members, dates, {}, set(), 5, {9: 1}, rival_limit=1)
    assert capped[0].rival_mates == (2,)
    own = plan_checks([9], story_of, members, dates, {}, set(), 5, rivals={9: 3})
    assert own[0].rival_id is None and own[0].rival_mates == ()


def test_only_members_alike_in_words_are_verified_in_a_runner_up() -> None:
    p, q = rewrite_pairs(2, seed=13)
    words = {
        i: set(content_words(tokens(t)))
        for i, t in enumerate([p.original, q.original, p.rewrite], 1)
    }
    assert words_alike(words[1], words[3]) and not words_alike(words[2], words[3])
    dates = {i: DAY + timedelta(hours=i) for i in words}
    plans = plan_checks(
        [3],
        {1: 1, 2: 1, 3: 2},
        {1: [1, 2], 2: [3]},
        dates,
        {},
        set(),
        5,
        {3: 1},
        alike=lambda a, b: words_alike(words[a], words[b]),
    )
    assert plans[0].rival_mates == (1,)


def test_explain_names_a_pair_compared_through_the_runner_up() -> None:
    """`explain`'s account of a pair one of whose articles was verified against its
    runner-up story: compared that way, or (a member beyond the check) why not."""
    from mediawatch.explain import _story_checked, _why_not_story_mates
    from mediawatch.match.storymates import StoryCheck
    from storage.explain import PairData
    from storage.queries import ArticleRow

    def row(aid: int, story: int) -> ArticleRow:
        return ArticleRow(aid, f"https://example.org/{aid}", "t", None, None, DAY, 300,
                          "text", story, None, None)  # fmt: skip

    check = StoryCheck(9, 3, (), (1,), 0, 0, rival_id=1, rival_checked=(2, 1))
    data = PairData(
        "a", "b", {}, {}, None, None, {}, 0, set(), None, None,
        story_checks={9: check},
    )  # fmt: skip
    said = _story_checked(row(1, 1), row(9, 3), data)
    assert said is not None and "considered story 1 for article 9" in said
    assert _story_checked(row(4, 1), row(9, 3), data) is None  # not among the verified
    why = _why_not_story_mates(row(4, 1), row(9, 3), data)
    assert "its runner-up, of which only the 2 most recent members are verified" in why
    assert "not the runner-up considered for it (story 1)" in _why_not_story_mates(
        row(5, 7), row(9, 3), data
    )
