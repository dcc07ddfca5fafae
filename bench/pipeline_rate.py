"""`mediawatch ingest` as a whole process against the script a user would write
(bench/bare_pipeline.py: trafilatura, datasketch MinHash LSH at 0.8 over word 5-shingles,
DuckDB; one process) and against bare trafilatura, on the same pages in the same run.

1. The pages: the real pages of ../shared/data/extraction/html as they are (.html.gz), or
   ``--variants V`` versions of each (bench/common.build_corpus); six pages are held
   back for step 5 and for the run that starts the warm runner.
2. Bare trafilatura: ``trafilatura.extract(html)`` over the pages in this process.
3. The project's Prefect server and the warm runner (mediawatch.runner) as every run
   after the first of a session finds them: the benchmark starts the server with
   `mediawatch server start` when none runs (and stops it, with the runner, at the end),
   and a runner with one run in-process when none listens; it says which.
4. Cold runs taking turns (``--repeat N`` rounds, medians): the bare pipeline as a whole
   process into a new DuckDB file, `mediawatch ingest FOLDER` into a new database handed
   to the warm runner, and the same in-process (``service.warm_runner`` off), each a
   whole process, wall clock; then the bare pipeline once more. Unless ``--quick``, once
   with Prefect's temporary server per run (``background_idle_minutes = 0``: CI).
5. The everyday runs against the first database of step 4, each a whole process: the same
   folder with nothing new (median of three), and the folder with one new page (a
   held-back page each time; three through the runner, two in-process, in turns); the
   bare script given that one page, into its database of step 4.

Run: .venv/bin/python bench/pipeline_rate.py [--variants 1] [--quick] [--repeat 3]
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
HELD_BACK = 6  # five new pages (three through the runner, two in-process), one to start it


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


def _runner_log(home: Path) -> str:
    log = home / "runner.log"
    return log.read_text(errors="replace") if log.exists() else ""


def _ensure_runner(env: dict[str, str], home: Path, page: Path, tmp: Path) -> str:
    """A warm runner that takes runs, as every run after the first of a session finds
    it: a page into a scratch database, then the same again (nothing new), which the
    runner must take; a runner of older code refuses the first and ends, and that run,
    in-process, leaves a new one. Says which it was."""
    from mediawatch import runner

    scratch = tmp / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copy(page, scratch / page.name)
    how = "running already"
    for _ in range(3):
        taken = _runner_log(home).count("took a run")
        ingest(scratch, tmp / "scratch.duckdb", env)
        if _runner_log(home).count("took a run") > taken:
            return how
        how = "started by a first run"
        deadline = time.monotonic() + 120
        while not (runner.alive(home) and (home / "mediawatch-runner.sock").exists()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    raise SystemExit("no warm runner takes runs:\n" + _runner_log(home)[-2000:])


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=1, help="versions of each page (1: as is)")
    ap.add_argument("--quick", action="store_true", help="no temporary-server run")
    ap.add_argument("--repeat", type=int, default=1, help="cold runs of each kind (median)")
    args = ap.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.pop("MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES", None)
    env.pop("MEDIAWATCH_SERVICE_WARM_RUNNER", None)
    env.pop("CI", None)
    in_process = {**env, "MEDIAWATCH_SERVICE_WARM_RUNNER": "false"}
    from mediawatch import service

    home = service.prefect_home()
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
        held_pages = sorted(held.iterdir())
        header(f"mediawatch ingest against the bare pipeline: {len(files)} pages")
        trafilatura_s = bare_trafilatura(files)
        line("bare trafilatura.extract, in one process (s)", f"{trafilatura_s:.1f}")

        started_server = False
        status = _server(env, "status")
        if status.returncode != 0:  # none runs: start it as the first run of the day would
            started = _server(env, "start")
            if started.returncode != 0:
                raise SystemExit(f"mediawatch server start failed:\n{started.stderr[-2000:]}")
            started_server = True
        try:
            how = _ensure_runner(env, home, held_pages[-1], tmp_path)
            line("the project's Prefect server", "started here" if started_server else "running")
            line("the warm runner", how)
            bare_s, warm_s, warm_flow, cold_s, cold_flow = [], [], [], [], []
            taken = _runner_log(home).count("took a run")
            for i in range(args.repeat):  # taking turns: the machine's speed drifts
                bare_s.append(bare_pipeline(folder, tmp_path / f"bare-{i}.duckdb", env)[0])
                wall, summary = ingest(folder, tmp_path / f"warm-{i}.duckdb", env)
                warm_s.append(wall)
                warm_flow.append(summary["elapsed"])
                wall, cold_summary = ingest(folder, tmp_path / f"cold-{i}.duckdb", in_process)
                cold_s.append(wall)
                cold_flow.append(cold_summary["elapsed"])
            bare_s.append(bare_pipeline(folder, tmp_path / "bare.duckdb", env)[0])
            handed = _runner_log(home).count("took a run") - taken
            temporary = None
            if not args.quick and started_server:  # never stops a server the user runs
                # a temporary server per run: only with no project server to report to
                _server(env, "stop")
                no_bg = {**in_process, "MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES": "0"}
                temporary, _ = ingest(folder, tmp_path / "temporary.duckdb", no_bg)
                _server(env, "start")
                _ensure_runner(env, home, held_pages[-1], tmp_path / "again")
            bare = statistics.median(bare_s)
            warm, cold = statistics.median(warm_s), statistics.median(cold_s)
            n = f"median of {len(bare_s)}" if len(bare_s) > 2 else "before and after"
            line(
                "bare pipeline, whole process, new database (s)",
                f"{bare:.2f} ({n}: {', '.join(f'{b:.2f}' for b in bare_s)})",
            )
            _, bare_out = bare_pipeline(folder, tmp_path / "bare-count.duckdb", env)
            line(
                "  stored",
                f"{bare_out['articles']} articles, {bare_out['near_duplicates']} near-duplicates",
            )
            line(
                "mediawatch ingest, cold, handed to the warm runner (s)",
                f"{warm:.2f} ({statistics.median(warm_flow):.2f} inside the flow; "
                f"{handed} of {args.repeat} runs handed over)",
            )
            line(
                "  stored",
                f"{summary['new_articles']} new, {summary['new_groups']} groups, "
                f"{summary['new_stories']} stories, {len(summary['failures'])} failed",
            )
            line(
                "mediawatch ingest, cold, in-process, server running (s)",
                f"{cold:.2f} ({statistics.median(cold_flow):.2f} inside the flow)",
            )
            if temporary is not None:
                line("mediawatch ingest, cold, temporary server (s)", f"{temporary:.2f}")
            line(
                "RATIO bare pipeline / mediawatch ingest (cold, warm runner)", f"{bare / warm:.2f}x"
            )
            line(
                "RATIO bare pipeline / mediawatch ingest (cold, in-process)", f"{bare / cold:.2f}x"
            )
            if temporary is not None:
                line(
                    "RATIO bare pipeline / ingest with temporary server", f"{bare / temporary:.2f}x"
                )
            line(
                "RATIO bare trafilatura / mediawatch ingest (cold, warm runner)",
                f"{trafilatura_s / warm:.2f}x",
            )

            db = tmp_path / "warm-0.duckdb"
            nothing = [ingest(folder, db, env) for _ in range(3)]
            assert all(s["new_articles"] == 0 for _, s in nothing)
            line(
                "mediawatch ingest, nothing new (s, median of 3)",
                f"{statistics.median(w for w, _ in nothing):.2f}",
            )
            one, one_in_process, bare_one = [], [], []
            bare_db = tmp_path / "bare.duckdb"
            for k, f in enumerate(held_pages[: HELD_BACK - 1]):
                shutil.copy(f, folder / f.name)
                if k % 2 == 0:  # in turns: through the runner, then in-process
                    one.append(ingest(folder, db, env))
                else:
                    one_in_process.append(ingest(folder, db, in_process))
                single = tmp_path / "single"
                single.mkdir(exist_ok=True)
                shutil.copy(f, single / f.name)
                bare_one.append(bare_pipeline(single, bare_db, env)[0])
                (single / f.name).unlink()
            line(
                "mediawatch ingest, one new page, warm runner (s, median of 3)",
                f"{statistics.median(w for w, _ in one):.2f} "
                f"({', '.join(f'{w:.2f}' for w, _ in one)}; "
                f"{sum(s['new_articles'] for _, s in one)} new articles)",
            )
            line(
                "mediawatch ingest, one new page, in-process (s, median of 2)",
                f"{statistics.median(w for w, _ in one_in_process):.2f} "
                f"({', '.join(f'{w:.2f}' for w, _ in one_in_process)})",
            )
            line(
                "bare pipeline given the one new page (s, median)",
                f"{statistics.median(bare_one):.2f}",
            )
        finally:
            if started_server:
                _server(env, "stop")
        line("after the run", load())
        return {"bare": bare, "cold": warm, "in_process": cold, "trafilatura": trafilatura_s}


if __name__ == "__main__":
    main()
