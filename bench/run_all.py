"""The benchmark suite: every figure, with its baseline measured in the same run.

1. bench/throughput.py    where a page's CPU goes, stage by stage, against bare trafilatura
2. bench/ingest_rate.py   `mediawatch ingest` end to end against bare one-core trafilatura
3. bench/archive_scale.py lookups, memory and a 100-article batch at 10k/100k/1M articles
4. bench/pipeline_rate.py `mediawatch ingest` as a whole process (cold, nothing new, one new
                          page) against the bare one-process pipeline (bench/bare_pipeline.py)

Run: make bench (or .venv/bin/python bench/run_all.py); --quick for a smoke run (smaller
corpus, archives up to 100,000, one repeat). Needs ../shared/data/extraction/html; the
first full run also builds the synthetic archives (about a minute), cached in bench/.cache.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import archive_scale, ingest_rate, pipeline_rate, throughput
from bench.common import html_dir, load


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="mediawatch benchmark suite")
    ap.add_argument("--quick", action="store_true", help="a smoke run: smaller and faster")
    args = ap.parse_args(argv)
    html_dir()  # a clear message, not a traceback, when the pages are missing
    quick = ["--quick"] if args.quick else []
    start = time.perf_counter()
    print(
        f"mediawatch benchmarks{' (quick)' if args.quick else ''}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {load()}"
    )
    throughput.main(quick)
    ingest_rate.main(quick)
    archive_scale.main(quick)
    pipeline_rate.main(quick)
    print(f"\nsuite finished in {time.perf_counter() - start:.0f} s ({load()})")


if __name__ == "__main__":
    main()
