"""A revised article and its duplicate group: does it still belong there?

A revision keeps the article's identity, so it normally stays where it is; only
its relation to the group is re-verified, with the same rule groups are built by
(every member verifies directly against the origin):

- a revised member is verified against the origin: it stays (with its new scores)
  or leaves the group; members that had joined through it (a verbatim hop) are
  verified directly against the origin and leave if that fails;
- a revised origin is verified against every member: those that still verify stay;
  if none does, the origin is the one that changed, so it leaves, and the group is
  anchored on its earliest remaining member, the others verified against that one;
- a group left with fewer than two members is dissolved.

Articles that leave are not matched against other groups here (a later batch or
re-match job can do that); they keep their story.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from mediawatch.match.batch import MemberRow, _similarity, decision_record
from mediawatch.match.verify import DupDecision, verify

Verifier = Callable[[str, str, Collection[str]], DupDecision]


@dataclass(frozen=True)
class MemberText:
    article_id: int
    relation: str  # origin | exact | near_copy | rewrite
    via: int | None
    text: str
    date: datetime
    lineage: tuple[datetime, int, datetime] | None = None  # mediawatch.times.lineage_key


@dataclass(frozen=True)
class GroupTexts:
    group_id: int
    origin_id: int
    members: dict[int, MemberText]


@dataclass
class GroupChange:
    """What changes: rows re-verified (or the new origin's), who left, the new size."""

    group_id: int
    origin_id: int
    updated: list[MemberRow] = field(default_factory=list)  # other members' rows stay as stored
    left: list[int] = field(default_factory=list)
    size: int = 0
    dissolved: bool = False


def _row(aid: int, d: DupDecision) -> MemberRow:
    relation = d.relation or "near_copy"
    return MemberRow(aid, relation, None, _similarity(d), d.containment, decision_record(d))


def reverify(
    group: GroupTexts,
    revised_id: int,
    furniture: Collection[str] = (),
    verifier: Verifier = verify,
) -> GroupChange:
    """The group's state once ``revised_id`` (a member, with its new text) is re-checked."""
    text = {aid: m.text for aid, m in group.members.items()}
    origin = group.origin_id
    kept: dict[int, MemberRow] = {}
    left: list[int] = []

    def check(aid: int, anchor: int) -> DupDecision:
        return verifier(text[aid], text[anchor], furniture)

    if revised_id != origin:
        d = check(revised_id, origin)
        if d.relation is None:
            left.append(revised_id)
        else:
            kept[revised_id] = _row(revised_id, d)
        for aid, m in group.members.items():
            if aid in (origin, revised_id):
                continue
            if m.via == revised_id:  # its bridge changed: it must stand on its own now
                d = check(aid, origin)
                if d.relation is None:
                    left.append(aid)
                else:
                    kept[aid] = _row(aid, d)
    else:
        for aid in group.members:
            if aid == origin:
                continue
            d = check(aid, origin)
            if d.relation is None:
                left.append(aid)
            else:
                kept[aid] = _row(aid, d)
        if not kept and len(group.members) > 2:
            # The origin is what changed: it leaves, the earliest remaining member anchors.
            left = [origin]
            rest = sorted(
                (m for aid, m in group.members.items() if aid != origin),
                key=lambda m: (m.lineage or (m.date, 0, m.date), m.article_id),
            )
            origin = rest[0].article_id
            for m in rest[1:]:
                d = check(m.article_id, origin)
                if d.relation is None:
                    left.append(m.article_id)
                else:
                    kept[m.article_id] = _row(m.article_id, d)

    remaining = [aid for aid in group.members if aid not in left]
    change = GroupChange(group.group_id, origin, left=sorted(left), size=len(remaining))
    if len(remaining) < 2:
        change.dissolved, change.left, change.size = True, sorted(group.members), 0
        return change
    if origin != group.origin_id:
        change.updated.append(MemberRow(origin, "origin", None, None, None, None))
    change.updated.extend(kept[aid] for aid in sorted(kept))
    return change
