"""What the benchmark scripts share: where the data is, the repeated corpus, printing."""

from __future__ import annotations

import gzip
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = (
    ROOT / "bench" / ".cache"
)  # gitignored: synthetic archives, rebuilt when their shape changes
VENV_BIN = Path(sys.executable).parent


def shared_data() -> Path:
    return Path(os.environ.get("MEDIAWATCH_SHARED_DATA") or ROOT.parent / "shared" / "data")


def html_dir() -> Path:
    """The extraction benchmark's pages, or a clear message and exit status 2."""
    folder = shared_data() / "extraction" / "html"
    pages = sorted(folder.glob("*.html.gz")) if folder.is_dir() else []
    if not pages:
        print(
            f"bench: no pages in {folder} (expected <id>.html.gz files). The benchmarks read "
            "the extraction benchmark's 181 news pages from ../shared/data/extraction/html; "
            "point MEDIAWATCH_SHARED_DATA at a folder holding extraction/html.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return folder


def pages() -> list[tuple[str, bytes]]:
    """(name, html) of the real pages, in a stable order."""
    return [
        (p.name.removesuffix(".html.gz"), gzip.decompress(p.read_bytes()))
        for p in sorted(html_dir().glob("*.html.gz"))
    ]


_P = re.compile(rb"<p(\s[^>]*)?>", re.IGNORECASE)


def variant(html: bytes, v: int) -> bytes:
    """Variant v of a page: the same page with a short sentence added at the start of one
    of its paragraphs (which one depends on v). Variant 0 is the page itself; the others
    are near-copies (or, when the paragraph is not part of the article, exact copies)."""
    if v == 0:
        return html
    body = max(html.lower().find(b"<body"), 0)
    starts = [m.end() for m in _P.finditer(html, body)]
    if not starts:
        return html
    at = starts[(v * 7) % len(starts)]
    return html[:at] + f"Update {v}: the figures were revised later. ".encode() + html[at:]


def build_corpus(folder: Path, variants: int) -> list[Path]:
    """Every page in ``variants`` versions under changed file names: NN-<page>.html."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, html in pages():
        for v in range(variants):
            path = folder / f"{v:02d}-{name}.html"
            path.write_bytes(variant(html, v))
            out.append(path)
    return sorted(out)


def dated(prepared: list, when: datetime) -> list:
    """Fingerprinted articles re-dated a minute apart from ``when``: a monitoring batch is
    today's news, whatever date the archived page carries."""
    out = []
    for i, f in enumerate(prepared):
        at = when + timedelta(minutes=i)
        article = replace(f.article, published_at=at, published_precision="second", fetched_at=at)
        out.append(replace(f, article=article))
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB).

    Linux's VmHWM belongs to the running program; ``getrusage``'s ru_maxrss also keeps
    the peak of the process that forked it, so a measuring subprocess would report the
    benchmark's own peak. ru_maxrss is the fallback elsewhere."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall seconds over ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def header(title: str) -> None:
    print(f"\n== {title} ({load()})", flush=True)


def line(label: str, value: str) -> None:
    print(f"  {label:<58} {value}", flush=True)
