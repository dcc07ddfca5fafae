"""Story decisions and duplicate groups on labelled pairs of news articles in many languages.

The file (SemEval-2022 Task 8 style: ``pair_id``, ``lang1``, ``lang2``, ``overall``,
``text1``, ``text2``) is read into its distinct texts: a text that occurs in several pairs
is ingested once (identity is the content). Two fresh databases are used:

1. **Stories.** Every distinct text, once, in ``batches`` batches through the normal flow.
   The arrival order is shuffled with a fixed seed: file order would put both texts of a
   pair into one batch, one after the other, which is not how a desk receives them and
   favours whichever way the incremental clustering treats neighbours. A pair with
   ``overall <= 1.5`` is "same story", ``>= 3.5`` "different", the rest is ignored;
   predicted "same" means both texts are in one story. Reported per language (same-language
   pairs) and per language pair (cross-language): both recalls and the balanced accuracy,
   then the macro averages.
2. **Duplicate groups.** Every distinct text again, plus, for ``per_language`` originals of
   each language, an exact copy, a near copy (page furniture around it and about one word
   in 30 changed; in Chinese and Japanese one two-character run in 30) and a truncation to
   60%, all in shuffled batches. Reported: recall per kind and language (the copy in one
   group with its original), and groups that join two texts the annotators rated
   different stories (``overall >= 2.5``). Copies go into their own database because a
   copy doubles its original's weight in a story and would bias the story figures of (1);
   all texts are in it so that every rated pair can show up as a wrongly joined group.

No publication times are given: every text arrives as news of the moment, the strictest
case for both joining and keeping apart. Nothing is written outside a temporary folder.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mediawatch.evaluate import DataMissing, shown
from mediawatch.evaluate.copies import (
    boiler_lines,
    edit_units,
    headline_of,
    is_word,
    truncate,
    units,
)
from mediawatch.evaluate.metrics import PairCounts, macro
from mediawatch.evaluate.runner import Outcome, Record, fresh_db, ingest_in_batches, split

SAME_AT_MOST = 1.5
DIFFERENT_AT_LEAST = 3.5
RATED_DIFFERENT = 2.5  # a duplicate group must never join texts rated at least this far apart
COPY_KINDS = ("exact", "near", "trunc60")
EDIT_RATE = 1 / 30
TRUNCATE_TO = 0.6
MIN_UNITS = 100  # originals long enough that their 60% truncation is still an article


@dataclass(frozen=True)
class Text:
    id: str
    lang: str
    text: str


@dataclass(frozen=True)
class Pair:
    pair_id: str
    a: str  # text ids
    b: str
    lang1: str
    lang2: str
    overall: float

    @property
    def key(self) -> str:
        """``de`` for a same-language pair, ``de-en`` (file order) for a cross-language one."""
        return self.lang1 if self.lang1 == self.lang2 else f"{self.lang1}-{self.lang2}"

    @property
    def label(self) -> bool | None:
        """True: the same story; False: different stories; None: in between, not scored."""
        if self.overall <= SAME_AT_MOST:
            return True
        if self.overall >= DIFFERENT_AT_LEAST:
            return False
        return None


@dataclass(frozen=True)
class PairsData:
    texts: dict[str, Text]
    pairs: list[Pair]
    repeated: int  # texts that occur in more than one pair


@dataclass(frozen=True)
class CopyResult:
    """One language's built copies: kind -> (grouped with their original, built)."""

    lang: str
    found: dict[str, tuple[int, int]]

    def recall(self, kind: str) -> float | None:
        got, n = self.found.get(kind, (0, 0))
        return got / n if n else None


@dataclass(frozen=True)
class WrongGroup:
    group: int
    pair_id: str
    overall: float
    lang: str
    a: str  # the two text ids
    b: str


