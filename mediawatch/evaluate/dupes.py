"""Duplicate groups on built copies of real articles, through the normal pipeline.

For each labelled article we build near-copies (other page furniture around it, an
edited headline, a few changed words, all three at once) and truncated copies (its
first half, its first three lines), give every copy a publication time near the
original's (a fifth of them before it), and ingest originals and copies in shuffled
batches, with the two seed documents. Reported: the share of copies grouped with their
original (recall), groups that join articles of different labelled stories (errors),
BCubed of the duplicate groups against "versions of one original", the seed pair, and
the within-story original pairs that were grouped (genuine wire copies, to inspect).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from mediawatch.evaluate import DataMissing
from mediawatch.evaluate.copies import FILLER, OUTLETS, boiler_lines
from mediawatch.evaluate.metrics import PRF, bcubed, pairwise
from mediawatch.evaluate.runner import Record, fresh_db, ingest_in_batches
from mediawatch.evaluate.stories import load_labelled
from mediawatch.match.verify import features, length_floor

NEAR_TYPES = ("boiler", "headline", "words", "combo")
TRUNC_TYPES = ("trunc_half", "trunc3")
SEED_FILES = ("000_16416721b22052af.txt", "001_1a12cbee7aca723b.txt")
BASE_TIME = datetime(2026, 1, 1)


def edit_headline(rng: random.Random, title: str) -> str:
    """A prefix or suffix and one or two word edits, as desks do when re-running copy."""
    words = title.split()
    edited = len(words) > 3 and rng.random() < 0.6
    if edited:
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(words))
            if rng.random() < 0.5:
                words[i] = rng.choice(FILLER)
            elif len(words) > 3:
                del words[i]
    text = " ".join(words)
    r = rng.random() * (0.7 if not edited else 1.0)  # always change something
    if r < 0.35:
        text = rng.choice(["BREAKING: ", "UPDATE: ", "WATCH: "]) + text
    elif r < 0.7:
        text = f"{text} | {rng.choice(OUTLETS)}"
    return text


def edit_words(rng: random.Random, lines: list[str]) -> list[str]:
    """3 to 5 word substitutions or deletions in the body (not the headline)."""
    body = [ln.split() for ln in lines]
    slots = [
        (i, j) for i in range(1 if len(body) > 1 else 0, len(body)) for j in range(len(body[i]))
    ]
    for i, j in rng.sample(slots, min(len(slots), rng.randint(3, 5))):
        body[i][j] = rng.choice(FILLER) if rng.random() < 0.6 else ""
    return [" ".join(w for w in ln if w) for ln in body]


def make_variants(rng: random.Random, text: str, titles: list[str]) -> dict[str, tuple[str, str]]:
    """Variant kind -> (text, core); the core is the text without added furniture, used to
    decide whether the pair is long enough for any duplicate claim at all."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    out: dict[str, tuple[str, str]] = {}

    def wrap(core: list[str]) -> tuple[str, str]:
        page = boiler_lines(rng, titles) + core + boiler_lines(rng, titles)
        return "\n".join(page), "\n".join(core)

    def plain(core: list[str]) -> tuple[str, str]:
        return "\n".join(core), "\n".join(core)

    out["boiler"] = wrap(lines)
    out["headline"] = plain([edit_headline(rng, lines[0]), *lines[1:]])
    out["words"] = plain(edit_words(rng, lines))
    edited = edit_words(rng, lines)
    out["combo"] = wrap([edit_headline(rng, edited[0]), *edited[1:]])
    if len(lines) >= 4:
        out["trunc_half"] = plain(lines[: (len(lines) + 1) // 2])
    if len(lines) >= 5:
        out["trunc3"] = plain(lines[:3])
    return out


@dataclass
class Corpus:
    records: list[Record] = field(default_factory=list)
    base: dict[str, str] = field(default_factory=dict)  # record -> its original
    kind: dict[str, str] = field(default_factory=dict)  # record -> variant kind
    label: dict[str, str] = field(default_factory=dict)  # record -> labelled story
    core: dict[str, str] = field(default_factory=dict)

    def add(self, record: Record, base: str, kind: str, label: str, core: str) -> None:
        self.records.append(record)
        self.base[record.id], self.kind[record.id] = base, kind
        self.label[record.id], self.core[record.id] = label, core

    def claimable(self, rid: str) -> bool:
        """The length policy allows a claim between a copy's article part and its original."""
        original = next(r for r in self.records if r.id == self.base[rid])
        fa, fb = features(self.core[rid]), features(original.text)
        fs, fl = (fa, fb) if len(fa.toks) <= len(fb.toks) else (fb, fa)
        return length_floor(len(fs.toks), len(fl.toks), fs.n_substantive) is None


def _time(offset_seconds: float) -> str:
    return (BASE_TIME + timedelta(seconds=offset_seconds)).isoformat()


def build_corpus(
    originals: list[Record], labels: dict[str, str], seeds: list[str], rng: random.Random
) -> Corpus:
    titles = [r.title or r.text.split("\n")[0] for r in originals]
    c = Corpus()
    for r in originals:
        t0 = rng.uniform(0, 30 * 86400)
        c.add(Record(r.id, r.title, r.text, _time(t0)), r.id, "original", labels[r.id], r.text)
        for kind, (text, core) in make_variants(rng, r.text, titles).items():
            # a fifth of the copies appear before the original: the group's origin changes
            dt = rng.uniform(-6 * 3600, 0) if rng.random() < 0.2 else rng.uniform(0, 72 * 3600)
            title = text.split("\n")[0]
            c.add(
                Record(f"{r.id}~{kind}", title, text, _time(t0 + dt)),
                r.id,
                kind,
                labels[r.id],
                core,
            )
    for i, text in enumerate(seeds):
        c.add(
            Record(f"seed{i}", None, text, _time(40 * 86400 + i)), f"seed{i}", "seed", "seed", text
        )
    return c


@dataclass(frozen=True)
class DupesReport:
    recall: dict[str, float]  # near, trunc and per kind
    mixed_groups: int
    groups: int
    group_bcubed: PRF
    group_pairwise: PRF
    seed_relation: str | None
    grouped_originals: int


def evaluate(
    path: Path,
    seeds_dir: Path,
    label_field: str = "subtopic",
    batch_size: int = 250,
    seed: int = 13,
    out: Callable[[str], None] = print,
) -> DupesReport:
    originals, labels = load_labelled(path, label_field)
    missing = [seeds_dir / f for f in SEED_FILES if not (seeds_dir / f).is_file()]
    if missing:
        raise DataMissing(f"seed documents not found: {', '.join(map(str, missing))}")
    rng = random.Random(seed)
    c = build_corpus(originals, labels, [(seeds_dir / f).read_text() for f in SEED_FILES], rng)
    order = list(range(len(c.records)))
    rng.shuffle(order)  # arrival order unrelated to publication order
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    out(
        f"Duplicates: {len(originals)} originals, {len(c.records) - len(originals) - 2} built "
        f"copies and the seed pair; {len(batches)} shuffled batches of {batch_size} (seed {seed})"
    )
    with fresh_db() as db:
        result = ingest_in_batches(c.records, batches, db, out)
    group = result.group

    def same(a: str, b: str) -> bool:
        return group.get(a) is not None and group.get(a) == group.get(b)

    recall: dict[str, float] = {}
    out(
        f"  {'copy':12} {'claimable':>9} {'grouped':>8} {'recall':>7}  "
        "relations   [too short to claim]"
    )
    totals: Counter[str] = Counter()
    for kind in (*NEAR_TYPES, *TRUNC_TYPES):
        ids = [r.id for r in c.records if c.kind[r.id] == kind]
        ok = [i for i in ids if c.claimable(i)]
        grouped = [i for i in ok if same(i, c.base[i])]
        rel = Counter(result.relation.get(i) for i in grouped)
        recall[kind] = len(grouped) / len(ok) if ok else 1.0
        family = "near" if kind in NEAR_TYPES else "trunc"
        totals[family + "_n"] += len(ok)
        totals[family + "_g"] += len(grouped)
        out(
            f"  {kind:12} {len(ok):9} {len(grouped):8} {recall[kind]:7.3f}  {dict(rel)}  "
            f"[{len(ids) - len(ok)}]"
        )
    for family, name in (("near", "near-copies"), ("trunc", "truncations")):
        recall[family] = totals[family + "_g"] / max(1, totals[family + "_n"])
        out(
            f"  recall on {name}: {recall[family]:.4f} "
            f"({totals[family + '_g']}/{totals[family + '_n']})"
        )

    members: dict[int, list[str]] = {}
    for rid, gid in group.items():
        if gid is not None:
            members.setdefault(gid, []).append(rid)
    mixed = [g for g, ms in members.items() if len({c.label[m] for m in ms}) > 1]
    gold = {r.id: c.base[r.id] for r in c.records}
    pred = {
        rid: (f"g{group[rid]}" if group.get(rid) is not None else f"solo-{rid}") for rid in gold
    }
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    out(f"  duplicate groups: {len(members)}; spanning two labelled stories: {len(mixed)}")
    out(
        f"  groups vs 'versions of one original': BCubed P {b.precision:.4f} R {b.recall:.4f} "
        f"F1 {b.f1:.4f}; pairwise P {p.precision:.4f} R {p.recall:.4f} F1 {p.f1:.4f}"
    )
    originals_per_group = [sum(c.kind[m] == "original" for m in ms) for ms in members.values()]
    grouped_originals = sum(n * (n - 1) // 2 for n in originals_per_group)
    out(
        f"  pairs of distinct originals grouped (wire copies inside one story, inspect with "
        f"`explain`): {grouped_originals}"
    )
    seed_rel = None
    if same("seed0", "seed1"):
        seed_rel = next(
            r for r in (result.relation["seed0"], result.relation["seed1"]) if r != "origin"
        )
    out(f"  seed pair: {'one group, relation ' + seed_rel if seed_rel else 'NOT grouped'}")
    out(f"  pipeline time: {result.seconds / len(c.records) * 1000:.1f} ms per article")
    return DupesReport(recall, len(mixed), len(members), b, p, seed_rel, grouped_originals)
