"""An analyst's corrections: story merge and split, article move, group detach and
attach; each recorded (who, when, note) and undoable.

Each function changes the stored state in the caller's transaction, records the
correction with what it replaced, and then checks that every active correction still
holds (``storage.corrections.violations``): one that would break an earlier correction
is refused (undo that one first), and the transaction rolls back. Later runs respect
the active corrections (mediawatch.constraints, mediawatch.cluster.constraints).
"""

from __future__ import annotations

import getpass
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from mediawatch import constraints
from mediawatch.cluster.stories import SPACES, ArticleFeatures, DocFreq, Params, StoryIndex
from mediawatch.match.verify import verify
from mediawatch.reindex import story_profile
from mediawatch.wording import noun, numbered, plural
from storage import articles as articles_db
from storage import corrections as db
from storage import dedup as dedup_db
from storage.reindex import replace_story_profiles

KINDS = {
    "story-merge": "story merge",
    "story-split": "story split",
    "article-move": "article move",
    "group-detach": "group detach",
    "group-attach": "group attach",
}


class CorrectionError(Exception):
    """A correction that cannot be made (or undone) as asked; nothing was changed."""


@dataclass(frozen=True)
class Who:
    by: str
    via: str = "cli"  # cli | inspector

    @classmethod
    def default(cls, by: str | None = None, via: str = "cli") -> Who:
        return cls((by or "").strip() or _os_user(), via)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"


@dataclass
class Done:
    """What a correction (or an undo) did, for the command line and the inspector."""

    correction_id: int
    kind: str
    message: str
    stories: list[int] = field(default_factory=list)  # stories that changed
    detail: dict = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ---- story corrections --------------------------------------------------------------


def merge(
    conn: duckdb.DuckDBPyConnection, a: int, b: int, who: Who, note: str | None = None
) -> Done:
    """Story ``b``'s articles join story ``a``; ``b`` is absorbed. They stay together."""
    broken = _broken(conn)
    if a == b:
        raise CorrectionError("a story cannot be merged with itself")
    _live_story(conn, a)
    _live_story(conn, b)
    kept, gone = db.members(conn, a), db.members(conn, b)
    cid, now = db.next_id(conn), _now()
    before = db.membership_rows(conn, gone)
    _move(conn, gone, a, cid, now)
    db.absorb(conn, b, a, now)
    _refresh(conn, [a])
    _record(
        conn,
        broken,
        cid,
        "story-merge",
        {"into": a, "story": b},
        who,
        note,
        now,
        before,
        {"absorbed": [b]},
        {1: kept, 2: gone},
    )
    return Done(
        cid,
        "story-merge",
        f"story {b} merged into story {a} ({plural(len(kept) + len(gone), 'article')})",
        [a, b],
    )


def split(
    conn: duckdb.DuckDBPyConnection,
    story: int,
    article_ids: Iterable[int],
    who: Who,
    note: str | None = None,
) -> Done:
    """The listed articles leave ``story`` for a new story; the parts stay apart."""
    broken = _broken(conn)
    _live_story(conn, story)
    leaving = sorted(set(article_ids))
    members = db.members(conn, story)
    if not leaving:
        raise CorrectionError("name the articles that leave the story")
    strangers = [a for a in leaving if a not in members]
    if strangers:
        raise CorrectionError(f"not in story {story}: {_ids(strangers)}")
    staying = [a for a in members if a not in leaving]
    if not staying:
        raise CorrectionError(f"every article of story {story} is listed: at least one must stay")
    _whole_groups(conn, leaving, "split off")
    cid, now = db.next_id(conn), _now()
    before = db.membership_rows(conn, leaving)
    new = db.new_story(conn, now)
    _move(conn, leaving, new, cid, now)
    _refresh(conn, [story, new])
    _record(
        conn,
        broken,
        cid,
        "story-split",
        {"story": story, "articles": leaving},
        who,
        note,
        now,
        before,
        {"created": [new]},
        {1: staying, 2: leaving},
    )
    return Done(
        cid,
        "story-split",
        f"story {story} split: {plural(len(leaving), 'article')} now in the new story {new}, "
        f"{len(staying)} {noun(len(staying), 'stays', 'stay')}",
        [story, new],
    )


