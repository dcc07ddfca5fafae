"""What an analyst's active corrections (mediawatch.corrections) ask of a run.

The store stage loads them once per batch (``load``) and applies them at the two
places where the pipeline decides pairings:
- duplicate groups (``keep_groups``, on the batch's match outcome; ``keep_revision``, on
  the re-verification of a revised member's group): a detached article
  never shares a group with its former group mates, the two parts of a split never
  share a group (a group never spans two stories), an attached article stays in the
  group it was attached to;
- stories (``Rules.together`` and ``Rules.apart``, handed to the clusterer): merged
  and moved articles share a story, the parts of a split never do
  (mediawatch.cluster.constraints).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import duckdb

from mediawatch.match.batch import MatchOutcome, MemberRow, _similarity, decision_record
from mediawatch.match.revise import GroupChange
from mediawatch.match.verify import DupDecision, verify
from storage import corrections as db

Verifier = Callable[[str, str, Collection[str]], DupDecision]
Texts = dict[int, tuple[str | None, tuple]]  # article -> (text, order key: earliest first)


@dataclass(frozen=True)
class Ungroup:
    """Part 2 never shares a duplicate group with part 1. ``drop``: which side leaves a
    group holding both (a detach: the detached article; a split: the side without the
    group's origin)."""

    correction_id: int
    one: frozenset[int]
    two: frozenset[int]
    detach: bool


@dataclass(frozen=True)
class Attach:
    correction_id: int
    article_id: int
    mate: int  # the group's origin when it was attached
    row: MemberRow  # the relation and decision the analyst's attachment stored


@dataclass
class Rules:
    together: list[list[str]] = field(default_factory=list)
    apart: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    ungroup: list[Ungroup] = field(default_factory=list)
    attach: list[Attach] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.together or self.apart or self.ungroup or self.attach)


def load(conn: duckdb.DuckDBPyConnection) -> Rules:
    parts: dict[int, tuple[str, dict[int, set[int]]]] = {}
    for cid, kind, part, aid in db.active_bindings(conn):
        parts.setdefault(cid, (kind, {1: set(), 2: set()}))[1].setdefault(part, set()).add(aid)
    rules = Rules()
    for cid, (kind, p) in parts.items():
        one, two = frozenset(p[1]), frozenset(p[2])
        if kind in db.TOGETHER:
            rules.together.append(sorted(str(a) for a in one | two))
        elif kind in db.APART:
            rules.apart.append((frozenset(map(str, one)), frozenset(map(str, two))))
            rules.ungroup.append(Ungroup(cid, one, two, detach=False))
        elif kind in db.UNGROUP:
            rules.ungroup.append(Ungroup(cid, one, two, detach=True))
        elif kind in db.GROUP and one and two:
            row = db.get(conn, cid).after["row"]
            (aid,), (mate,) = sorted(two), sorted(one)
            rules.attach.append(Attach(cid, aid, mate, member_row(aid, row)))
    return rules


def member_row(aid: int, row: list) -> MemberRow:
    """A stored [relation, via, similarity, containment, decision JSON] as a MemberRow."""
    relation, via, similarity, containment, decision = row[:5]
    return MemberRow(
        aid,
        relation,
        via,
        similarity,
        containment,
        json.loads(decision) if isinstance(decision, str) else decision,
    )


def verified_row(aid: int, d: DupDecision) -> MemberRow:
    return MemberRow(
        aid, d.relation or "rewrite", None, _similarity(d), d.containment, decision_record(d)
    )


