"""Every article in its context: `mediawatch article ID` and the inspector's article
page (story, duplicate group and relation with scores, revisions with what changed,
source, publication time and precision, language, the original link), and the
inspector's read-only watchlist pages."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2; httpx (Prefect's) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mediawatch.cli import main
from mediawatch.config import load_settings
from mediawatch.web import app as web
from storage.connection import reader

from .conftest import SEEDS
from .test_web import assert_no_injected_markup, sha256

PARAGRAPHS = [
    "The Portmeade harbour board approved a new ferry timetable on Tuesday after months of "
    "complaints from commuters about late and cancelled crossings to the islands.",
    "Board chair Lena Okafor said the timetable adds four morning crossings and moves the last "
    "evening ferry to half past ten from the first of June.",
    "Commuter groups welcomed the change but said the board must also replace the two oldest "
    "vessels, which broke down eleven times last winter.",
    "The board will publish the full timetable and a plan for the fleet on its website next "
    "week, a spokesperson said.",
]
URL = "https://portmeade-news.example/ferry-timetable"


def record(title: str, paragraphs: list[str]) -> str:
    return json.dumps(
        {
            "url": URL,
            "title": title,
            "text": "\n".join(paragraphs),
            "published_at": "2026-05-12",
            "source": "Portmeade News",
        }
    )


@pytest.fixture(scope="module")
def revised_db(prefect_harness, tmp_path_factory) -> tuple[Path, int]:
    """The demo, a watchlist, and an article stored, then revised with a hostile title."""
    folder = tmp_path_factory.mktemp("article")
    db = folder / "a.duckdb"
    d = ["--db", str(db)]
    assert main(["watch", "add", "ferries", "ferry", *d]) == 0
    assert main(["watch", "add", "seawall", '"sea wall"', "--growth-articles", "2", *d]) == 0
    feed = folder / "ferry.jsonl"
    feed.write_text(record("Ferry timetable approved", PARAGRAPHS) + "\n", encoding="utf-8")
    assert main(["ingest", str(SEEDS / "demo"), str(feed), *d]) == 0
    changed = [
        PARAGRAPHS[0],
        PARAGRAPHS[1].replace("four morning crossings", "five morning crossings"),
        "The board also cut the price of a monthly pass by a tenth for students and pensioners "
        "from the same date.",
        PARAGRAPHS[3],
    ]
    hostile = "Ferry <script>alert(1)</script> [bold]timetable[/bold] \x1b[2Japproved"
    feed.write_text(record(hostile, changed) + "\n", encoding="utf-8")
    assert main(["watch", "add", "timetable", "timetable", "--from-start", *d]) == 0
    assert main(["ingest", str(feed), *d]) == 0
    with reader(db) as conn:
        (article_id,) = conn.execute(
            "SELECT article_id FROM articles WHERE url = ?", [URL]
        ).fetchone()
    return db, article_id


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_article_command_shows_the_context(revised_db, capsys) -> None:
    db, _ = revised_db
    with reader(db) as conn:
        (copy,) = conn.execute(
            "SELECT article_id FROM articles WHERE source = 'Bayline Daily'"
        ).fetchone()
    code, out, _ = run(capsys, "article", str(copy), "--db", str(db))
    assert code == 0
    assert "Bayline Daily" in out and "2026-02-24 13:45" in out and "precision: second" in out
    assert "language      en (confidence" in out
    assert "Story " in out and "4 articles from 4 sources" in out
    with reader(db) as conn:
        (alone,) = conn.execute(
            "SELECT min(m.article_id) FROM story_members m JOIN stories s USING (story_id)"
            " WHERE s.size = 1"
        ).fetchone()
    code, single, _ = run(capsys, "article", str(alone), "--db", str(db))
    assert code == 0 and "1 article from 1 source," in single
    assert "a near copy of the group's origin" in out and "coverage_shorter" in out
    assert "0.700" in out  # the threshold beside the score
    assert "open          https://www.baylinedaily.example/news/2026/02/24/" in out
    assert "Revisions: none" in out

    data = json.loads(run(capsys, "article", str(copy), "--db", str(db), "--json")[1])
    assert data["duplicate_group"]["relation"] == "near_copy"
    assert {s["name"] for s in data["duplicate_group"]["scores"]} >= {"coverage_shorter"}
    assert data["story"]["size"] == 4 and data["article"]["published_precision"] == "second"

    # a local file that names no address of its own: no web link
    with reader(db) as conn:
        (local,) = conn.execute(
            "SELECT article_id FROM articles WHERE url LIKE 'file:%' AND canonical_url IS NULL"
            " LIMIT 1"
        ).fetchone()
    code, out, _ = run(capsys, "article", str(local), "--db", str(db))
    assert code == 0 and "(not a web address)" in out
    code, _, err = run(capsys, "article", "999999", "--db", str(db))
    assert code == 1 and "no article 999999" in err and "Traceback" not in err


def test_article_command_shows_revisions_with_the_diff(revised_db, capsys) -> None:
    db, article_id = revised_db
    code, out, _ = run(capsys, "article", str(article_id), "--db", str(db), "--text")
    assert code == 0
    assert "Revisions: 2 versions" in out and "v1 → v2" in out
    assert "title - Ferry timetable approved" in out
    assert "[bold]timetable[/bold]" in out and "\x1b" not in out  # hostile title, as text
    assert "- Board chair Lena Okafor said the timetable adds four morning" in out
    assert "+ Board chair Lena Okafor said the timetable adds five morning" in out
    assert "+ The board also cut the price of a monthly pass" in out
    assert "only the date 2026-05-12" in out and "precision: day" in out
    data = json.loads(run(capsys, "article", str(article_id), "--db", str(db), "--json")[1])
    assert [v["version"] for v in data["versions"]] == [1, 2]
    kinds = {r["kind"] for r in data["changes"][0]["rows"]}
    assert "added" in kinds and ({"changed"} & kinds or {"removed"} & kinds)


@pytest.fixture(scope="module")
def client(revised_db):
    db, _ = revised_db
    with TestClient(web.create_app(load_settings(db=db))) as c:
        yield c


def test_article_page_shows_the_context(client, revised_db) -> None:
    db, article_id = revised_db
    before = sha256(db)
    page = client.get(f"/article/{article_id}").text
    assert_no_injected_markup(page)
    assert "Revisions" in page and "v1 → v2" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "four morning crossings" in page and "five morning crossings" in page
    assert "only the date 2026-05-12" in page and "(precision: day)" in page
    assert f'href="{URL}"' in page
    assert "Clustering score" in page or "clustering score" in page
    with reader(db) as conn:
        (copy,) = conn.execute(
            "SELECT article_id FROM articles WHERE source = 'Bayline Daily'"
        ).fetchone()
    page = client.get(f"/article/{copy}").text
    assert_no_injected_markup(page)
    assert "near_copy" in page and "coverage_shorter" in page and "0.700" in page
    assert sha256(db) == before


def test_watchlist_pages(client, revised_db) -> None:
    db, article_id = revised_db
    before = sha256(db)
    page = client.get("/watch").text
    assert_no_injected_markup(page)
    assert 'href="/watch/ferries"' in page and 'href="/watch/seawall"' in page
    assert "&lt;script&gt;" in page and "<script>" not in page  # the revised title's hit
    assert 'href="/watch/timetable"' in page
    page = client.get("/watch/seawall").text
    assert_no_injected_markup(page)
    assert "growing" in page and "Harbourton" in page and 'href="/story/' in page
    page = client.get("/watch/ferries").text
    assert f'href="/article/{article_id}"' in page
    assert client.get("/watch/nope").status_code == 404
    assert client.post("/watch").status_code == 405
    assert sha256(db) == before
