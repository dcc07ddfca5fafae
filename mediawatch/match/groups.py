"""Incremental duplicate groups, anchored on each group's earliest member.

Rule (bounded drift): an article joins a group if it verifies *directly
against the group's anchor* (earliest published member).  LSH candidates may be
any member -- they only tell which groups to try.  Only when no anchor verifies,
one *verbatim hop* is allowed: the article is an exact copy, or a same-size
near-copy (length ratio and coverage both ways >= 0.5), of a member that itself
verified directly against the anchor; its relation is then that member's
relation (a verbatim copy of a rewrite is a rewrite).  Hops never start from a
hop member, so a chain A~B~C~D cannot pull D in, and the same-size condition
stops two different short texts that sit inside one long page from bridging.

Earlier article arriving later: if it verifies against the anchor it becomes
the new anchor; every member is re-verified against it, and members that no
longer verify are evicted and re-assigned like new arrivals (they may found
their own group).  Two groups are merged only when their anchors verify
against each other, or when one article is a verbatim (exact/near_copy) copy
of both anchors -- two edited copies of one text can differ more from each
other than from the text.  A merge pools candidates only: every member is
re-verified against the merged anchor and evicted (re-assigned) if it fails.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mediawatch.fingerprint import SENT_MAX_BUCKET, Fingerprint, fingerprint_many, line_keys
from mediawatch.match.verify import DupDecision, Relation, verify

RANK: dict[str, int] = {"exact": 3, "near_copy": 2, "rewrite": 1}
VERBATIM = ("exact", "near_copy")
HOP_MIN_RATIO = 0.5  # a hop needs near-same-size texts (length ratio, both coverages)
# A line seen in this many different groups is page furniture (newsletter
# prompts, copyright and share lines): ignored by verification, because a
# syndicated story's own lines stay inside one group while furniture does not.
FURNITURE_MIN_GROUPS = 20
REHOME_MARGIN = 0.05  # strength gain needed to move a member to a new group
STORY_KIND = "story"  # a candidate linked as a story-mate, not through a band key
Verifier = Callable[[str, str, Collection[str]], DupDecision]


@dataclass(frozen=True)
class Article:
    """Input record: `published` orders members; ties go to the lower `rank` (a finer
    publication time, mediawatch.times), the earlier `fetched`, then the lower id."""

    id: str
    text: str
    published: float
    rank: int = 0
    fetched: float = 0.0
    lines: tuple[str, ...] | None = None  # its line keys, if already known (else from text)


@dataclass
class Member:
    """Relation of one member to its group's anchor (None for the anchor)."""

    article_id: str
    relation: Relation | None
    decision: DupDecision | None
    via: str | None = None  # member it was matched through (verbatim hop)


@dataclass
class Group:
    """A duplicate group: `anchor` is the earliest published member."""

    id: str
    anchor: str
    members: dict[str, Member] = field(default_factory=dict)


class CandidateSource(Protocol):
    """Where band rows live: in memory here, a DuckDB table in the pipeline."""

    def add(self, article_id: str, fp: Fingerprint) -> None: ...

    def candidates(self, article_id: str, fp: Fingerprint) -> dict[str, set[str]]: ...


class BandIndex:
    """In-memory stand-in for the DuckDB table bands(article_id, kind, band,
    band_hash); `candidates` is the equi-join on (kind, band, band_hash)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, int, int], set[str]] = defaultdict(set)
        self.n_rows = 0

    def add(self, article_id: str, fp: Fingerprint) -> None:
        for _, kind, band, key in fp.rows(article_id):
            self._rows[(kind, band, key)].add(article_id)
            self.n_rows += 1

    def candidates(self, article_id: str, fp: Fingerprint) -> dict[str, set[str]]:
        """Other articles sharing at least one band key, with the kinds shared."""
        out: dict[str, set[str]] = defaultdict(set)
        for _, kind, band, key in fp.rows(article_id):
            bucket = self._rows.get((kind, band, key), set())
            if kind == "sent" and len(bucket) > SENT_MAX_BUCKET:
                continue  # a furniture sentence: would pair everything with everything
            for other in bucket:
                if other != article_id:
                    out[other].add(kind)
        return out


def _strength(d: DupDecision) -> tuple[float, float]:
    """Order among groups with the same relation rank: the primary score
    (rounded, so noise does not decide), then similarity seen from the other
    side, so a short anchor that is merely contained loses a tie against the
    article's own full-length original."""
    s = d.scores
    if d.relation == "rewrite":
        return round(s.get("sentence_alignment", 0.0), 2), s.get("word_jaccard", 0.0)
    return round(s.get("coverage_shorter", 1.0), 2), s.get("coverage_longer", 1.0)