def drop(
    anchor: int,
    members: list[MemberRow],
    gone: set[int],
    texts: Texts,
    furniture: Collection[str],
    verifier: Verifier = verify,
) -> tuple[int, list[MemberRow], list[int]]:
    """A group without ``gone``: (anchor, member rows, articles that left).

    Members that joined through a leaver (a verbatim hop) are verified directly against
    the anchor; when the anchor leaves, the earliest remaining member anchors and every
    other one is verified against it (as mediawatch.match.revise does). A text that
    cannot be verified (pruned) leaves too.
    """
    keep = [m for m in members if m.article_id not in gone]
    left = [m.article_id for m in members if m.article_id in gone]

    def check(aid: int, against: int) -> DupDecision | None:
        a, b = texts.get(aid, (None,))[0], texts.get(against, (None,))[0]
        if a is None or b is None:
            return None
        d = verifier(a, b, furniture)
        return d if d.relation else None

    out: list[MemberRow] = []
    if anchor in gone:
        if not keep:
            return anchor, [], left
        anchor = min((m.article_id for m in keep), key=lambda a: (texts.get(a, (None, ()))[1], a))
        out.append(MemberRow(anchor, "origin", None, None, None, None))
        for m in keep:
            if m.article_id == anchor:
                continue
            d = check(m.article_id, anchor)
            if d is None:
                left.append(m.article_id)
            else:
                out.append(verified_row(m.article_id, d))
    else:
        for m in keep:
            if m.via is not None and m.via in gone:
                d = check(m.article_id, anchor)
                if d is None:
                    left.append(m.article_id)
                    continue
                m = verified_row(m.article_id, d)
            out.append(m)
    if len(out) < 2:
        left.extend(m.article_id for m in out)
        out = []
    return anchor, out, left


def keep_groups(
    outcome: MatchOutcome,
    rules: Rules,
    texts: Texts,
    furniture: Collection[str],
    verifier: Verifier = verify,
) -> MatchOutcome:
    """The batch's groups as the analyst's corrections allow them (``outcome`` changed)."""
    if not (rules.ungroup or rules.attach):
        return outcome
    ungrouped = set(outcome.ungrouped)
    for row in list(outcome.groups):
        ids = {m.article_id for m in row.members}
        gone: set[int] = set()
        for u in rules.ungroup:
            if ids & u.one and ids & u.two:
                side = u.two if u.detach or row.anchor_id not in u.two else u.one
                gone |= ids & side
        if gone:
            row.anchor_id, row.members, left = drop(
                row.anchor_id, row.members, gone, texts, furniture, verifier
            )
            ungrouped.update(left)
            if not row.members:
                outcome.groups.remove(row)
                if row.group_id is not None:
                    outcome.dissolved = sorted({*outcome.dissolved, row.group_id})
    for a in rules.attach:
        home = next(
            (r for r in outcome.groups if any(m.article_id == a.mate for m in r.members)), None
        )
        if home is None or any(m.article_id == a.article_id for m in home.members):
            continue
        for row in list(outcome.groups):
            if any(m.article_id == a.article_id for m in row.members):
                row.anchor_id, row.members, left = drop(
                    row.anchor_id, row.members, {a.article_id}, texts, furniture, verifier
                )
                ungrouped.update(x for x in left if x != a.article_id)
                if not row.members:
                    outcome.groups.remove(row)
                    if row.group_id is not None:
                        outcome.dissolved = sorted({*outcome.dissolved, row.group_id})
        home.members.append(a.row)
        ungrouped.discard(a.article_id)
    grouped = {m.article_id for r in outcome.groups for m in r.members}
    outcome.ungrouped = sorted(ungrouped - grouped)
    return outcome


def keep_revision(change: GroupChange, members: Collection[int], rules: Rules) -> GroupChange:
    """A revised group's re-verification, with the analyst's attachments kept: a member
    attached by hand that no longer verifies stays, with the row the attachment stored,
    as long as the article it was attached beside stays in the group."""
    forced = {a.article_id: a for a in rules.attach}
    left = set(change.left)
    if change.dissolved:  # every member but the anchor failed (or it was the anchor)
        left = set(members) - {change.origin_id}
    keep = {aid for aid in left if aid in forced and forced[aid].mate not in left}
    keep = {aid for aid in keep if forced[aid].mate in members}
    if not keep:
        return change
    left -= keep
    size = len(members) - len(left)
    if size < 2:
        return change
    updated = [r for r in change.updated if r.article_id not in keep]
    updated += [forced[aid].row for aid in sorted(keep)]
    return GroupChange(change.group_id, change.origin_id, updated, sorted(left), size, False)