def move(
    conn: duckdb.DuckDBPyConnection, article: int, to: int, who: Who, note: str | None = None
) -> Done:
    """One article to another story, where it stays."""
    broken = _broken(conn)
    _article(conn, article)
    _live_story(conn, to)
    source = db.story_of(conn, article)
    if source == to:
        raise CorrectionError(f"article {article} is in story {to} already")
    _whole_groups(conn, [article], "moved")
    mates = db.members(conn, to)
    cid, now = db.next_id(conn), _now()
    before = db.membership_rows(conn, [article])
    _move(conn, [article], to, cid, now)
    absorbed = []
    if source is not None and not db.members(conn, source):
        db.absorb(conn, source, to, now)  # its only article left
        absorbed.append(source)
    _refresh(conn, [to, *([source] if source and not absorbed else [])])
    _record(
        conn,
        broken,
        cid,
        "article-move",
        {"article": article, "to": to, "from": source},
        who,
        note,
        now,
        before,
        {"absorbed": absorbed},
        {1: mates, 2: [article]},
    )
    return Done(
        cid,
        "article-move",
        f"article {article} moved from story {source} to story {to}",
        [s for s in (source, to) if s is not None],
    )


# ---- group corrections --------------------------------------------------------------


def detach(
    conn: duckdb.DuckDBPyConnection, article: int, who: Who, note: str | None = None
) -> Done:
    """The article is no longer a copy in its duplicate group; it stays in its story and
    never rejoins that group's members."""
    broken = _broken(conn)
    _article(conn, article)
    gid = db.group_of(conn, article)
    if gid is None:
        raise CorrectionError(f"article {article} is in no duplicate group")
    state = db.group_rows(conn, gid)
    mates = [int(a) for a in state["members"] if int(a) != article]
    cid, now = db.next_id(conn), _now()
    origin, rows, left = _drop_stored(conn, state, {article})
    _write_group(conn, gid, state, origin, rows, now)
    _record(
        conn,
        broken,
        cid,
        "group-detach",
        {"article": article, "group": gid},
        who,
        note,
        now,
        {"group": gid, "state": state},
        {"left": sorted(set(left) - {article})},
        {1: mates, 2: [article]},
    )
    also = sorted(set(left) - {article})
    tail = f"; also left (they had joined through it): {_ids(also)}" if also else ""
    dissolved = "; the group is dissolved" if not rows else ""
    story = db.story_of(conn, article)  # its counts changed (independent articles)
    return Done(
        cid,
        "group-detach",
        f"article {article} detached from group {gid}{tail}{dissolved}",
        [story] if story is not None else [],
        detail={"group": gid, "left": also},
    )