def _story_only(cands: dict[str, set[str]], through: Iterable[str]) -> bool:
    """Were these candidates reached through story links alone (no band key)?"""
    kinds = [cands.get(c, set()) for c in through]
    return bool(kinds) and all(k == {STORY_KIND} for k in kinds)


def _via_story(d: DupDecision) -> DupDecision:
    """The decision, marked as reached through story membership: `explain` and the
    inspector say how the pair came to be compared."""
    why = f"{d.reason}; compared as members of one story (no LSH band key in common)"
    return DupDecision(
        d.relation, {**d.scores, "story_mates": 1.0}, d.thresholds, d.containment, why
    )


class DedupIndex:
    """Holds fingerprints, band index and groups; feed it batches in any order."""

    def __init__(self, verifier: Verifier = verify, source: CandidateSource | None = None) -> None:
        self.verify = verifier
        self.furniture: set[str] = set()
        self._line_groups: dict[str, set[str]] = defaultdict(set)
        self.index: CandidateSource = source if source is not None else BandIndex()
        self.articles: dict[str, Article] = {}
        self.fingerprints: dict[str, Fingerprint] = {}
        self.groups: dict[str, Group] = {}
        self.group_of: dict[str, str] = {}
        self.n_verifications = 0
        self.stats: Counter[str] = Counter()  # reanchor / merge / evict / rehome / hop
        self._changed: set[str] = set()
        self._next_gid = 0
        self._pending: list[str] = []  # evicted members awaiting re-assignment
        self.line_log: set[tuple[str, str]] = set()  # (line key, group) seen this session
        # Pairs to compare whatever their band keys say: story-mates whose verification
        # found a duplicate (mediawatch.match.storymates); both ways, kind "story".
        self.links: dict[str, set[str]] = defaultdict(set)

    # -- public API ---------------------------------------------------------
    def load(
        self,
        stored: Iterable[tuple[Article, Fingerprint]],
        groups: Iterable[Group],
        line_groups: dict[str, set[str]] | None = None,
        furniture: Iterable[str] = (),
    ) -> None:
        """Put stored articles and their groups back, without re-deciding anything.

        The pipeline loads only a batch's neighbourhood from the database: the
        stored candidates, every member of their groups, and furniture counts.
        A stored article outside any group gets a singleton group ``s<id>``.
        """
        for art, fp in stored:
            self.articles[art.id] = art
            self.fingerprints[art.id] = fp
            self.index.add(art.id, fp)
        for group in groups:
            self.groups[group.id] = group
            for mid in group.members:
                self.group_of[mid] = group.id
        for aid in self.articles:
            if aid not in self.group_of:
                gid = f"s{aid}"
                self.groups[gid] = Group(gid, aid, {aid: Member(aid, None, None)})
                self.group_of[aid] = gid
        for key, gids in (line_groups or {}).items():
            self._line_groups[key].update(gids)
        self.furniture.update(furniture)

    def add_batch(
        self, batch: Sequence[Article], fingerprints: Sequence[Fingerprint] | None = None
    ) -> set[str]:
        """Fingerprint, index and group a batch; returns ids whose group or
        relation changed (new articles plus re-verified old members).  Article
        ids must be new: an edited article is a new version with a new id."""
        dup = [a.id for a in batch if a.id in self.articles]
        if dup or len({a.id for a in batch}) != len(batch):
            raise ValueError(f"article ids already ingested or repeated: {dup[:5]}")
        self._changed = set()
        if fingerprints is None:
            fingerprints = fingerprint_many([a.text for a in batch])
        for art, fp in zip(batch, fingerprints, strict=True):
            self.articles[art.id] = art
            self.fingerprints[art.id] = fp
            self.index.add(art.id, fp)
        for art in sorted(batch, key=self._key):
            self._pending.append(art.id)
            while self._pending:  # a queue, not recursion: groups stay consistent
                self._assign(self._pending.pop(0))
        return self._changed

    def link(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Make each pair candidates of each other (kind ``story``), band keys or not:
        the pipeline links story-mates that verify as duplicates, so a rewrite whose
        word sets share no LSH band still meets the group rule like any candidate."""
        for a, b in pairs:
            if a != b:
                self.links[a].add(b)
                self.links[b].add(a)

    def candidates(self, article_id: str) -> dict[str, set[str]]:
        """LSH candidates of an indexed article (kinds that matched), plus its links."""
        out = self.index.candidates(article_id, self.fingerprints[article_id])
        for other in self.links.get(article_id, ()):
            if other in self.articles:
                out.setdefault(other, set()).add(STORY_KIND)
        return out

    def band_candidates(self, article_id: str) -> set[str]:
        """The articles an indexed article shares an LSH band key with."""
        return set(self.index.candidates(article_id, self.fingerprints[article_id]))

    def member(self, article_id: str) -> Member:
        """Membership record of an article."""
        return self.groups[self.group_of[article_id]].members[article_id]

    # -- internals ----------------------------------------------------------
    def _key(self, a: Article | str) -> tuple[float, int, float, int, str]:
        art = self.articles[a] if isinstance(a, str) else a
        # numeric ids (the pipeline's) in number order: "9" before "10"
        number = int(art.id) if art.id.isdigit() else -1
        return (art.published, art.rank, art.fetched, number, art.id)

    def _check(self, a: str, b: str) -> DupDecision:
        self.n_verifications += 1
        return self.verify(self.articles[a].text, self.articles[b].text, self.furniture)

    def _assign(self, aid: str) -> None:
        cands = self.candidates(aid)
        gids = sorted({self.group_of[c] for c in cands if c in self.group_of})
        matches: list[tuple[str, DupDecision]] = []
        for gid in gids:
            d = self._check(aid, self.groups[gid].anchor)
            if d.relation is not None:
                matches.append((gid, d))
        if not matches:
            hop = self._hop(aid, gids)
            if hop is not None:
                self.stats["hop"] += 1
                gid, m = hop
                self.groups[gid].members[aid] = m
                self._set(aid, gid)
                return
            gid = f"n{self._next_gid}"  # never reuse an id, even after merges/evictions
            self._next_gid += 1
            self.groups[gid] = Group(gid, aid, {aid: Member(aid, None, None)})
            self._set(aid, gid)
            self._rehome(gid)
            return
        matches.sort(
            key=lambda m: (
                -RANK[m[1].relation or ""],
                tuple(-x for x in _strength(m[1])),
                self._key(self.groups[m[0]].anchor),
            )
        )
        gid, d = matches[0]
        group = self.groups[gid]
        if _story_only(cands, (c for c in cands if self.group_of.get(c) == gid)):
            d = _via_story(d)
        group.members[aid] = Member(aid, d.relation, d)
        self._set(aid, gid)
        if self._key(aid) < self._key(group.anchor):
            self._reanchor(gid, aid)
        verbatim = d.relation in VERBATIM
        for other, d_other in matches[1:]:  # compare *current* anchors, after re-anchoring
            if other not in self.groups or other == gid:
                continue
            bridge = verbatim and d_other.relation in VERBATIM
            if bridge or self._check(self.groups[gid].anchor, self.groups[other].anchor).relation:
                self._merge(gid, other)

    def _rehome(self, gid: str) -> None:
        """A new or re-anchored group's anchor may be a better home for members
        placed elsewhere (e.g. copies that arrived before their original): move a
        non-anchor member when its relation to the new anchor ranks higher, or
        is as strong by REHOME_MARGIN more.  Members move only forward, so
        nothing oscillates; hop members that depended on it are re-assigned."""
        anchor = self.groups[gid].anchor
        moved = False
        cands = self.candidates(anchor)
        for c in sorted(cands, key=self._key):
            cg = self.group_of.get(c)
            if cg is None or cg == gid or c == self.groups[cg].anchor:
                continue
            cur = self.groups[cg].members[c]
            if cur.relation is None or cur.decision is None:
                continue
            d = self._check(c, anchor)
            if d.relation is None:
                continue
            new, old_s = _strength(d), _strength(cur.decision)
            if (RANK[d.relation], new[0]) <= (RANK[cur.relation], old_s[0] + REHOME_MARGIN):
                continue
            old = self.groups[cg]
            del old.members[c]
            if _story_only(cands, [c]):
                d = _via_story(d)
            self.groups[gid].members[c] = Member(c, d.relation, d)
            self._set(c, gid)
            self.stats["rehome"] += 1
            moved = True
            for mid, m in list(old.members.items()):
                if m.via == c:  # its bridge left: re-assign from scratch
                    del old.members[mid]
                    del self.group_of[mid]
                    self._changed.add(mid)
                    self._pending.append(mid)
        if moved:
            first = min(self.groups[gid].members, key=self._key)
            if first != anchor:
                self._reanchor(gid, first)

    def _hop(self, aid: str, gids: list[str]) -> tuple[str, Member] | None:
        """One verbatim hop through a directly verified member (see module doc)."""
        best: tuple[tuple[int, tuple[float, float]], str, Member] | None = None
        cands = self.candidates(aid)
        for c in sorted(cands, key=self._key):
            gid = self.group_of.get(c)
            if gid not in gids:
                continue
            via = self.groups[gid].members[c]
            if via.via is not None or via.relation is None:
                continue  # hop only from direct, non-anchor members
            d = self._check(aid, c)
            s = d.scores
            same_size = d.relation == "exact" or (
                d.relation == "near_copy"
                and min(s["length_ratio"], s["coverage_shorter"], s["coverage_longer"])
                >= HOP_MIN_RATIO
            )
            if not same_size:
                continue
            rel = via.relation
            rank = (RANK[rel], _strength(d))
            if best is None or rank > best[0]:
                anchor = self.groups[gid].anchor
                why = (
                    f"no direct match with anchor {anchor}; {d.relation} of member {c} "
                    f"({d.reason}), which is a {rel} of the anchor"
                )
                dec = DupDecision(rel, {**s, "via_member": 1.0}, d.thresholds, d.containment, why)
                if _story_only(cands, [c]):
                    dec = _via_story(dec)
                best = (rank, gid, Member(aid, rel, dec, via=c))
        return None if best is None else (best[1], best[2])

    def _set(self, aid: str, gid: str) -> None:
        self.group_of[aid] = gid
        self._changed.add(aid)
        art = self.articles[aid]
        for key in art.lines if art.lines is not None else line_keys(art.text):
            if key not in self.furniture:
                seen = self._line_groups[key]
                if gid not in seen:
                    self.line_log.add((key, gid))
                seen.add(gid)
                if len(seen) >= FURNITURE_MIN_GROUPS:
                    self.furniture.add(key)
                    del self._line_groups[key]

    def _merge(self, gid: str, other: str) -> None:
        """Fold group `other` into `gid`; anchor = the earlier of both anchors."""
        self.stats["merge"] += 1
        g, o = self.groups[gid], self.groups.pop(other)
        for mid in o.members:
            g.members[mid] = o.members[mid]
            self._set(mid, gid)
        self._reanchor(gid, min(g.anchor, o.anchor, key=self._key), force=True)

    def _reanchor(self, gid: str, new_anchor: str, force: bool = False) -> None:
        """Make `new_anchor` the anchor and re-verify every member against it."""
        g = self.groups[gid]
        if g.anchor == new_anchor and not force:
            return
        self.stats["reanchor"] += 1
        g.anchor = new_anchor
        old = [m for m in g.members if m != new_anchor]
        g.members = {new_anchor: Member(new_anchor, None, None)}
        self._set(new_anchor, gid)
        evicted: list[str] = []
        for mid in sorted(old, key=self._key):
            d = self._check(mid, new_anchor)
            if d.relation is None:
                self.stats["evict"] += 1
                evicted.append(mid)
                del self.group_of[mid]
                self._changed.add(mid)
            else:
                if new_anchor in self.links.get(mid, ()) and _story_only(
                    self.candidates(mid), [new_anchor]
                ):
                    d = _via_story(d)
                g.members[mid] = Member(mid, d.relation, d)
                self._set(mid, gid)
        self._pending.extend(evicted)
        self._rehome(gid)  # the new anchor may be a better home for neighbours


def group_members(index: DedupIndex) -> Iterable[tuple[str, str, Relation | None]]:
    """(group_id, article_id, relation) rows, ready for a DuckDB upsert."""
    for gid, g in index.groups.items():
        for mid, m in g.members.items():
            yield gid, mid, m.relation
