"""End-to-end ingest rate against bare trafilatura on one core, in the same run.

1. Builds the repeated corpus in a temporary folder: every real page in V versions under
   changed file names, each version with a short sentence added to one paragraph
   (near-copies, or exact copies when that paragraph is not article text).
2. Bare baseline: plain ``trafilatura.extract(html)`` with default settings over the same
   files, one after another in this process (one core), file reading included; measured
   before and after step 3, and averaged.
3. `mediawatch ingest FOLDER` as a user runs it: a subprocess, wall clock from start to
   exit (Prefect's temporary server start-up included, during which the workers already
   extract the first batch), into a new database; its own summary gives the time inside
   the flow (start-up and shut-down excluded).

Run: .venv/bin/python bench/ingest_rate.py [--variants 15] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import VENV_BIN, build_corpus, header, line, load


def bare_rate(files: list[Path]) -> tuple[float, float]:
    """Pages per second of plain trafilatura.extract on one core: (wall, CPU)."""
    import trafilatura

    for f in files[:5]:  # imports and first-call caches outside the timing
        trafilatura.extract(f.read_bytes().decode("utf-8", "replace"))
    wall, cpu = time.perf_counter(), time.process_time()
    for f in files:
        trafilatura.extract(f.read_bytes().decode("utf-8", "replace"))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(files) / wall, len(files) / cpu


def ingest(folder: Path, db: Path) -> tuple[float, dict]:
    """`mediawatch ingest` in a subprocess: (wall seconds, its JSON summary)."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "mediawatch"), "ingest", str(folder), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mediawatch ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=15, help="versions of each page")
    ap.add_argument("--quick", action="store_true", help="3 versions: a smoke run")
    args = ap.parse_args(argv)
    variants = 3 if args.quick else args.variants
    with tempfile.TemporaryDirectory(prefix="mediawatch-bench-") as tmp:
        folder = Path(tmp) / "pages"
        files = build_corpus(folder, variants)
        size = sum(f.stat().st_size for f in files) / len(files) / 1024
        header(f"End-to-end ingest: {len(files)} pages ({variants} versions of each page)")
        line("average page size", f"{size:.0f} KB")
        # The baseline before and after the run, averaged: this machine's speed drifts by
        # up to 20% within minutes, and a ratio to one reading alone would drift with it.
        before, before_cpu = bare_rate(files)
        db = Path(tmp) / "bench.duckdb"
        wall, summary = ingest(folder, db)
        after, after_cpu = bare_rate(files)
        bare, bare_cpu = (before + after) / 2, (before_cpu + after_cpu) / 2
        line("bare trafilatura.extract, one core (pages/s)", f"{bare:.1f}")
        line("  before / after the run (pages/s)", f"{before:.1f} / {after:.1f}")
        line("  the same per CPU second", f"{bare_cpu:.1f}")
        inside = summary["elapsed"]
        e2e, steady = len(files) / wall, len(files) / inside
        line("mediawatch ingest, wall clock with start-up (s)", f"{wall:.1f}")
        line("  of which inside the flow (s)", f"{inside:.1f}")
        line("  start-up and shut-down, Prefect's temporary server (s)", f"{wall - inside:.1f}")
        line(
            "  stored",
            f"{summary['new_articles']} new, {summary['exact_copies']} exact copies, "
            f"{len(summary['failures'])} failed, {summary['new_groups']} groups",
        )
        line("mediawatch ingest, whole run (pages/s)", f"{e2e:.1f}")
        # not quite a steady state: the first batch was extracted during the start-up
        line("mediawatch ingest, inside the flow (pages/s)", f"{steady:.1f}")
        line("RATIO whole run / bare one-core trafilatura", f"{e2e / bare:.2f}x")
        line("RATIO inside the flow / bare one-core trafilatura", f"{steady / bare:.2f}x")
        per_k = db.stat().st_size / summary["new_articles"] * 1000 / 2**20
        line("DuckDB file size per 1,000 real articles (MB)", f"{per_k:.1f}")
        line("after the run", load())
        return {"bare": bare, "e2e": e2e, "steady": steady, "mb_per_1000": per_k}


if __name__ == "__main__":
    main()
