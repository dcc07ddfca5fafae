"""Duplicate matching for one batch against its stored neighbourhood.

Storage loads the neighbourhood (stored LSH candidates of the batch and every member
of their groups); ``match_batch`` replays it into a DedupIndex, adds the batch, and
returns the final state of every group it touched, as plain records to write back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mediawatch.fingerprint import Fingerprint
from mediawatch.match.groups import Article, DedupIndex, Group, Member
from mediawatch.match.verify import DupDecision

KIND_IDS = {"shingle": 1, "words": 2, "lead": 3, "exact": 4, "sent": 5}
KIND_NAMES = {v: k for k, v in KIND_IDS.items()}


Lineage = tuple[datetime, int, datetime]  # mediawatch.times.lineage_key


@dataclass(frozen=True)
class StoredArticle:
    article_id: int
    text: str
    date: datetime
    keys: tuple[tuple[int, int], ...]  # (kind id, band key)
    text_hash: str = ""
    lineage: Lineage | None = None  # which came first; None: ``date`` as an exact time


@dataclass(frozen=True)
class StoredMember:
    article_id: int
    relation: str  # origin | exact | near_copy | rewrite
    via: int | None
    decision: dict | None


@dataclass(frozen=True)
class StoredGroup:
    group_id: int
    anchor_id: int
    members: tuple[StoredMember, ...]


@dataclass(frozen=True)
class NewArticle:
    article_id: int
    text: str
    date: datetime
    fingerprint: Fingerprint
    lineage: Lineage | None = None  # which came first; None: ``date`` as an exact time
    lines: tuple[str, ...] | None = None  # line keys, when the fingerprint stage made them


@dataclass(frozen=True)
class MemberRow:
    article_id: int
    relation: str  # origin | exact | near_copy | rewrite
    via: int | None
    similarity: float | None
    containment: float | None
    decision: dict | None


@dataclass
class GroupRow:
    """A group as it is after the batch; ``group_id`` is None for a new group."""

    group_id: int | None
    anchor_id: int
    members: list[MemberRow]
    key: str = ""  # the in-memory id, to follow merges


@dataclass
class MatchOutcome:
    groups: list[GroupRow] = field(default_factory=list)
    dissolved: list[int] = field(default_factory=list)  # stored groups that no longer exist
    ungrouped: list[int] = field(default_factory=list)  # articles now without a group
    line_pairs: list[tuple[str, str]] = field(default_factory=list)  # (line key, group key)
    new_furniture: list[str] = field(default_factory=list)
    # new article -> the articles it shares an LSH band key with (compared through them)
    band_candidates: dict[int, set[int]] = field(default_factory=dict)
    new_groups: int = 0
    grown_groups: int = 0
    exact_copies: int = 0
    verifications: int = 0


def fingerprint_from_keys(keys: Iterable[tuple[int, int]], text_hash: str = "") -> Fingerprint:
    by_kind: dict[str, list[int]] = {}
    for kind, key in keys:
        by_kind.setdefault(KIND_NAMES[kind], []).append(key)
    return Fingerprint(text_hash, 0, by_kind)


def band_rows(fp: Fingerprint) -> list[tuple[int, int]]:
    """(kind id, key) rows for the persistent LSH index; keys are unique across kinds."""
    return [(KIND_IDS[kind], key) for kind, keys in fp.band_keys.items() for key in keys]


def decision_record(d: DupDecision | None) -> dict | None:
    if d is None:
        return None
    return {
        "relation": d.relation,
        "reason": d.reason,
        "containment": d.containment,
        "scores": d.scores,
        "thresholds": d.thresholds,
    }


def _similarity(d: DupDecision | None) -> float | None:
    """The score each relation is decided on: verbatim coverage, or sentence alignment."""
    if d is None:
        return None
    if d.relation == "exact":
        return 1.0
    if d.relation == "rewrite":
        return d.scores.get("sentence_alignment")
    return d.scores.get("coverage_shorter")


def _ts(d: datetime) -> float:
    """Naive UTC to seconds (never through the local time zone)."""
    return d.replace(tzinfo=UTC).timestamp()


def _article(a: StoredArticle | NewArticle) -> Article:
    """The group index's record: ordered by the lineage rule (mediawatch.times)."""
    at, rank, fetched = a.lineage or (a.date, 0, a.date)
    lines = a.lines if isinstance(a, NewArticle) else None
    return Article(str(a.article_id), a.text, _ts(at), rank, _ts(fetched), lines)


