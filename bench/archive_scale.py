"""Does a run slow down as the archive grows? Lookups and a 100-article batch against
synthetic archives of 10,000, 100,000 and 1,000,000 stored articles.

- Archives are generated with SQL (bench/synthetic.py: the assumptions are printed) and
  cached in bench/.cache/ (gitignored); a changed generator rebuilds them.
- Lookup latency and memory: in a fresh process per archive, the LSH candidate join
  (restricted to the 30-day window) for one article's band keys and for a 100-article
  batch's, the story-candidate lookup for the batch (the story index join), and the
  process's peak RSS (resource.getrusage) after the lookups.
- A 100-article batch: in a fresh process on a copy of the archive, 100 real pages are
  stored (a day ago: their stories and groups now exist), then their near-copies (one
  sentence added) are stored as the measured batch: `store_batch` (match, cluster and
  write in one transaction), wall clock. The batch's articles are dated within the last
  two days, as a monitoring batch is; extraction is not part of it (it does not depend
  on the archive).

Run: .venv/bin/python bench/archive_scale.py [--quick] [--sizes 10000,1000000]
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synthetic
from bench.common import (
    CACHE,
    dated,
    header,
    html_dir,
    line,
    load,
    pages,
    peak_rss_mb,
    shared_data,
    variant,
)

BATCH = 100


def archive(n: int, log=print) -> Path:
    """The cached synthetic archive of ``n`` articles (built when missing or outdated).

    It is built for today's date: an archive from an earlier day is rebuilt so that its
    newest articles stay next to the batch."""
    # The text scheme is part of the key: an archive of an older scheme would make the
    # warm-up batch reindex it all, and the benchmark would measure that.
    key = f"g{synthetic.GENERATOR_VERSION}-s{synthetic.SCHEME_VERSION}-{date.today():%Y%m%d}"
    path = CACHE / f"archive-{n}-{key}.duckdb"
    if not path.exists():
        for old in CACHE.glob(f"archive-{n}-*.duckdb*"):
            old.unlink()
        html_dir()  # the same clear message when the data is missing
        truth = json.loads((shared_data() / "extraction" / "ground-truth.json").read_text())
        texts = [v["articleBody"] for v in truth.values()]
        tmp = path.with_name(path.name + ".building")
        seconds = synthetic.build(tmp, n, texts, log=lambda m: None)
        tmp.rename(path)
        for extra in tmp.parent.glob(tmp.name + "*"):
            extra.unlink()
        log(f"  built the {n:,}-article archive in {seconds:.0f} s ({_mb(path)} MB), cached")
    return path


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:,.0f}"


def prepare_batches(out: Path) -> None:
    """The real pages of the batch: version 0 (stored first) and version 1 (measured),
    extracted and fingerprinted once for every archive."""
    from mediawatch.config import ExtractSettings
    from mediawatch.prepare import prepare_batch
    from mediawatch.records import Fingerprinted, RawDocument

    now = datetime.now()
    chosen = pages()[:BATCH]
    batches = []
    for v in (0, 1):
        docs = [
            RawDocument(
                url=f"https://{name[:12]}.bench.example/story?v={v}",
                origin=f"bench:{name}:{v}",
                content=variant(html, v),
                content_type="html",
                fetched_at=now,
            )
            for name, html in chosen
        ]
        done = prepare_batch(docs, ExtractSettings(), workers=2)
        batches.append([p for p in done if isinstance(p, Fingerprinted)])
    out.write_bytes(pickle.dumps(batches))


def _end() -> datetime:
    return datetime.combine(date.today(), datetime.min.time())


def measure_lookup(db: Path, batches_file: Path) -> dict[str, float]:
    """In this process: lookup latencies (median seconds) and peak RSS."""
    from mediawatch.cluster.stories import ArticleFeatures, Params
    from storage import dedup as dedup_db
    from storage import stories as stories_db
    from storage.connection import reader

    base_rss = peak_rss_mb()
    batch = dated(pickle.loads(batches_file.read_bytes())[1], _end() - timedelta(days=1))
    since, until = (_end() - timedelta(days=31)).date(), (_end() + timedelta(days=30)).date()
    keys = [k for f in batch for k in f.band_keys]
    feats = [
        ArticleFeatures(
            str(10**9 + i),
            f.terms["words"],
            f.terms["entities"],
            f.terms["numbers"],
            f.article.published_at,
        )
        for i, f in enumerate(batch)
    ]
    out: dict[str, float] = {}
    with reader(db) as conn:
        dedup_db.candidate_ids(conn, keys, since, until)  # first touch: file cache, catalogue
        one = [
            _t(lambda f=f: dedup_db.candidate_ids(conn, f.band_keys, since, until))
            for f in batch[:20]
        ]
        out["lsh_one"] = statistics.median(one)
        out["lsh_batch"] = statistics.median(
            _t(lambda: dedup_db.candidate_ids(conn, keys, since, until)) for _ in range(5)
        )
        params = Params(window_days=30.0)
        out["stories_batch"] = statistics.median(
            _t(lambda: stories_db.load(conn, feats, params, _end() - timedelta(days=31)))
            for _ in range(5)
        )
    out["rss_mb"] = peak_rss_mb()
    out["base_rss_mb"] = base_rss
    return out


def _t(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_batch(db: Path, batches_file: Path) -> dict[str, float]:
    """In this process: store the warm-up batch, then time the measured 100-article batch."""
    from mediawatch import pipeline
    from mediawatch.config import load_settings

    warm, measured = pickle.loads(batches_file.read_bytes())
    settings = load_settings(db=str(db))
    run_id = pipeline.start_run(settings, ["bench"], "bench")
    start = time.perf_counter()
    pipeline.store_batch(dated(warm, _end() - timedelta(days=2)), [], run_id, settings)
    first = time.perf_counter() - start
    start = time.perf_counter()
    report = pipeline.store_batch(dated(measured, _end() - timedelta(days=1)), [], run_id, settings)
    second = time.perf_counter() - start
    return {
        "first": first,
        "batch": second,
        "new": report.new_articles,
        "groups": report.new_groups + report.grown_groups,
        "grown_stories": report.grown_stories,
        "rss_mb": peak_rss_mb(),
    }


def _subprocess(kind: str, db: Path, batches_file: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(db), str(batches_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 and 100,000 only, 1 repeat")
    ap.add_argument("--sizes", default="", help="comma-separated archive sizes")
    ap.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        kind, db, batches_file = args.measure
        fn = measure_lookup if kind == "lookup" else measure_batch
        print(json.dumps(fn(Path(db), Path(batches_file))))
        return {}
    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    )
    repeats = 1 if args.quick else 3
    header(f"Scale: lookups and a {BATCH}-article batch against archives of stored articles")
    line(
        "assumption: steady arrivals",
        f"{synthetic.RATE_PER_DAY} articles/day (1,000,000 = "
        f"{1_000_000 / synthetic.RATE_PER_DAY / 365:.1f} years), 30-day window",
    )
    line(
        "assumption: synthetic rows",
        f"{synthetic.BANDS_PER_ARTICLE} band keys, ~{synthetic.TEXT_WORDS}-word texts, "
        f"stories of {synthetic.STORY_SIZE}",
    )
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="mediawatch-scale-") as tmp:
        batches_file = Path(tmp) / "batches.pickle"
        prepare_batches(batches_file)
        for n in sizes:
            path = archive(n, log=lambda m: line("", m.strip()))
            look = _subprocess("lookup", path, batches_file)
            runs = []
            for _ in range(repeats):
                copy = Path(tmp) / "copy.duckdb"
                shutil.copyfile(path, copy)
                runs.append(_subprocess("batch", copy, batches_file))
                for p in Path(tmp).glob("copy.duckdb*"):  # the file, its WAL, lock and runs
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            batch = statistics.median(r["batch"] for r in runs)
            results[n] = {"lookup": look, "batch": batch, "runs": runs, "mb": _mb(path)}
            r0 = runs[0]
            each = ", ".join(f"{r['batch']:.2f}" for r in runs)
            line(f"{n:>9,} articles: archive file (MB)", results[n]["mb"])
            line("  LSH candidates, one article (ms, median)", f"{look['lsh_one'] * 1000:.1f}")
            line(f"  LSH candidates, {BATCH}-article batch (ms)", f"{look['lsh_batch'] * 1000:.1f}")
            line(
                f"  story candidates + profiles, {BATCH} articles (ms)",
                f"{look['stories_batch'] * 1000:.1f}",
            )
            line(
                "  lookup process peak RSS (MB)",
                f"{look['rss_mb']:.0f} (before the lookups {look['base_rss_mb']:.0f})",
            )
            line(
                f"  {BATCH}-article batch, store_batch (s, median of {repeats})",
                f"{batch:.2f} (runs: {each})",
            )
            line(
                "    what the batch did",
                f"{r0['new']} new, {r0['groups']} groups new or grown, "
                f"{r0['grown_stories']} stories grown; peak RSS {r0['rss_mb']:.0f} MB",
            )
    small, big = min(results), max(results)
    if small != big:
        line(
            f"RATIO batch time {big:,} / {small:,} articles",
            f"{results[big]['batch'] / results[small]['batch']:.2f}x",
        )
        line(
            f"RATIO LSH batch lookup {big:,} / {small:,}",
            f"{results[big]['lookup']['lsh_batch'] / results[small]['lookup']['lsh_batch']:.2f}x",
        )
    for n in sizes:
        per_k = float(results[n]["mb"].replace(",", "")) / n * 1000
        line(f"synthetic archive file per 1,000 articles, {n:,} (MB)", f"{per_k:.2f}")
    line("after the run", load())
    return results


if __name__ == "__main__":
    main()
