"""A generated news corpus for the crash and concurrency tests: a few hundred articles
about fictional events, with wire copies, near-copies and independently written
articles per event, so that runs build real stories and duplicate groups.

Deterministic (seeded); every event has a vocabulary of its own, so events do not
blur into each other, and dates spread over weeks, so the matching window matters.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

_SYLLABLES = [
    *("ka", "lo", "mi", "ten", "dar", "vel", "os", "ri", "pan", "tu", "sel", "gor", "ni"),
    *("ba", "fe", "ru", "ham", "ist", "on", "el", "ver", "qua", "zi", "po", "lan", "mer"),
    *("tis", "bro", "cal", "dun", "fen", "hal", "jor", "kir", "lem", "nor", "pel", "rast"),
    *("sum", "tor", "vin", "wes", "yar", "zel"),
]
_GLUE = [
    *("the", "of", "and", "in", "to", "a", "on", "for", "with", "after", "before", "at"),
    *("by", "from", "was", "were", "said", "has"),
]
_OUTLETS = [
    "Coast Wire",
    "Valley Post",
    "Harbour Times",
    "Northern Ledger",
    "City Herald",
    "Daily Lantern",
    "Morning Signal",
]


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


def _sentence(rng: random.Random, vocab: list[str], names: list[str], numbers: list[int]) -> str:
    words = []
    for _ in range(rng.randint(14, 20)):
        r = rng.random()
        if r < 0.45:
            words.append(rng.choice(vocab))
        elif r < 0.55:
            words.append(rng.choice(names))
        elif r < 0.6:
            words.append(str(rng.choice(numbers)))
        else:
            words.append(rng.choice(_GLUE))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def articles(n_events: int = 50, seed: int = 7) -> list[dict]:
    """About five articles per event: a wire original, a near-copy with another outlet's
    boilerplate, a copy with one sentence changed, and two independent articles."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 6, 0)
    out: list[dict] = []
    for e in range(n_events):
        place = _word(rng, 3).capitalize()
        person = f"{_word(rng, 2).capitalize()} {_word(rng, 3).capitalize()}"
        names = [place, person, f"{_word(rng, 2).capitalize()} Council"]
        vocab = [_word(rng, rng.choice((2, 3))) for _ in range(30)]
        numbers = [rng.randint(2, 990) for _ in range(4)]
        day = start + timedelta(days=e * 1.4, hours=rng.randint(0, 12))
        title = f"{place}: {person} and the {vocab[0]} {vocab[1]}"
        wire = [_sentence(rng, vocab, names, numbers) for _ in range(7)]
        outlets = rng.sample(_OUTLETS, 5)

        def add(
            kind: str, text: list[str], hours: float, outlet: str, head: str, e=e, day=day
        ) -> None:
            out.append(
                {
                    "url": f"https://{outlet.lower().replace(' ', '')}.example/{e}/{kind}",
                    "title": head,
                    "text": "\n".join(text),
                    "published_at": (day + timedelta(hours=hours)).isoformat(),
                    "source": outlet,
                }
            )

        add("wire", wire, 0, outlets[0], title)
        add(
            "copy",
            [*wire, f"This report first appeared on {outlets[0]} and is republished here."],
            2,
            outlets[1],
            title,
        )
        edited = list(wire)
        edited[3] = _sentence(rng, vocab, names, numbers)
        add("edit", edited, 5, outlets[2], title + " (updated)")
        for k in (3, 4):
            own = [_sentence(rng, vocab, names, numbers) for _ in range(6)]
            add(f"own{k}", own, 8 + k, outlets[k], f"{person} on the {vocab[2]} in {place}")
    return out


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def ingested(folder: Path, name: str, records: list[dict]) -> Path:
    """A database made by `mediawatch ingest` of ``records`` as one JSONL file (a real
    flow run: the caller holds the ``prefect_harness`` fixture)."""
    from mediawatch.cli import main

    db = folder / f"{name}.duckdb"
    assert (
        main(["ingest", str(write_jsonl(folder / f"{name}.jsonl", records)), "--db", str(db)]) == 0
    )
    return db


def snapshot(db: Path) -> dict:
    """What a database holds, independent of ids: articles by URL with their texts, the
    story partition and the duplicate groups as sets of URLs."""
    from storage.check import check
    from storage.connection import reader

    with reader(db) as conn:
        arts = conn.execute("SELECT url, title, text FROM articles").fetchall()
        stories = conn.execute(
            "SELECT sm.story_id, list(a.url ORDER BY a.url) FROM story_members sm"
            " JOIN articles a USING (article_id) GROUP BY sm.story_id"
        ).fetchall()
        groups = conn.execute(
            "SELECT m.group_id, list((a.url, m.relation) ORDER BY a.url) FROM dup_members m"
            " JOIN articles a USING (article_id) GROUP BY m.group_id"
        ).fetchall()
        n_urls = conn.execute("SELECT count(DISTINCT url_key) FROM articles").fetchone()[0]
        result = check(conn)
    return {
        "articles": {(u, t, x) for u, t, x in arts},
        "n_articles": len(arts),
        "distinct_urls": n_urls,
        "stories": {frozenset(urls) for _, urls in stories},
        "groups": {frozenset(tuple(m) for m in members) for _, members in groups},
        "problems": result.problems,
    }
