"""Story clustering against labelled stories, through the normal pipeline.

The file is ingested into a fresh database in ``batches`` equal batches, first in file
order (the stated order), then in ``orders`` random orders (seeds 1..n), each into its
own fresh database. Reported: BCubed and pairwise precision/recall/F1 of the stories,
the spread of BCubed F1 over the random orders, and duplicate groups that join articles
of different stories (each one is an error: versions of one text are one story).
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mediawatch.evaluate import DataMissing
from mediawatch.evaluate.metrics import PRF, bcubed, pairwise
from mediawatch.evaluate.runner import Record, fresh_db, ingest_in_batches, split


@dataclass(frozen=True)
class OrderResult:
    name: str
    bcubed: PRF
    pairwise: PRF
    stories: int
    groups: int
    mixed_groups: int
    seconds: float


@dataclass(frozen=True)
class StoriesReport:
    results: list[OrderResult]
    spread: float
    mean_random_f1: float


def load_labelled(path: Path, label_field: str) -> tuple[list[Record], dict[str, str]]:
    if not path.is_file():
        raise DataMissing(
            f"labelled stories not found: {path} (set --data or MEDIAWATCH_SHARED_DATA)"
        )
    records, labels = [], {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rid = str(row["id"])
                record = Record(rid, row.get("title"), row["text"], row.get("published_at"))
                labels[rid] = str(row[label_field])
            except (ValueError, KeyError, TypeError) as exc:
                why = f"no field {exc}" if isinstance(exc, KeyError) else str(exc)
                raise DataMissing(
                    f"{path}, line {n}: not a labelled article ({why}; the label field is "
                    f"--label-field, now '{label_field}')"
                ) from None
            records.append(record)
    return records, labels


def _fmt(p: PRF) -> str:
    return f"P {p.precision:.4f} R {p.recall:.4f} F1 {p.f1:.4f}"


def evaluate_order(
    name: str,
    records: list[Record],
    labels: dict[str, str],
    order: list[int],
    n_batches: int,
    log: Callable[[str], None],
) -> OrderResult:
    with fresh_db() as db:
        out = ingest_in_batches(records, split(order, n_batches), db, log)
    gold = {r.id: labels[r.id] for r in records}
    pred = {rid: out.story[rid] for rid in gold}
    members: dict[int, set[str]] = {}
    for rid, gid in out.group.items():
        if gid is not None:
            members.setdefault(gid, set()).add(labels[rid])
    mixed = sum(1 for labs in members.values() if len(labs) > 1)
    return OrderResult(
        name,
        bcubed(pred, gold),
        pairwise(pred, gold),
        len(set(pred.values())),
        len(members),
        mixed,
        out.seconds,
    )


def evaluate(
    path: Path,
    label_field: str = "subtopic",
    n_batches: int = 5,
    n_orders: int = 5,
    out: Callable[[str], None] = print,
) -> StoriesReport:
    records, labels = load_labelled(path, label_field)
    out(
        f"Stories: {len(records)} articles, {len(set(labels.values()))} labelled stories "
        f"({path.name}, label '{label_field}'), {n_batches} batches per order"
    )
    out(f"  {'order':16} {'BCubed':34} {'pairwise':34} stories  groups  mixed  seconds")
    ids = list(range(len(records)))
    orders = [("file order", ids)]
    for seed in range(1, n_orders + 1):
        shuffled = list(ids)
        random.Random(seed).shuffle(shuffled)
        orders.append((f"random seed {seed}", shuffled))
    results = []
    for name, order in orders:
        r = evaluate_order(name, records, labels, order, n_batches, out)
        results.append(r)
        out(
            f"  {name:16} {_fmt(r.bcubed):34} {_fmt(r.pairwise):34} {r.stories:7} "
            f"{r.groups:7} {r.mixed_groups:6} {r.seconds:8.1f}"
        )
    randoms = [r.bcubed.f1 for r in results[1:]]
    spread = max(randoms) - min(randoms) if randoms else 0.0
    mean = statistics.fmean(randoms) if randoms else results[0].bcubed.f1
    if randoms:
        out(
            f"  BCubed F1 over {len(randoms)} random orders: mean {mean:.4f}, "
            f"min {min(randoms):.4f}, max {max(randoms):.4f}, spread {spread:.4f}"
        )
    n = len(records) * len(results)
    out(
        f"  pipeline time: {sum(r.seconds for r in results) / n * 1000:.1f} ms per article "
        "(flow runs included)"
    )
    return StoriesReport(results, spread, mean)