@dataclass(frozen=True)
class PairsReport:
    texts: int
    pairs: int
    scored: int  # pairs labelled same or different with both texts stored
    unstored: int  # scored pairs left out because a text did not reach the database
    by_key: dict[str, PairCounts]  # "de" and "de-en" -> decisions
    same_language_macro: float | None
    cross_language_macro: float | None
    copies: dict[str, CopyResult] = field(default_factory=dict)
    groups: int = 0
    wrong_groups: list[WrongGroup] = field(default_factory=list)
    seconds: float = 0.0

    def copy_recall(self, kind: str | None = None) -> float | None:
        """Recall over every language (of one kind, or all kinds)."""
        kinds = [kind] if kind else list(COPY_KINDS)
        got = sum(c.found.get(k, (0, 0))[0] for c in self.copies.values() for k in kinds)
        n = sum(c.found.get(k, (0, 0))[1] for c in self.copies.values() for k in kinds)
        return got / n if n else None


def default_file(data: Path) -> Path:
    return data / "pairs" / "semeval8-train-multilingual.jsonl"


def text_id(lang: str, text: str) -> str:
    return f"{lang}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:12]}"


def load_pairs(path: Path) -> PairsData:
    """Distinct texts (by content) and the pairs that refer to them; bad lines are named."""
    if not path.is_file():
        raise DataMissing(
            f"labelled pairs not found: {path} (give FILE.jsonl, or set --data or "
            "MEDIAWATCH_SHARED_DATA)"
        )
    texts: dict[str, Text] = {}
    pairs: list[Pair] = []
    uses: Counter[str] = Counter()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                ids = []
                for k in ("1", "2"):
                    lang, body = str(row["lang" + k]).strip().lower(), row["text" + k]
                    if not isinstance(body, str) or not body.strip():
                        raise ValueError(f"text{k} is empty")
                    tid = text_id(lang, body)
                    texts.setdefault(tid, Text(tid, lang, body))
                    ids.append(tid)
                pair = Pair(
                    str(row.get("pair_id", n)),
                    ids[0],
                    ids[1],
                    texts[ids[0]].lang,
                    texts[ids[1]].lang,
                    float(row["overall"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                msg = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                raise DataMissing(f"{path}, line {n}: not a labelled pair ({msg})") from None
            if pair.a == pair.b:
                continue  # a text paired with itself says nothing about the clustering
            pairs.append(pair)
            uses.update({pair.a, pair.b})
    if not pairs:
        raise DataMissing(f"no labelled pairs in {path}")
    return PairsData(texts, pairs, sum(1 for c in uses.values() if c > 1))


def _shuffled(n: int, seed: int) -> list[int]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order


def score_pairs(pairs: list[Pair], story: dict[str, int]) -> tuple[dict[str, PairCounts], int]:
    """Decisions per language (pair) and the number of scored pairs missing a stored text."""
    by_key: dict[str, PairCounts] = {}
    unstored = 0
    for p in pairs:
        if p.label is None:
            continue
        if p.a not in story or p.b not in story:
            unstored += 1
            continue
        counts = by_key.get(p.key, PairCounts())
        by_key[p.key] = counts.add(p.label, story[p.a] == story[p.b])
    return dict(sorted(by_key.items())), unstored


def _is_cross(key: str) -> bool:
    return "-" in key


def _f(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def print_decisions(report: PairsReport, out: Callable[[str], None]) -> None:
    out(f"  {'language':10} {'same':>5} {'diff':>5} {'R same':>7} {'R diff':>7} {'bal.acc':>7}")
    for cross in (False, True):
        keys = [k for k in report.by_key if _is_cross(k) == cross]
        for k in keys:
            c = report.by_key[k]
            out(
                f"  {k:10} {c.same:5} {c.different:5} {_f(c.recall_same)} "
                f"{_f(c.recall_different)} {_f(c.balanced_accuracy)}"
            )
        avg = report.cross_language_macro if cross else report.same_language_macro
        n = sum(report.by_key[k].balanced_accuracy is not None for k in keys)
        name = "cross-language" if cross else "same-language"
        out(
            f"  {name} macro balanced accuracy ({n} {'pairs' if cross else 'languages'}):"
            f" {_f(avg, 0)}"
        )


def evaluate_stories(
    data: PairsData, n_batches: int, seed: int, out: Callable[[str], None]
) -> tuple[dict[str, PairCounts], int, float]:
    records = [Record(t.id, None, t.text) for t in data.texts.values()]
    with fresh_db() as db:
        result = ingest_in_batches(
            records, split(_shuffled(len(records), seed), n_batches), db, out
        )
    by_key, unstored = score_pairs(data.pairs, result.story)
    return by_key, unstored, result.seconds


# --- duplicate groups ----------------------------------------------------------------------


@dataclass
class CopyCorpus:
    records: list[Record] = field(default_factory=list)
    base: dict[str, str] = field(default_factory=dict)  # record id -> original text id
    kind: dict[str, str] = field(default_factory=dict)  # record id -> "original" or a copy kind
    lang: dict[str, str] = field(default_factory=dict)


def choose_originals(
    data: PairsData, per_language: int, rng: random.Random, min_units: int = MIN_UNITS
) -> list[Text]:
    """Up to ``per_language`` texts of each language with at least ``min_units`` units."""
    chosen: list[Text] = []
    by_lang: dict[str, list[Text]] = {}
    for t in sorted(data.texts.values(), key=lambda t: t.id):
        if len(units(t.text)) >= min_units:
            by_lang.setdefault(t.lang, []).append(t)
    for lang in sorted(by_lang):
        pool = by_lang[lang]
        chosen += rng.sample(pool, min(per_language, len(pool)))
    return chosen


def build_copies(
    data: PairsData, per_language: int, rng: random.Random, min_units: int = MIN_UNITS
) -> CopyCorpus:
    """Every text as an original, and the three copies of the chosen originals."""
    c = CopyCorpus()
    for t in data.texts.values():
        c.records.append(Record(t.id, None, t.text))
        c.base[t.id], c.kind[t.id], c.lang[t.id] = t.id, "original", t.lang
    titles: dict[str, list[str]] = {}
    words: dict[str, list[str]] = {}  # replacement words: from the language's own texts
    for t in data.texts.values():
        titles.setdefault(t.lang, []).append(headline_of(t.text))
        words.setdefault(t.lang, []).extend(u[0] for u in units(t.text) if is_word(u[0]))
    for t in choose_originals(data, per_language, rng, min_units):
        others = [h for h in titles[t.lang] if h != headline_of(t.text)] or titles[t.lang]
        edited = edit_units(rng, t.text, EDIT_RATE, words[t.lang])
        near = "\n".join([*boiler_lines(rng, others), edited, *boiler_lines(rng, others)])
        for kind, body in (
            ("exact", t.text),
            ("near", near),
            ("trunc60", truncate(t.text, TRUNCATE_TO)),
        ):
            rid = f"{t.id}~{kind}"
            c.records.append(Record(rid, None, body))
            c.base[rid], c.kind[rid], c.lang[rid] = t.id, kind, t.lang
    return c


def score_copies(c: CopyCorpus, group: dict[str, int | None]) -> dict[str, CopyResult]:
    found: dict[str, dict[str, list[int]]] = {}
    for rid, kind in c.kind.items():
        if kind == "original":
            continue
        g = group.get(rid)
        hit = g is not None and g == group.get(c.base[rid])
        cell = found.setdefault(c.lang[rid], {}).setdefault(kind, [0, 0])
        cell[0] += hit
        cell[1] += 1
    return {
        lang: CopyResult(lang, {k: (v[0], v[1]) for k, v in kinds.items()})
        for lang, kinds in sorted(found.items())
    }


def wrong_groups(
    c: CopyCorpus, group: dict[str, int | None], pairs: list[Pair]
) -> tuple[int, list[WrongGroup]]:
    """Number of groups, and those joining two texts of a pair rated >= RATED_DIFFERENT."""
    members: dict[int, set[str]] = {}
    for rid, g in group.items():
        if g is not None and rid in c.base:
            members.setdefault(g, set()).add(c.base[rid])
    rated = {frozenset((p.a, p.b)): p for p in pairs if p.overall >= RATED_DIFFERENT}
    wrong = []
    for g, originals in sorted(members.items()):
        for a, b in itertools.combinations(sorted(originals), 2):
            p = rated.get(frozenset((a, b)))
            if p is not None:
                wrong.append(WrongGroup(g, p.pair_id, p.overall, p.key, p.a, p.b))
                break
    return len(members), wrong


def print_copies(
    report: PairsReport, out: Callable[[str], None], texts: dict[str, Text] | None = None
) -> None:
    out(f"  {'copies':10} " + " ".join(f"{k:>8}" for k in COPY_KINDS) + "   (grouped/built)")
    for lang, r in report.copies.items():
        cells = []
        for k in COPY_KINDS:
            got, n = r.found.get(k, (0, 0))
            cells.append(f"{got}/{n}" if n else "-")
        out(f"  {lang:10} " + " ".join(f"{c:>8}" for c in cells))
    overall = " ".join(f"{k} {_f(report.copy_recall(k), 0)}" for k in COPY_KINDS)
    out(f"  recall over all languages: {overall}; all copies {_f(report.copy_recall(), 0)}")
    out(
        f"  duplicate groups: {report.groups}; joining texts rated different "
        f"(overall >= {RATED_DIFFERENT}): {len(report.wrong_groups)}"
    )
    for w in report.wrong_groups[:10]:
        out(f"    group {w.group}: pair {w.pair_id} ({w.lang}, overall {w.overall:.2f})")
        for tid in (w.a, w.b) if texts else ():
            out(f"      {shown(texts[tid].text, 90)}")


def evaluate(
    path: Path,
    n_batches: int = 4,
    seed: int = 13,
    per_language: int = 20,
    copies: bool = True,
    min_units: int = MIN_UNITS,
    out: Callable[[str], None] = print,
) -> PairsReport:
    data = load_pairs(path)
    langs = sorted({t.lang for t in data.texts.values()})
    labels = Counter(p.label for p in data.pairs)
    out(
        f"Pairs: {len(data.pairs)} labelled pairs ({path.name}), {len(data.texts)} distinct texts "
        f"({data.repeated} in more than one pair), {len(langs)} languages: {' '.join(langs)}"
    )
    out(
        f"  same story (overall <= {SAME_AT_MOST}): {labels[True]} pairs, different "
        f"(>= {DIFFERENT_AT_LEAST}): {labels[False]}, in between (not scored): {labels[None]}"
    )
    out(f"  stories: every text once, {n_batches} shuffled batches (seed {seed}), fresh database")
    by_key, unstored, seconds = evaluate_stories(data, n_batches, seed, out)
    if unstored:
        out(f"  {unstored} scored pairs left out: a text of theirs was not stored (see failures)")
    report = PairsReport(
        texts=len(data.texts),
        pairs=len(data.pairs),
        scored=sum(c.same + c.different for c in by_key.values()),
        unstored=unstored,
        by_key=by_key,
        same_language_macro=macro(
            [c.balanced_accuracy for k, c in by_key.items() if not _is_cross(k)]
        ),
        cross_language_macro=macro(
            [c.balanced_accuracy for k, c in by_key.items() if _is_cross(k)]
        ),
        seconds=seconds,
    )
    print_decisions(report, out)
    if copies:
        rng = random.Random(seed)
        corpus = build_copies(data, per_language, rng, min_units)
        n_copies = len(corpus.records) - len(data.texts)
        out(
            f"  duplicate groups: {n_copies} copies of up to {per_language} originals per "
            f"language (>= {min_units} words) and every text, {n_batches} shuffled batches, "
            "fresh database"
        )
        out("  (exact; near = page furniture and 1 in 30 words changed; trunc60 = the first 60%)")
        with fresh_db() as db:
            result: Outcome = ingest_in_batches(
                corpus.records, split(_shuffled(len(corpus.records), seed), n_batches), db, out
            )
        n_groups, wrong = wrong_groups(corpus, result.group, data.pairs)
        report = replace(
            report,
            copies=score_copies(corpus, result.group),
            groups=n_groups,
            wrong_groups=wrong,
            seconds=seconds + result.seconds,
        )
        print_copies(report, out, data.texts)
    out(f"  pipeline time: {report.seconds:.0f} s in all")
    return report
