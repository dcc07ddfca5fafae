"""One writer, many readers: exports and read commands in a loop while three runs write
one database at once. No reader fails, every run completes, nothing is lost or doubled.

The runs are `mediawatch ingest` subprocesses reporting to the session's Prefect
server; the readers are the command line in this process (another process to them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mediawatch.cli import main
from storage.connection import reader

from .conftest import ROOT, PrefectServer, mediawatch
from .corpus import articles, snapshot, write_jsonl


def test_readers_never_fail_and_runs_at_once_lose_nothing(
    prefect_server: PrefectServer, tmp_path: Path, capsys
) -> None:
    records = articles()
    first = write_jsonl(tmp_path / "first.jsonl", records[:125])
    second = write_jsonl(tmp_path / "second.jsonl", records[125:])
    db = tmp_path / "shared.duckdb"
    assert mediawatch("migrate", "--db", str(db), env=prefect_server.env).returncode == 0
    env = {**prefect_server.env, "MEDIAWATCH_RUN_BATCH_SIZE": "10"}
    logs = [tmp_path / f"run{i}.log" for i in range(3)]
    runs = []
    # Started together: two runs of different sources, and a third with both of them
    # (it races the other two for the same articles).
    for log, sources in zip(logs, ([first], [second], [first, second]), strict=True):
        command = [sys.executable, "-m", "mediawatch.cli", "ingest", *map(str, sources)]
        with log.open("w") as out:
            runs.append(
                subprocess.Popen(
                    [*command, "--db", str(db)],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    exported = tmp_path / "articles.jsonl"
    seen: list[int] = []
    reads = 0
    while any(r.poll() is None for r in runs) or reads < 3:
        for command in (
            ["export", "--what", "articles", "-o", str(exported)],
            ["stories", "--json", "--limit", "5"],
            ["runs", "--json"],
            ["search", "council"],
        ):
            code = main([*command, "--db", str(db)])
            out = capsys.readouterr()
            assert code == 0, out.err
            assert "busy" not in out.err and "lock" not in out.err.lower()
        seen.append(sum(1 for _ in exported.open()))
        reads += 1
    for r, log in zip(runs, logs, strict=True):
        assert r.wait() == 0, log.read_text()

    # The readers read while the runs wrote: they saw the archive grow.
    assert len(set(seen)) >= 3 and seen == sorted(seen)
    got = snapshot(db)
    assert got["n_articles"] == got["distinct_urls"] == len(records)
    assert {u for u, _, _ in got["articles"]} == {r["url"] for r in records}
    assert got["problems"] == {}
    with reader(db) as conn:
        states = conn.execute("SELECT state, count(*) FROM runs GROUP BY state").fetchall()
        counts = [json.loads(c) for (c,) in conn.execute("SELECT counts FROM runs").fetchall()]
    assert states == [("completed", 3)]
    # Every article was stored by exactly one run; the others found it stored.
    assert sum(c["new_articles"] for c in counts) == len(records)
    assert sum(c["documents"] for c in counts) == 2 * len(records)