def match_batch(
    new: list[NewArticle],
    stored: list[StoredArticle],
    groups: list[StoredGroup],
    line_groups: dict[str, set[str]] | None = None,
    furniture: Iterable[str] = (),
    links: Iterable[tuple[int, int]] = (),
) -> MatchOutcome:
    """``links``: pairs compared whatever their band keys (story-mates that verified,
    mediawatch.match.storymates); both must be in ``new`` or ``stored``."""
    index = DedupIndex()
    loaded_groups = []
    for g in groups:
        members = {
            str(m.article_id): Member(
                str(m.article_id),
                None if m.relation == "origin" else m.relation,  # type: ignore[arg-type]
                _decision(m.decision),
                str(m.via) if m.via is not None else None,
            )
            for m in g.members
        }
        loaded_groups.append(Group(f"g{g.group_id}", str(g.anchor_id), members))
    index.load(
        ((_article(a), fingerprint_from_keys(a.keys)) for a in stored),
        loaded_groups,
        line_groups,
        furniture,
    )
    index.link((str(a), str(b)) for a, b in links)
    before = {gid: set(g.members) for gid, g in index.groups.items()}
    known_furniture = set(index.furniture)
    changed = index.add_batch(
        [_article(a) for a in new],
        [a.fingerprint for a in new],
    )
    new_ids = {str(a.article_id) for a in new}
    out = MatchOutcome(verifications=index.n_verifications)
    out.band_candidates = {
        a.article_id: {int(c) for c in index.band_candidates(str(a.article_id))} for a in new
    }

    touched = {index.group_of[a] for a in changed if a in index.group_of}
    touched |= {gid for gid in before if gid.startswith("g")}  # every stored group: re-checked
    for gid in sorted(touched):
        g = index.groups.get(gid)
        if g is None or len(g.members) < 2:
            continue
        rows = []
        for mid, m in g.members.items():
            rows.append(
                MemberRow(
                    int(mid),
                    "origin" if mid == g.anchor else (m.relation or "near_copy"),
                    int(m.via) if m.via else None,
                    _similarity(m.decision),
                    m.decision.containment if m.decision else None,
                    decision_record(m.decision),
                )
            )
        stored_id = int(gid[1:]) if gid.startswith("g") else None
        out.groups.append(GroupRow(stored_id, int(g.anchor), rows, gid))
        if stored_id is None:
            out.new_groups += 1
        elif set(g.members) - before.get(gid, set()):
            out.grown_groups += 1
    out.dissolved = sorted(
        int(gid[1:])
        for gid in before
        if gid.startswith("g") and (gid not in index.groups or len(index.groups[gid].members) < 2)
    )
    grouped_after = {m.article_id for g in out.groups for m in g.members}
    was_grouped = {int(a) for gid, ms in before.items() if gid.startswith("g") for a in ms}
    out.ungrouped = sorted(was_grouped - grouped_after)
    out.exact_copies = sum(
        1
        for g in out.groups
        for m in g.members
        if m.relation == "exact" and str(m.article_id) in new_ids
    )
    for key, gid in index.line_log:
        g = index.groups.get(gid)
        if g is None:
            continue
        final = gid if len(g.members) >= 2 else f"s{g.anchor}"
        out.line_pairs.append((key, final))
    out.new_furniture = sorted(index.furniture - known_furniture)
    return out


def _decision(record: dict | None) -> DupDecision | None:
    if not record:
        return None
    return DupDecision(
        record.get("relation"),
        record.get("scores", {}),
        record.get("thresholds", {}),
        record.get("containment"),
        record.get("reason", ""),
    )