def attach(
    conn: duckdb.DuckDBPyConnection,
    article: int,
    group: int,
    who: Who,
    note: str | None = None,
    force: str | None = None,
) -> Done:
    """The article joins a duplicate group once it verifies against the group's origin
    (or, with ``force`` giving the reason, though it does not); it moves to the group's
    story when it is elsewhere."""
    if force is not None and not force.strip():
        raise CorrectionError(
            "--force: give a non-empty reason (it is recorded with the correction)"
        )
    force = force.strip() if force is not None else None
    broken = _broken(conn)
    _article(conn, article)
    state = db.group_rows(conn, group)
    if not state:
        raise CorrectionError(f"no duplicate group {group}")
    current = db.group_of(conn, article)
    if current == group:
        raise CorrectionError(f"article {article} is in group {group} already")
    if current is not None:
        raise CorrectionError(
            f"article {article} is in duplicate group {current}: "
            f"`mediawatch group detach {article}` first"
        )
    origin = state["origin"]
    texts = db.texts(conn, [article, origin])
    a, o = texts[article][0], texts[origin][0]
    d = verify(a, o, dedup_db.furniture(conn)) if a is not None and o is not None else None
    verdict = d.relation if d is not None else None
    found = d.reason if d is not None else "a text was pruned (retention): nothing to verify"
    if verdict is None and force is None:
        raise CorrectionError(
            f"article {article} does not verify against the group's origin {origin}: {found}. "
            "`--force REASON` attaches it anyway, with your reason recorded"
        )
    cid, now = db.next_id(conn), _now()
    if verdict is not None:
        row = constraints.verified_row(article, d)
        decision = dict(row.decision or {})
    else:
        decision = {
            "relation": "rewrite",
            "reason": f"attached by {who.by} though it does not verify ({found}): {force}",
            "scores": d.scores if d is not None else {},
            "thresholds": d.thresholds if d is not None else {},
            "containment": d.containment if d is not None else None,
            "forced": True,
        }
        row = constraints.MemberRow(
            article, "rewrite", None, None, decision["containment"], decision
        )
    decision["correction"] = cid
    stored = [row.relation, None, row.similarity, row.containment, json.dumps(decision)]
    state_before = {"group": group, "members": db.membership_rows(conn, [article])}
    story = state["story"]
    source = db.story_of(conn, article)
    absorbed = []
    if source != story:
        _move(conn, [article], story, cid, now)
        if source is not None and not db.members(conn, source):
            db.absorb(conn, source, story, now)
            absorbed.append(source)
        _refresh(conn, [story, *([source] if source and not absorbed else [])])
    new_state = {
        **state,
        "members": {**state["members"], str(article): [*stored, now.isoformat(), 0]},
    }
    db.write_group(conn, group, new_state, now)
    _record(
        conn,
        broken,
        cid,
        "group-attach",
        {"article": article, "group": group},
        who,
        note,
        now,
        state_before,
        {"row": stored, "absorbed": absorbed, "verified": verdict is not None, "story": story},
        {1: [origin], 2: [article]},
        reason=force,
    )
    how = f"verified as {verdict}" if verdict else "forced: it does not verify"
    moved = f"; it moved from story {source} to story {story}" if source != story else ""
    return Done(
        cid,
        "group-attach",
        f"article {article} attached to group {group} ({how}: {decision['reason']}){moved}",
        [s for s in {source, story} if s is not None],
        {
            "relation": row.relation,
            "verified": verdict is not None,
            "scores": decision.get("scores", {}),
            "thresholds": decision.get("thresholds", {}),
        },
    )


# ---- undo ---------------------------------------------------------------------------


def undo(conn: duckdb.DuckDBPyConnection, correction_id: int, who: Who) -> Done:
    """Put back what the correction replaced and stop respecting it. Articles stored
    since stay where the runs put them."""
    c = db.get(conn, correction_id)
    if c is None:
        raise CorrectionError(f"no correction {correction_id}")
    if c.state != "active":
        raise CorrectionError(f"correction {correction_id} was undone already")
    broken_before = _broken(conn)
    db.mark_undone(conn, correction_id, who.by, _now())
    now = _now()
    if c.kind == "group-detach":
        _undo_detach(conn, c, now)
        story = db.story_of(conn, c.subject["article"])
        stories = [story] if story is not None else []
    else:
        if c.kind == "group-attach":
            _undo_attach_group(conn, c, now)
        stories = _undo_members(conn, c, now)
    _check_kept(conn, broken_before, f"undoing correction {correction_id}")
    return Done(
        correction_id, c.kind, f"correction {correction_id} ({KINDS[c.kind]}) undone", stories
    )


def _undo_members(conn: duckdb.DuckDBPyConnection, c: db.CorrectionRow, now: datetime) -> list[int]:
    rows = c.before["members"] if c.kind == "group-attach" else c.before
    absorbed = set(c.after.get("absorbed", []))
    affected: set[int] = set()
    restore = {}
    for aid, row in rows.items():
        current = db.story_of(conn, int(aid))
        target = row[0]
        if target in absorbed:
            db.revive(conn, target, now)
        else:
            target = db.live_story(conn, target)
        restore[aid] = [target, *row[1:]]
        affected |= {target, *([current] if current is not None else [])}
    went: dict[int, Counter[int]] = {}
    for aid, row in restore.items():
        current = db.story_of(conn, int(aid))
        if current is not None:
            went.setdefault(current, Counter())[row[0]] += 1
    db.set_rows(conn, restore)
    split_groups = db.groups_across_stories(conn, [int(a) for a in restore])
    if split_groups:
        raise CorrectionError(
            f"{numbered(split_groups, 'duplicate group')} formed since would span two stories"
        )
    for sid in sorted(affected):
        if not db.members(conn, sid) and db.story_state(conn, sid)[1] is None:
            db.absorb(conn, sid, went[sid].most_common(1)[0][0], now)
    live = [s for s in sorted(affected) if db.members(conn, s)]
    _refresh(conn, live)
    return sorted(affected)


