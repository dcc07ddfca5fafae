"""Story-mates verified as duplicates: no rewrite left to the chance of LSH bands.

LSH makes two articles candidates only when they share a band key; a rewrite at
word-set Jaccard 0.5 does so in about 95% of cases (20 bands of 3 rows). The story
step puts such a rewrite with its original anyway (same names, numbers, words), so
after clustering each new article is verified against the members of its story that
it shares no band key with and is not grouped with: the ``limit`` most recent of them
(``match.story_check_limit``), which keeps the cost per article bounded; a mate in a
duplicate group through that group's anchor, as the group rule asks. Pairs that
verify become links (``DedupIndex.link``) and the batch is matched again: the group
rule (anchor, lineage order, merges) decides for them as for any candidate pair.

The story step also *considers* stories it does not choose: a rewrite whose original sits
in another story (the runner-up, with a fit of at least ``RIVAL_MIN_FIT`` of the join
threshold) is verified against that story's ``RIVAL_LIMIT`` most recent members too, so
a rewrite the clusterer kept apart is not left to the bands either.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mediawatch.match.verify import DupDecision, verify

RIVAL_MIN_FIT = 0.5  # runner-up stories fitting at least this share of the threshold
RIVAL_LIMIT = 10  # of a runner-up story, this many most recent members are verified
# ... of those whose content words overlap the article's this much (|A & B| / min): a
# rewrite at word-set Jaccard 0.5 has about 0.67, a report of the same topic far less.
RIVAL_MIN_OVERLAP = 0.5


def words_alike(a: Collection[str], b: Collection[str]) -> bool:
    """Could two texts with these content-word sets be copies (``RIVAL_MIN_OVERLAP``)?"""
    if not a or not b:
        return False
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(w in large for w in small) >= RIVAL_MIN_OVERLAP * len(small)


@dataclass(frozen=True)
class Plan:
    """The story-mates one new article is to be verified against."""

    article_id: int
    story_id: int
    mates: tuple[int, ...]  # most recent first
    beyond: int  # eligible mates left out by the limit
    pruned: int  # mates whose text retention pruned (cannot be verified)
    rival_id: int | None = None  # the runner-up story considered for it
    rival_mates: tuple[int, ...] = ()  # its members to verify, most recent first


@dataclass(frozen=True)
class StoryCheck:
    """What was verified for one new article, as stored for `explain` (story_checks)."""

    article_id: int
    story_id: int
    checked: tuple[int, ...]
    found: tuple[int, ...]  # those that verified (story-mates and rival members)
    beyond: int
    pruned: int
    rival_id: int | None = None
    rival_checked: tuple[int, ...] = ()


def plan_checks(
    new_ids: Sequence[int],
    story_of: Mapping[int, int],
    members: Mapping[int, Sequence[int]],
    dates: Mapping[int, datetime],
    skip: Mapping[int, Collection[int]],
    pruned: Collection[int],
    limit: int,
    rivals: Mapping[int, int] | None = None,
    rival_limit: int = RIVAL_LIMIT,
    alike: Callable[[int, int], bool] | None = None,
) -> list[Plan]:
    """Per new article: its story's members, minus itself and ``skip`` (its band
    candidates and group-mates: already compared), most recent ``limit`` first; and the
    same of its runner-up story (``rivals``: article -> story), most recent
    ``rival_limit`` of those ``alike`` says could be a copy (a cheap test on words, as
    most members of a story it did not join are not)."""
    if limit <= 0:
        return []
    rivals = rivals or {}

    def eligible(sid: int | None, aid: int) -> tuple[list[int], int]:
        done = skip.get(aid, ())
        others = [m for m in members.get(sid, ()) if m != aid and m not in done]
        gone = sum(m in pruned for m in others)
        ok = sorted(
            (m for m in others if m not in pruned and m in dates),
            key=lambda m: (dates[m], m),
            reverse=True,
        )
        return ok, gone

    out = []
    for aid in new_ids:
        sid = story_of.get(aid)
        if sid is None:
            continue
        mates, gone = eligible(sid, aid)
        rival = rivals.get(aid)
        rival_mates = []
        if rival not in (None, sid):
            ok = eligible(rival, aid)[0]
            rival_mates = [m for m in ok if alike is None or alike(aid, m)][:rival_limit]
        out.append(
            Plan(
                aid,
                sid,
                tuple(mates[:limit]),
                max(0, len(mates) - limit),
                gone,
                rival if rival_mates else None,
                tuple(rival_mates),
            )
        )
    return out


def run_checks(
    plans: Iterable[Plan],
    texts: Mapping[int, str],
    furniture: Collection[str] = (),
    verifier: Callable[[str, str, Collection[str]], DupDecision] = verify,
    anchors: Mapping[int, int] | None = None,
) -> tuple[list[StoryCheck], list[tuple[int, int]], int]:
    """Verify the planned pairs, each pair once: (records, pairs that verified, verifications).

    ``anchors``: a mate in a duplicate group is verified through its group's anchor, as an
    LSH candidate is (the group rule joins an article to a group only through its anchor):
    several mates of one group cost one verification, and a link that verifies is one the
    group rule can take. A mate whose anchor's text is not in ``texts`` is left out."""
    anchors = anchors or {}
    verdicts: dict[tuple[int, int], bool] = {}
    checks = []
    for p in plans:
        found = []
        for m in (*p.mates, *p.rival_mates):
            target = anchors.get(m, m)
            if target == p.article_id or target not in texts:
                continue
            pair = (min(p.article_id, target), max(p.article_id, target))
            if pair not in verdicts:
                d = verifier(texts[p.article_id], texts[target], furniture)
                verdicts[pair] = d.relation is not None
            if verdicts[pair]:
                found.append(m)
        checks.append(
            StoryCheck(
                p.article_id,
                p.story_id,
                p.mates,
                tuple(found),
                p.beyond,
                p.pruned,
                p.rival_id,
                p.rival_mates,
            )
        )
    links = sorted(pair for pair, ok in verdicts.items() if ok)
    return checks, links, len(verdicts)
