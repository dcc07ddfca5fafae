"""A revised article and its duplicate group: stays, or leaves when it no longer verifies."""

from __future__ import annotations

from datetime import datetime

from mediawatch.match.revise import GroupTexts, MemberText, reverify

from .feedserver import ARTICLES

HARBOUR = "\n".join(ARTICLES["harbour"][1])
MARATHON = "\n".join(ARTICLES["marathon"][1])
CREDIT = "Reporting by the Coast Courier desk in Harbourton, with material from the agencies."
OTHER = "This story was first published by the Harbourton Gazette and is shared by partners."


def group(texts: dict[int, str], origin: int = 1, via: dict[int, int] | None = None) -> GroupTexts:
    return GroupTexts(
        7,
        origin,
        {
            aid: MemberText(
                aid,
                "origin" if aid == origin else "near_copy",
                (via or {}).get(aid),
                text,
                datetime(2026, 2, aid),
            )
            for aid, text in texts.items()
        },
    )


def test_a_lightly_edited_member_stays_with_new_scores() -> None:
    edited = HARBOUR.replace("every forty minutes", "every thirty minutes") + "\n" + CREDIT
    change = reverify(group({1: HARBOUR, 2: edited, 3: HARBOUR + "\n" + OTHER}), 2)
    assert not change.dissolved and change.left == [] and change.size == 3
    (row,) = change.updated
    assert (row.article_id, row.relation) == (2, "near_copy") and row.similarity > 0.9


def test_a_member_that_no_longer_verifies_leaves_and_takes_its_hops_along() -> None:
    texts = {1: HARBOUR, 2: MARATHON, 3: HARBOUR + "\n" + OTHER, 4: MARATHON + "\nMore."}
    change = reverify(group(texts, via={4: 2}), 2)
    # 2 is now another story; 4 had joined through 2 and does not verify against 1.
    assert change.left == [2, 4] and change.size == 2 and not change.dissolved
    assert [r.article_id for r in change.updated] == []  # 3 is untouched


def test_a_group_of_two_is_dissolved_when_one_leaves() -> None:
    change = reverify(group({1: HARBOUR, 2: MARATHON}), 2)
    assert change.dissolved and change.left == [1, 2] and change.size == 0


def test_a_rewritten_origin_leaves_and_the_earliest_member_anchors() -> None:
    texts = {1: MARATHON, 2: HARBOUR + "\n" + CREDIT, 3: HARBOUR + "\n" + OTHER}
    change = reverify(group(texts), 1)
    assert change.origin_id == 2 and change.left == [1] and change.size == 2
    assert [(r.article_id, r.relation) for r in change.updated] == [(2, "origin"), (3, "near_copy")]


def test_an_edited_origin_keeps_its_members() -> None:
    edited = HARBOUR.replace("six hundred passengers", "seven hundred passengers")
    change = reverify(group({1: edited, 2: HARBOUR + "\n" + CREDIT}), 1)
    assert change.origin_id == 1 and change.left == [] and change.size == 2
    assert [r.article_id for r in change.updated] == [2]
