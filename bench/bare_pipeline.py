"""The script a user would write in an afternoon: the baseline `mediawatch ingest` is
timed against (bench/pipeline_rate.py).

One process, one core: for every page of a folder (``.html`` or ``.html.gz``), plain
``trafilatura.extract(html)``; a datasketch MinHash (128 permutations) over the text's
word 5-shingles, looked up in a ``MinHashLSH`` at threshold 0.8 and added to it; the
page stored in a DuckDB file (url, text, its near-duplicate if one was found) in one
insert per 500 pages. Nothing else: no dates, languages, revisions, stories, search
index, failures recorded or run history.

Run: .venv/bin/python bench/bare_pipeline.py FOLDER DB  (prints a JSON line)
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

START = time.perf_counter()

import duckdb  # noqa: E402
import trafilatura  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

BATCH = 500


def shingles(text: str, k: int = 5) -> set[bytes]:
    words = text.lower().split()
    return {" ".join(words[i : i + k]).encode() for i in range(max(1, len(words) - k + 1))}


def run(folder: Path, db: Path) -> dict:
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    conn = duckdb.connect(str(db))
    conn.execute("CREATE TABLE IF NOT EXISTS pages (url TEXT, text TEXT, duplicate_of TEXT)")
    rows: list[tuple[str, str, str | None]] = []
    pages = articles = duplicates = 0
    for path in sorted(folder.iterdir()):
        if not path.name.endswith((".html", ".html.gz")):
            continue
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        pages += 1
        text = trafilatura.extract(raw.decode("utf-8", "replace"))
        if not text:
            continue
        m = MinHash(num_perm=128)
        m.update_batch(list(shingles(text)))
        found = lsh.query(m)
        url = path.resolve().as_uri()
        lsh.insert(url, m)
        articles += 1
        duplicates += bool(found)
        rows.append((url, text, found[0] if found else None))
        if len(rows) >= BATCH:
            conn.executemany("INSERT INTO pages VALUES (?, ?, ?)", rows)
            rows = []
    if rows:
        conn.executemany("INSERT INTO pages VALUES (?, ?, ?)", rows)
    conn.close()
    return {
        "pages": pages,
        "articles": articles,
        "near_duplicates": duplicates,
        "seconds": time.perf_counter() - START,
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]))))
