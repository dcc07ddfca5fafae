"""Extraction quality on scrapinghub's article-extraction-benchmark (../shared/data/extraction).

Metric, as in the benchmark's evaluate.py: ``\\w+`` tokens (case kept), a page is a
multiset of 4-token shingles, precision and recall per page averaged over pages, F1 of
the two averages. Baselines (plain trafilatura) are measured in the same run.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import trafilatura

from mediawatch.evaluate import DataMissing
from mediawatch.evaluate.metrics import extraction_scores, page_counts
from mediawatch.extract.html import (
    Config,
    ExtractionError,
    SiteBoilerplate,
    extract_html,
    host_of_url,
)

Runner = Callable[[bytes, str], str | None]


@dataclass(frozen=True)
class Row:
    name: str
    precision: float
    recall: float
    f1: float
    ms_per_page: float


def load_pages(data: Path) -> tuple[dict[str, bytes], dict[str, dict[str, str]]]:
    truth_file, html_dir = data / "extraction" / "ground-truth.json", data / "extraction" / "html"
    if not truth_file.is_file() or not html_dir.is_dir():
        raise DataMissing(
            f"extraction benchmark not found: expected {truth_file} and {html_dir}/<id>.html.gz "
            "(set --data or MEDIAWATCH_SHARED_DATA)"
        )
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = {k: gzip.decompress((html_dir / f"{k}.html.gz").read_bytes()) for k in sorted(truth)}
    return pages, truth


def run_all(
    variants: list[tuple[str, Runner]], pages: dict[str, bytes], truth: dict[str, dict[str, str]]
) -> tuple[dict[str, dict[str, str | None]], dict[str, float]]:
    """Predictions and CPU ms/page of every variant, interleaved page by page so that
    load from other processes does not favour one configuration."""
    for _, runner in variants:  # lazy imports and caches outside the timing
        runner(next(iter(pages.values())), "http://warm.up/")
    preds: dict[str, dict[str, str | None]] = {name: {} for name, _ in variants}
    cpu = dict.fromkeys(preds, 0.0)
    for i, (key, raw) in enumerate(pages.items()):
        shift = i % len(variants)
        for name, runner in variants[shift:] + variants[:shift]:
            start = time.process_time()
            preds[name][key] = runner(raw, truth[key]["url"])
            cpu[name] += time.process_time() - start
    return preds, {name: total * 1000 / len(pages) for name, total in cpu.items()}


def trafilatura_runner(**kwargs: object) -> Runner:
    """Plain trafilatura.extract, called as the benchmark calls it."""

    def runner(raw: bytes, url: str) -> str | None:
        return trafilatura.extract(raw.decode("utf-8"), include_comments=False, **kwargs)

    return runner


def ours_runner(config: Config, boilerplate: SiteBoilerplate | None = None) -> Runner:
    def runner(raw: bytes, url: str) -> str | None:
        try:
            return extract_html(raw, url, config=config, boilerplate=boilerplate).text
        except ExtractionError:
            return None

    return runner


def score(
    preds: dict[str, str | None], truth: dict[str, dict[str, str]], keys: list[str]
) -> tuple[float, float, float]:
    return extraction_scores([page_counts(truth[k]["articleBody"], preds[k]) for k in keys])


def fold_of(url: str) -> int:
    """Deterministic fold by host, so both pages of a host land in the same half."""
    return hashlib.md5((host_of_url(url) or "").encode()).digest()[0] % 2


FINAL = "mediawatch extractor"


def variants(full: bool) -> list[tuple[str, Runner]]:
    final = Config()
    chosen: list[tuple[str, Runner]] = [
        ("trafilatura default", trafilatura_runner()),
        ("trafilatura favor_precision", trafilatura_runner(favor_precision=True)),
        (FINAL, ours_runner(final)),
    ]
    if full:
        chosen += [
            (
                "  first pass only",
                ours_runner(
                    Config(
                        fallback=False, merge_containers=False, clean_head=False, clean_tail=False
                    )
                ),
            ),
            (
                "  slow settings (no fast mode, full page, extensive dates)",
                ours_runner(
                    replace(final, fast=False, strip_noise=False, extensive_date_search=True)
                ),
            ),
            ("  without short-result fallback", ours_runner(replace(final, fallback=False))),
            ("  without container merge", ours_runner(replace(final, merge_containers=False))),
            ("  without head clean-up", ours_runner(replace(final, clean_head=False))),
            ("  without tail clean-up", ours_runner(replace(final, clean_tail=False))),
            (
                "  + site boilerplate (min 3 pages)",
                ours_runner(final, SiteBoilerplate(min_pages=3)),
            ),
        ]
    return chosen


def evaluate(data: Path, full: bool = False, out: Callable[[str], None] = print) -> list[Row]:
    pages, truth = load_pages(data)
    keys = list(pages)
    hosts = {host_of_url(truth[k]["url"]) for k in keys}
    out(f"Extraction: {len(keys)} pages from {len(hosts)} hosts ({data / 'extraction'})")
    chosen = variants(full)
    preds, ms = run_all(chosen, pages, truth)
    rows = [Row(name, *score(preds[name], truth, keys), ms[name]) for name, _ in chosen]
    out(f"  {'configuration':40} {'P':>7} {'R':>7} {'F1':>7} {'CPU ms/page':>12}")
    for r in rows:
        out(f"  {r.name:40} {r.precision:7.4f} {r.recall:7.4f} {r.f1:7.4f} {r.ms_per_page:12.1f}")
    base = {r.name: r for r in rows}
    ours = base[FINAL]
    out(
        f"  F1 gain over trafilatura default: {ours.f1 - base['trafilatura default'].f1:+.4f}, "
        f"over favor_precision: {ours.f1 - base['trafilatura favor_precision'].f1:+.4f}; "
        f"cost {ours.ms_per_page / base['trafilatura default'].ms_per_page:.2f}x default's CPU time"
    )
    folds = [[k for k in keys if fold_of(truth[k]["url"]) == i] for i in (0, 1)]
    halves = [score(preds[FINAL], truth, part)[2] for part in folds]
    out(f"  F1 by host half (no constant fitted per half): {halves[0]:.4f} / {halves[1]:.4f}")
    return rows