def _undo_detach(conn: duckdb.DuckDBPyConnection, c: db.CorrectionRow, now: datetime) -> None:
    gid, state = c.before["group"], c.before["state"]
    article = c.subject["article"]
    where = db.group_of(conn, article)
    if where is not None:
        raise CorrectionError(
            f"article {article} is in duplicate group {where} now: detach it from there first"
        )
    current = db.group_rows(conn, gid)
    members = dict(state["members"])
    for aid in list(members):
        g = db.group_of(conn, int(aid))
        if g not in (None, gid):
            raise CorrectionError(f"article {aid} is in duplicate group {g} now")
    if current:
        for aid, row in current["members"].items():
            members.setdefault(aid, row)
    stories = {db.story_of(conn, int(a)) for a in members}
    if len(stories) > 1:
        raise CorrectionError(
            f"the group's articles are in stories {_ids(s for s in stories if s is not None)} "
            "now: a duplicate group lives in one story"
        )
    db.write_group(conn, gid, {**state, "members": members, "story": stories.pop()}, now)


def _undo_attach_group(conn: duckdb.DuckDBPyConnection, c: db.CorrectionRow, now: datetime) -> None:
    article, group = c.subject["article"], c.subject["group"]
    if db.group_of(conn, article) != group:
        return  # the group is gone or the article left it: nothing to take out
    state = db.group_rows(conn, group)
    origin, rows, _ = _drop_stored(conn, state, {article})
    _write_group(conn, group, state, origin, rows, now)


# ---- listing --------------------------------------------------------------------------


def describe(c: db.CorrectionRow) -> str:
    """A correction's subject in words."""
    s = c.subject
    if c.kind == "story-merge":
        return f"story {s['story']} into story {s['into']}"
    if c.kind == "story-split":
        new = c.after.get("created", ["?"])[0]
        return f"story {s['story']}: {numbered(s['articles'], 'article')} to new story {new}"
    if c.kind == "article-move":
        return f"article {s['article']} from story {s['from']} to story {s['to']}"
    if c.kind == "group-detach":
        return f"article {s['article']} out of group {s['group']}"
    forced = "" if c.after.get("verified") else " (forced)"
    return f"article {s['article']} into group {s['group']}{forced}"


def pair_note(conn: duckdb.DuckDBPyConnection, a: int, b: int) -> str | None:
    """When an analyst's active correction decides how two articles pair, in words."""
    notes = []
    for cid, kind, by, at, note, pa, pb in db.about_pair(conn, a, b):
        if kind in db.APART and pa != pb:
            what = "kept in different stories (and groups)"
        elif kind in db.TOGETHER:
            what = "kept in one story"
        elif kind in db.UNGROUP and pa != pb:
            what = "never in one duplicate group"
        elif kind in db.GROUP and pa != pb:
            what = "kept in one duplicate group"
        else:
            continue
        said = f": {note}" if note else ""
        notes.append(
            f"{what} by correction {cid} ({KINDS[kind]} by {by}, {at:%Y-%m-%d %H:%M}{said})"
        )
    return "; ".join(notes) or None


# ---- helpers ----------------------------------------------------------------------------


def _ids(ids: Iterable[int]) -> str:
    return ", ".join(str(i) for i in ids)


def _article(conn: duckdb.DuckDBPyConnection, article: int) -> None:
    if not db.article_exists(conn, article):
        raise CorrectionError(f"no article {article}")


def _live_story(conn: duckdb.DuckDBPyConnection, story: int) -> None:
    state = db.story_state(conn, story)
    if state is None:
        raise CorrectionError(f"no story {story}")
    if state[1] is not None:
        raise CorrectionError(f"story {story} was merged into story {state[1]}")


def _whole_groups(conn: duckdb.DuckDBPyConnection, ids: list[int], verb: str) -> None:
    """A duplicate group lives in one story: its members go together or not at all."""
    for gid, members in db.groups_among(conn, ids).items():
        rest = [m for m in members if m not in ids]
        if rest:
            raise CorrectionError(
                f"duplicate group {gid} would span two stories: its {numbered(rest, 'article')} "
                f"{noun(len(rest), 'is')} not {verb} with it. List "
                f"{noun(len(rest), 'it', 'them')} too, or `mediawatch group detach` first"
            )


