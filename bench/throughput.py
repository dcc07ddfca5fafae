"""Where a page's CPU goes, stage by stage, on one core: extraction (against bare
trafilatura on the same pages), fingerprinting, matching and storing.

Pages: V versions of each real page (near-copies, as in bench/ingest_rate.py).
- extraction: mediawatch's extractor (extract_document) against plain trafilatura.extract,
  interleaved page by page so that machine load does not favour one of them (CPU time);
- fingerprint: MinHash band keys, sentence keys and story term counts (fingerprint_batch);
- match: LSH candidates, verification and duplicate groups in memory (DedupIndex);
- store: store_batch into a new DuckDB file in batches of 500 (match, cluster, search
  index and every write, in one transaction per batch).

Run: .venv/bin/python bench/throughput.py [--variants 3] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import header, line, load, pages, variant


def main(argv: list[str] | None = None) -> dict[str, float]:
    import trafilatura

    from mediawatch import pipeline
    from mediawatch.config import ExtractSettings, load_settings
    from mediawatch.extract import extract_document
    from mediawatch.fingerprint import fingerprint_batch
    from mediawatch.match.batch import fingerprint_from_keys
    from mediawatch.match.groups import Article as MatchArticle
    from mediawatch.match.groups import DedupIndex
    from mediawatch.records import Article, RawDocument

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2 versions of each page")
    args = ap.parse_args(argv)
    variants = 2 if args.quick else args.variants
    now = datetime.now()
    docs = [
        RawDocument(
            url=f"file:///bench/{v:02d}-{name}.html",
            origin=name,
            content=variant(html, v),
            content_type="html",
            fetched_at=now,
        )
        for v in range(variants)
        for name, html in pages()
    ]
    header(f"Stages on one core: {len(docs)} pages ({variants} versions of each page)")
    settings = ExtractSettings()
    for d in docs[:3]:  # imports and caches outside the timing
        extract_document(d, settings)
        trafilatura.extract(d.content.decode("utf-8", "replace"))
    ours = bare = 0.0
    extracted = []
    for d in docs:
        start = time.process_time()
        extracted.append(extract_document(d, settings))
        mid = time.process_time()
        trafilatura.extract(d.content.decode("utf-8", "replace"))
        ours, bare = ours + mid - start, bare + time.process_time() - mid
    articles = [a for a in extracted if isinstance(a, Article)]
    n = len(docs)
    line("bare trafilatura.extract (CPU ms/page)", f"{bare * 1000 / n:.1f}")
    line("mediawatch extraction (CPU ms/page)", f"{ours * 1000 / n:.1f} ({ours / bare:.2f}x bare)")

    start = time.process_time()
    fps = fingerprint_batch(articles)
    fp = time.process_time() - start
    line("fingerprint: band keys + story terms (CPU ms/article)", f"{fp * 1000 / len(fps):.2f}")
    line("fingerprint throughput, one core (articles/s)", f"{len(fps) / fp:.0f}")

    index = DedupIndex()
    start = time.process_time()
    for i in range(0, len(fps), 500):
        part = fps[i : i + 500]
        index.add_batch(
            [
                MatchArticle(str(i + k), f.article.text, f.article.date.timestamp())
                for k, f in enumerate(part)
            ],
            [fingerprint_from_keys(f.band_keys) for f in part],
        )
    match = time.process_time() - start
    line(
        "match in memory: candidates, verification, groups (art./s)",
        f"{len(fps) / match:.0f} ({index.n_verifications} pairs verified)",
    )

    with tempfile.TemporaryDirectory(prefix="mediawatch-bench-") as tmp:
        conf = load_settings(db=str(Path(tmp) / "stages.duckdb"))
        run_id = pipeline.start_run(conf, ["bench"], "bench")
        start = time.perf_counter()
        cpu = time.process_time()
        for i in range(0, len(fps), 500):
            pipeline.store_batch(fps[i : i + 500], [], run_id, conf)
        store_cpu = time.process_time() - cpu
        store = time.perf_counter() - start
    line("store: match + cluster + write, batches of 500 (art./s)", f"{len(fps) / store:.0f}")
    line("store (CPU ms/article)", f"{store_cpu * 1000 / len(fps):.2f}")
    total = ours / n + fp / len(fps) + store_cpu / len(fps)
    line(
        "all stages, CPU per page (ms) and against bare",
        f"{total * 1000:.1f} ({total / (bare / n):.2f}x bare)",
    )
    line(
        "  the most two cores can give (bare one-core rate x)",
        f"{2 * (bare / n) / total:.2f}x",
    )
    line("after the run", load())
    return {"bare_ms": bare * 1000 / n, "total_ms": total * 1000}


if __name__ == "__main__":
    main()
