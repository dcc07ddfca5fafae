"""`mediawatch ingest` as a whole process against the script a user would write
(bench/bare_pipeline.py: trafilatura, datasketch MinHash LSH at 0.8 over word 5-shingles,
DuckDB; one process) and against bare trafilatura, on the same pages in the same run.

1. The pages: the real pages of ../shared/data/extraction/html as they are (.html.gz), or
   ``--variants V`` versions of each (bench/common.build_corpus); three pages are held
   back for step 5.
2. Bare trafilatura: ``trafilatura.extract(html)`` over the pages in this process.
3. The bare pipeline, a whole process into a new DuckDB file: before and after step 4,
   averaged (this machine's speed drifts).
4. `mediawatch ingest FOLDER` cold: a new database, a whole process, wall clock. Once with
   the project's Prefect server running (as every run after the first finds it:
   ``service.background_idle_minutes``; the benchmark starts it with `mediawatch server
   start` when none runs, and stops it at the end), and once with Prefect's temporary
   server per run (``background_idle_minutes = 0``: CI, and the releases before).
5. The everyday runs against the database of step 4, each a whole process, median of
   three: the same folder with nothing new, and the folder with one new page (a held-back
   page each time); the bare script given that one page, into its database of step 3.

Run: .venv/bin/python bench/pipeline_rate.py [--variants 1] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, VENV_BIN, build_corpus, header, html_dir, line, load

BARE = ROOT / "bench" / "bare_pipeline.py"
HELD_BACK = 3


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command[:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return wall, done.stdout


def bare_pipeline(folder: Path, db: Path, env: dict[str, str]) -> tuple[float, dict]:
    wall, out = _timed([sys.executable, str(BARE), str(folder), str(db)], env)
    return wall, json.loads(out)


def ingest(folder: Path, db: Path, env: dict[str, str]) -> tuple[float, dict]:
    command = [str(VENV_BIN / "mediawatch"), "ingest", str(folder), "--db", str(db), "--json"]
    wall, out = _timed(command, env)
    return wall, json.loads(out)


def bare_trafilatura(files: list[Path]) -> float:
    """Seconds of plain trafilatura.extract over the files, in this process (one core)."""
    import gzip

    import trafilatura

    def html(f: Path) -> str:
        raw = f.read_bytes()
        return (gzip.decompress(raw) if f.suffix == ".gz" else raw).decode("utf-8", "replace")

    for f in files[:3]:  # imports and first-call caches outside the timing
        trafilatura.extract(html(f))
    start = time.perf_counter()
    for f in files:
        trafilatura.extract(html(f))
    return time.perf_counter() - start


def _server(env: dict[str, str], action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "mediawatch"), "server", action],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=1, help="versions of each page (1: as is)")
    ap.add_argument("--quick", action="store_true", help="no temporary-server run")
    args = ap.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.pop("MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES", None)
    env.pop("CI", None)
    with tempfile.TemporaryDirectory(prefix="mediawatch-bench-") as tmp:
        tmp_path = Path(tmp)
        folder, held = tmp_path / "pages", tmp_path / "held"
        held.mkdir()
        if args.variants > 1:
            files = build_corpus(folder, args.variants)
        else:
            folder.mkdir()
            files = []
            for p in sorted(html_dir().glob("*.html.gz")):
                shutil.copy(p, folder / p.name)
                files.append(folder / p.name)
        for f in files[-HELD_BACK:]:
            f.rename(held / f.name)
        files = files[:-HELD_BACK]
        header(f"mediawatch ingest against the bare pipeline: {len(files)} pages")
        trafilatura_s = bare_trafilatura(files)
        line("bare trafilatura.extract, in one process (s)", f"{trafilatura_s:.1f}")

        bare_db = tmp_path / "bare.duckdb"
        before, bare_out = bare_pipeline(folder, tmp_path / "bare-before.duckdb", env)
        started_server = False
        status = _server(env, "status")
        if status.returncode != 0:  # none runs: start it as the first run of the day would
            started = _server(env, "start")
            if started.returncode != 0:
                raise SystemExit(f"mediawatch server start failed:\n{started.stderr[-2000:]}")
            started_server = True
        try:
            cold, summary = ingest(folder, tmp_path / "cold.duckdb", env)
            temporary = None
            if not args.quick and started_server:  # never stops a server the user runs
                # a temporary server per run: only with no project server to report to
                _server(env, "stop")
                no_bg = {**env, "MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES": "0"}
                temporary, _ = ingest(folder, tmp_path / "temporary.duckdb", no_bg)
                _server(env, "start")
            after, _ = bare_pipeline(folder, bare_db, env)
            bare = (before + after) / 2
            line(
                "bare pipeline, whole process, new database (s)",
                f"{bare:.1f} ({before:.1f} before, {after:.1f} after)",
            )
            line(
                "  stored",
                f"{bare_out['articles']} articles, {bare_out['near_duplicates']} near-duplicates",
            )
            line("mediawatch ingest, cold, server running (s)", f"{cold:.1f}")
            line("  of which inside the flow (s)", f"{summary['elapsed']:.1f}")
            line(
                "  stored",
                f"{summary['new_articles']} new, {summary['new_groups']} groups, "
                f"{summary['new_stories']} stories, {len(summary['failures'])} failed",
            )
            if temporary is not None:
                line("mediawatch ingest, cold, temporary server (s)", f"{temporary:.1f}")
            line("RATIO bare pipeline / mediawatch ingest (cold)", f"{bare / cold:.2f}x")
            if temporary is not None:
                line(
                    "RATIO bare pipeline / ingest with temporary server", f"{bare / temporary:.2f}x"
                )
            line(
                "RATIO bare trafilatura / mediawatch ingest (cold)", f"{trafilatura_s / cold:.2f}x"
            )

            db = tmp_path / "cold.duckdb"
            nothing = [ingest(folder, db, env) for _ in range(3)]
            assert all(s["new_articles"] == 0 for _, s in nothing)
            line(
                "mediawatch ingest, nothing new (s, median of 3)",
                f"{statistics.median(w for w, _ in nothing):.2f}",
            )
            one, bare_one = [], []
            for f in sorted(held.iterdir()):
                shutil.copy(f, folder / f.name)
                one.append(ingest(folder, db, env))
                single = tmp_path / "single"
                single.mkdir(exist_ok=True)
                shutil.copy(f, single / f.name)
                bare_one.append(bare_pipeline(single, bare_db, env)[0])
                (single / f.name).unlink()
            line(
                "mediawatch ingest, one new page (s, median of 3)",
                f"{statistics.median(w for w, _ in one):.2f} "
                f"({sum(s['new_articles'] for _, s in one)} new articles)",
            )
            line(
                "bare pipeline given the one new page (s, median of 3)",
                f"{statistics.median(bare_one):.2f}",
            )
        finally:
            if started_server:
                _server(env, "stop")
        line("after the run", load())
        return {"bare": bare, "cold": cold, "trafilatura": trafilatura_s}


if __name__ == "__main__":
    main()