def _move(
    conn: duckdb.DuckDBPyConnection, ids: list[int], to: int, cid: int, now: datetime
) -> None:
    scores = json.dumps({"correction": cid})
    db.set_rows(conn, {str(a): [to, "correction", None, scores, now.isoformat(), 0] for a in ids})


def _refresh(conn: duckdb.DuckDBPyConnection, story_ids: Iterable[int]) -> None:
    """Aggregates and the clusterer's profile of stories whose members changed."""
    ids = sorted(set(story_ids))
    terms = db.member_terms(conn, ids)
    wanted: dict[str, set[str]] = {s: set() for s in SPACES}
    for rows in terms.values():
        for _, t, *_ in rows:
            for s in SPACES:
                wanted[s].update(t.get(s, {}))
    n_docs, df = db.doc_freq(conn, wanted)
    params = Params()
    index = StoryIndex(params)
    index.docfreq = DocFreq(n_docs, df)
    times = []
    within, term_rows, key_rows = [], [], []
    idf: dict[str, dict[str, float]] = {x: {} for x in SPACES}
    for sid in ids:
        rows = terms.get(sid, [])
        for aid, t, published, language, precision in rows:
            index.articles[str(aid)] = ArticleFeatures.from_terms(
                str(aid), t, published, language, precision
            )
        story_profile(index, sid, [a for a, *_ in rows], params, idf, within, term_rows, key_rows)
        feats = [index.articles[str(a)] for a, *_ in rows]
        firsts = [f.published for f in feats if f.published is not None]
        lasts = [f.latest for f in feats if f.latest is not None]
        times.append((sid, min(firsts, default=None), max(lasts, default=None)))
    replace_story_profiles(conn, within, term_rows, key_rows)
    db.story_times(conn, times)
    articles_db.refresh_stories(conn, ids)


def _drop_stored(conn: duckdb.DuckDBPyConnection, state: dict, gone: set[int]) -> tuple:
    rows = [constraints.member_row(int(a), r) for a, r in state["members"].items()]
    texts = db.texts(conn, [m.article_id for m in rows])
    return constraints.drop(state["origin"], rows, gone, texts, dedup_db.furniture(conn))


def _write_group(
    conn: duckdb.DuckDBPyConnection, gid: int, state: dict, origin: int, rows: list, now: datetime
) -> None:
    if not rows:
        db.drop_group(conn, gid)
        return
    old = state["members"]

    def stamp(m) -> list:
        kept = old.get(str(m.article_id))
        same = kept is not None and kept[0] == m.relation and kept[1] == m.via
        joined = kept[5:] if same else [now.isoformat(), 0]
        decision = json.dumps(m.decision) if m.decision is not None else None
        return [m.relation, m.via, m.similarity, m.containment, decision, *joined]

    members = {str(m.article_id): stamp(m) for m in rows}
    db.write_group(conn, gid, {**state, "origin": origin, "members": members}, now)


def _broken(conn: duckdb.DuckDBPyConnection) -> set[int]:
    return {cid for ids in db.violations(conn).values() for cid in ids}


def _record(conn, broken, cid, kind, subject, who, note, now, before, after, parts, reason=None):
    """The correction, once every active correction that held before still holds."""
    db.insert(
        conn,
        db.CorrectionRow(
            cid,
            kind,
            subject,
            (note or "").strip() or None,
            reason,
            who.by,
            who.via,
            now,
            "active",
            None,
            None,
            before,
            after,
        ),
        parts,
    )
    _check_kept(conn, broken, f"this {KINDS[kind]}")


def _check_kept(conn: duckdb.DuckDBPyConnection, broken_before: set[int], what: str) -> None:
    """Every active correction that held before still holds (else: refused)."""
    broken = sorted(_broken(conn) - broken_before)
    if broken:
        listed = ", ".join(f"{i} ({describe(db.get(conn, i))})" for i in broken)
        commands = " and ".join(f"`mediawatch corrections undo {i}`" for i in broken)
        it = "it" if len(broken) == 1 else "them"
        raise CorrectionError(
            f"{what} would undo correction {listed}: undo {it} first ({commands})"
        )
