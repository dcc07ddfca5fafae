"""The web inspector over HTTP (in-process client): every page, escaping, headers,
read-only, and pages served while a run writes. The real browser is test_browser.py."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
import threading
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2; httpx (Prefect's) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mediawatch.cli import main
from mediawatch.config import load_settings
from mediawatch.web import app as web
from storage import queries
from storage.connection import reader

from .conftest import ROOT, XSS_PARAGRAPHS, ui_server

# Every element the templates make; anything else in a page came from article data.
TEMPLATE_TAGS = {
    *("html", "head", "meta", "title", "link", "body", "header", "main", "form", "input"),
    *("a", "h1", "h2", "p", "span", "b", "i", "br", "ul", "li", "ol", "div", "mark", "code", "bdi"),
    *("table", "thead", "tbody", "tr", "th", "td", "select", "option", "label", "button"),
    *("datalist", "svg", "rect", "text", "polyline", "line", "circle"),
    *("h3", "del", "ins"),
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))


def assert_no_injected_markup(html: str) -> None:
    """No element, event handler or script link that the templates do not make."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in TEMPLATE_TAGS, f"unexpected <{tag}> in page"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name}= on <{tag}>"
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def client(inspect_db: Path):
    app = web.create_app(load_settings(db=inspect_db))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def ids(inspect_db: Path) -> dict[str, list[int]]:
    with reader(inspect_db) as conn:
        return {
            "stories": [s.story_id for s in queries.list_stories(conn)],
            "groups": [g.group_id for g in queries.list_groups(conn)],
            "articles": [r[0] for r in conn.execute("SELECT article_id FROM articles").fetchall()],
            "hostile": [
                r[0]
                for r in conn.execute(
                    "SELECT article_id FROM articles WHERE text LIKE '%__xss%'"
                ).fetchall()
            ],
        }


def every_page(ids: dict[str, list[int]]) -> list[str]:
    return [
        "/",
        "/?q=market",
        "/?q=%3Cscript%3E",
        "/?sort=growth&since=2026-01-01",
        "/?source=Quill",
        "/search?q=market",
        "/search?q=xss",
        "/search?q=%3Cscript%3Ewindow",
        *(f"/story/{i}" for i in ids["stories"]),
        *(f"/group/{i}" for i in ids["groups"]),
        *(f"/group/{i}?view=unified" for i in ids["groups"]),
        *(f"/article/{i}" for i in ids["articles"]),
    ]


def test_every_page_renders_and_escapes_article_data(client, ids, inspect_db: Path) -> None:
    before = sha256(inspect_db)
    assert len(ids["hostile"]) == 2
    for path in every_page(ids):
        r = client.get(path)
        assert r.status_code == 200, path
        assert_no_injected_markup(r.text)
    for article_id in ids["hostile"]:
        page = client.get(f"/article/{article_id}").text
        assert "&lt;script&gt;window.__xss=&#39;body&#39;&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=" in page
    assert sha256(inspect_db) == before  # read-only: not a byte written


def test_article_urls_are_links_only_when_http(client, ids) -> None:
    first, second = ids["hostile"]
    page = client.get(f"/article/{first}").text
    assert "javascript:window.__xss=&#39;url&#39;//quillmouth" in page  # shown as text...
    assert 'href="javascript' not in page  # ...never as a link
    page = client.get(f"/article/{second}").text
    assert 'href="https://quill.example/market?id=%22%3E%3Cimg' in page
    assert web.safe_href(" JavaScript:alert(1)") is None
    assert web.safe_href("data:text/html,x") is None
    assert web.safe_href("https://a.example/") == "https://a.example/"


def test_story_page_has_timeline_chart_sources_groups_and_origin(client, ids) -> None:
    harbourton = next(
        i for i in ids["stories"] if "Sea wall breach" in client.get(f"/story/{i}").text
    )
    page = client.get(f"/story/{harbourton}").text
    assert page.count("<circle") == 4 and "<polyline" in page
    assert "Who published what, when" in page and "Independent articles" in page
    assert page.index("CoastWire News") < page.index("Bayline Daily")  # origin first
    assert 'href="/group/' in page and "story origin" in page


def test_a_big_story_page_shows_its_first_rows_and_links_to_all(client, ids, monkeypatch) -> None:
    harbourton = next(
        i for i in ids["stories"] if "Sea wall breach" in client.get(f"/story/{i}").text
    )
    monkeypatch.setattr(web, "STORY_ROWS", 2)
    monkeypatch.setattr(web, "GROUP_ROWS", 1)
    page = client.get(f"/story/{harbourton}").text
    assert _timeline_rows(page) == 2
    assert f'href="/story/{harbourton}?all=1"' in page and "The first 2 of 4 articles" in page
    assert "2 more versions: the whole group" in page  # the group of 3 shows its origin only
    assert page.count("<circle") == 4  # the chart keeps every article
    whole = client.get(f"/story/{harbourton}?all=1").text
    assert _timeline_rows(whole) == 4 and "?all=1" not in whole


def _timeline_rows(html: str) -> int:
    table = html[html.index('class="timeline-table"') :]
    return table[: table.index("</table>")].count("<tr") - 1  # less the header row


def test_group_page_compares_any_two_members(client, ids) -> None:
    group = client.get("/group/1").text
    assert "Stored decision" in group and "Computed now for A and B" in group
    assert "<mark>" in group and "Longest shared passages" in group
    members = [int(x) for x in _options(group)]
    a, b = members[1], members[2]
    picked = client.get(f"/group/1?a={a}&b={b}").text
    assert f"A: article {a}" in picked and f"B: article {b}" in picked
    assert "not against this pair" in picked  # neither is the origin: stored vs origin
    same = client.get(f"/group/1?a={a}&b={a}").text
    assert "Pick two different versions" in same and "Side by side" not in same
    other = client.get(f"/group/1?a={a}&b={ids['hostile'][0]}").text
    assert "not both in this group" in other


class _ScoreCards(HTMLParser):
    """The decision cards of a group page: their sentence, and score -> value."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[tuple[str, dict[str, str]]] = []
        self._in: str | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "p" and ("class", "decision") in attrs:
            self.cards.append(("", {}))
            self._in = "decision"
        elif tag == "tr" and self.cards:
            self._row = []
        elif tag == "td" and self.cards:
            self._in = "td"
            self._row.append("")

    def handle_endtag(self, tag) -> None:
        if tag == "p":
            self._in = None if self._in == "decision" else self._in
        elif tag == "tr" and len(self._row) >= 2:
            self.cards[-1][1][self._row[0]] = self._row[1]
        elif tag == "td":
            self._in = None

    def handle_data(self, data) -> None:
        if self._in == "decision":
            self.cards[-1] = (self.cards[-1][0] + data, self.cards[-1][1])
        elif self._in == "td":
            self._row[-1] += data


def test_the_stored_and_the_computed_decision_name_a_and_b_alike(client, inspect_db) -> None:
    """The pipeline verified the member first and the origin second; the page may show
    the origin as A. Both cards give each side's scores and the reason's "shorter" text
    as the page's A and B, in either order."""
    with reader(inspect_db) as conn:
        origin, member = conn.execute(
            "SELECT g.origin_article_id, m.article_id FROM dup_groups g"
            " JOIN dup_members m USING (group_id) WHERE m.relation <> 'origin'"
            " AND g.group_id = 1 ORDER BY m.article_id LIMIT 1"
        ).fetchone()
    for a, b in ((origin, member), (member, origin)):
        parser = _ScoreCards()
        parser.feed(client.get(f"/group/1?a={a}&b={b}").text)
        (stored_text, stored), (computed_text, computed) = parser.cards[:2]
        assert stored_text.startswith("Stored decision") and "not against" not in stored_text
        assert computed_text.startswith("Computed now for A and B")
        assert stored["tokens_a"] != stored["tokens_b"]  # the two sides can be told apart
        for name in ("tokens_a", "tokens_b", "coverage_shorter", "length_ratio"):
            assert stored[name] == computed[name], (a, b, name)
        shorter = "A" if int(stored["tokens_a"]) < int(stored["tokens_b"]) else "B"
        for text in (stored_text, computed_text):
            assert f"shorter ({shorter}) text" in text and "(first)" not in text


def _options(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    values = [dict(attrs)["value"] for tag, attrs in parser.tags if tag == "option"]
    return list(dict.fromkeys(v for v in values if v and v.isdigit()))


def test_filters_errors_and_paging(client, monkeypatch) -> None:
    page = client.get("/?since=last+tuesday").text
    assert "cannot read the time" in page and page.count('<a href="/story/') == 8
    assert client.get("/?q=flooded").text.count('<a href="/story/') == 2
    monkeypatch.setattr(web, "PAGE_SIZE", 3)
    first = client.get("/?min_size=1").text
    assert first.count('<a href="/story/') == 3 and "page=1" in first
    second = client.get("/?min_size=1&page=1").text
    assert second.count('<a href="/story/') == 3 and "previous" in second


def test_errors_headers_and_read_only_methods(client) -> None:
    for path in ("/", "/story/99999", "/static/style.css"):
        r = client.get(path)
        assert "script-src" not in r.headers["content-security-policy"]  # none at all
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/story/99999").status_code == 404
    assert client.get("/group/99999").status_code == 404
    assert client.get("/article/99999").status_code == 404
    assert client.get("/story/abc").status_code == 404
    for method in ("post", "put", "delete"):
        assert getattr(client, method)("/").status_code == 405


def test_loopback_server_refuses_other_host_names(inspect_db: Path) -> None:
    app = web.create_app(load_settings(db=inspect_db), allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "attacker.example"}).status_code == 400


HOLD = """
import sys, time
from storage.connection import writer
with writer(sys.argv[1]) as conn:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_page_waits_for_a_writer_and_says_busy_when_it_waits_too_long(
    inspect_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "busy.duckdb"
    shutil.copy(inspect_db, db)
    settings = load_settings(db=db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), "1.5"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with TestClient(web.create_app(settings, wait=0.2)) as impatient:
            r = impatient.get("/")
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert "busy" in r.text
        with TestClient(web.create_app(settings, wait=30)) as patient:
            assert patient.get("/").status_code == 200  # served once the writer let go
    finally:
        holder.wait(timeout=30)


def test_pages_are_served_while_a_run_writes(prefect_harness, inspect_db: Path, tmp_path: Path):
    """A real ingest writes batch after batch while the inspector, in its own process as
    in real use, keeps answering."""
    import httpx

    from flows.ingest import ingest_flow

    db = tmp_path / "live.duckdb"
    shutil.copy(inspect_db, db)
    feed = tmp_path / "feed.jsonl"
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
    feed.write_text(
        "\n".join(
            json.dumps(
                {
                    "url": f"https://live.example/{i}",
                    "title": f"Live item {i}",
                    "text": " ".join(f"{w}{i}" for w in words * 5) + ".",
                }
            )
            for i in range(40)
        )
    )
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ingest_flow(sources=[str(feed)], db=str(db))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    statuses: list[int] = []
    with ui_server(db) as base, httpx.Client(base_url=base, timeout=60) as http:
        worker = threading.Thread(target=run)
        worker.start()
        while not done.is_set() or len(statuses) < 3:
            statuses.append(http.get("/").status_code)
        worker.join()
        assert not errors, errors
        assert "Live item" in http.get("/?q=alpha0").text  # the new articles are there
    assert set(statuses) == {200}


def test_a_derived_title_is_marked_on_the_article_page(client, inspect_db: Path) -> None:
    with reader(inspect_db) as conn:
        marked = dict(conn.execute("SELECT title_derived, article_id FROM articles").fetchall())
    page = client.get(f"/article/{marked[True]}").text
    assert "title derived from the first sentence" in page
    assert "China has been using surveillance" in page.split("<h1>", 1)[1].split("</h1>")[0]
    assert "title derived" not in client.get(f"/article/{marked[False]}").text


def test_a_saved_page_keeps_its_file_url_and_links_the_address_it_names(
    client, inspect_db: Path, prefect_harness, tmp_path: Path
) -> None:
    """A local copy keeps its file:// url (its identity) and the canonical URL the page
    names (<link rel="canonical">, else og:url); the inspector links the http(s) one,
    escaped and isolated like all outside text."""
    with reader(inspect_db) as conn:
        article_id, url, canonical = conn.execute(
            "SELECT article_id, url, canonical_url FROM articles"
            " WHERE origin LIKE '%a_harbourton_flood_coastwire.html'"
        ).fetchone()
    named = "https://www.coastwire.example/news/2026/02/24/harbourton-sea-wall-breach-floods-homes"
    assert url.startswith("file://") and canonical == named
    page = client.get(f"/article/{article_id}").text
    assert f'<a class="url" href="{named}" rel="noopener noreferrer nofollow">' in page

    hostile = 'https://evil.example/x"><img/src=x/onerror=window.__xss=1>'
    body = "".join(f"<p>{p}</p>" for p in XSS_PARAGRAPHS)
    saved = tmp_path / "saved.html"
    saved.write_text(
        "<html><head><title>Saved</title>"
        '<meta property="og:url" content="javascript:alert(1)">'
        f"<link rel=\"Canonical\" href='{hostile}'></head><body><article>{body}</article>"
        "</body></html>",
        encoding="utf-8",
    )
    bare = tmp_path / "bare.html"  # only a script URL: nothing is kept, nothing linked
    bare.write_text(
        saved.read_text(encoding="utf-8").replace('<link rel="Canonical" href=\'', "<x '"),
        encoding="utf-8",
    )
    db = tmp_path / "saved.duckdb"
    assert main(["ingest", str(saved), str(bare), "--db", str(db)]) == 0
    with reader(db) as conn:
        rows = dict(conn.execute("SELECT origin, canonical_url FROM articles").fetchall())
        ids = dict(conn.execute("SELECT origin, article_id FROM articles").fetchall())
    assert rows == {str(saved): hostile, str(bare): None}
    with TestClient(web.create_app(load_settings(db=db))) as own:
        page = own.get(f"/article/{ids[str(saved)]}").text
        assert_no_injected_markup(page)
        assert 'href="https://evil.example/x&#34;&gt;&lt;img/src=x/onerror=' in page
        assert "javascript:" not in own.get(f"/article/{ids[str(bare)]}").text


# --- control characters: what escaping lets through ------------------------------------

# What no page may carry: C0 controls but tab and newline, DEL, C1, and the direction
# embeddings, overrides and isolates (the terminal's rule, mediawatch.safe_text).
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CONTROL_TITLE = "Harbour \x1b[2J gates \x07 fail \u202eliaf\u202c again \x9b1m"
CONTROL_SOURCE = "Bell\x07 Wire \x1b]8;;https://evil.example\x07"
CONTROL_TEXT = (
    "The harbour gates at Quillmouth failed \x1b[31m again on Tuesday night, and the "
    "tide ran into the market \x07 square before the \u202ecrews\u202c closed them by hand. "
)
CONTROL_NOTE = "one story \x1b[2J really \x07 \u2066both\u2069 \x85 of them"


@pytest.fixture(scope="module")
def control_db(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two versions of a story whose title, source, text and URL carry control
    characters, a third story, and an analyst's merge with such a note."""
    folder = tmp_path_factory.mktemp("controls")
    feed = folder / "controls.jsonl"
    articles = [
        {
            "url": "https://bell.example/gates?\x1b[2J\x07",
            "title": CONTROL_TITLE,
            "text": CONTROL_TEXT * 6,
            "source": CONTROL_SOURCE,
            "published_at": "2026-05-05T06:00:00",
        },
        {
            "url": "https://copy.example/gates",
            "title": CONTROL_TITLE + " (copy)",
            "text": CONTROL_TEXT * 6 + "Reporting by \x1b[1mthe desk\x1b[0m.",
            "source": "Copy Desk",
            "published_at": "2026-05-05T08:00:00",
        },
        {
            "url": "https://other.example/fair",
            "title": "Spring fair opens in Vellmar",
            "text": "The spring fair in Vellmar opened with forty stalls and a brass band. " * 5,
            "source": "Vellmar Voice",
            "published_at": "2026-05-05T09:00:00",
        },
    ]
    feed.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")
    db = folder / "controls.duckdb"
    assert main(["ingest", str(feed), "--db", str(db)]) == 0
    with reader(db) as conn:
        stories = {t: s for s, t in conn.execute("SELECT story_id, title FROM stories").fetchall()}
        groups = conn.execute("SELECT count(*) FROM dup_groups").fetchone()[0]
    assert groups == 1 and len(stories) == 2  # the copy is in the first one's group
    merge = ["story", "merge", str(stories[CONTROL_TITLE]), str(stories[articles[2]["title"]])]
    assert main([*merge, "--note", CONTROL_NOTE, "--db", str(db)]) == 0
    return db


def test_no_page_carries_a_control_character(control_db: Path) -> None:
    """Escaping leaves ESC, BEL, C1 and direction overrides as they are; every page,
    served over HTTP as in use, shows the text without them, as the terminal does."""
    import httpx

    from mediawatch.safe_text import plain

    with reader(control_db) as conn:
        story = conn.execute("SELECT story_id FROM stories WHERE merged_into IS NULL").fetchone()[0]
        group = conn.execute("SELECT group_id FROM dup_groups").fetchone()[0]
        articles = [r[0] for r in conn.execute("SELECT article_id FROM articles").fetchall()]
    pages = [
        "/",
        "/?q=gates",
        "/?source=Bell",
        "/search?q=gates",
        "/search?q=%1B%5B2Jgates%07",  # what is typed is outside text too
        f"/story/{story}",
        f"/group/{group}",
        f"/group/{group}?view=unified",
        *(f"/article/{i}" for i in articles),
        "/corrections",
    ]
    seen = ""
    with ui_server(control_db) as base, httpx.Client(base_url=base, timeout=30) as http:
        for path in pages:
            r = http.get(path)
            assert r.status_code == 200, path
            found = CONTROLS.findall(r.text)
            assert not found, (path, found)
            assert_no_injected_markup(r.text)
            seen += html.unescape(r.text)
    # the text is there, without its controls: the terminal's words, not an empty page
    for outside in (CONTROL_TITLE, CONTROL_SOURCE, CONTROL_NOTE):
        shown = plain(outside)
        assert "\ufffd" in shown and shown in seen, shown
    assert "tide ran into the market \ufffd square" in seen
    assert web.page_text(CONTROL_TITLE) == plain(CONTROL_TITLE)
    assert web.one_line("a\tb\r\nc\x1b[1m") == "a b c"


def test_the_story_list_searching_only_common_words_says_so(control_db: Path) -> None:
    """/?q=the lists no story as "matching": it says what /search says."""
    import httpx

    with ui_server(control_db) as base, httpx.Client(base_url=base, timeout=30) as http:
        for q in ("the", '"', "AND", "*", "the and of"):
            stories = http.get("/", params={"q": q}).text
            articles = http.get("/search", params={"q": q}).text
            assert web.NOTHING_TO_SEARCH in stories and web.NOTHING_TO_SEARCH in articles, q
            assert 'href="/story/' not in stories and "matching" not in stories, q
            assert "No stories match" not in stories
        found = http.get("/", params={"q": "gates"}).text
        assert found.count('href="/story/') == 1 and "Stories with an article matching" in found
        assert web.NOTHING_TO_SEARCH not in found
        assert http.get("/", params={"q": ""}).text.count('href="/story/') == 1  # no search


def test_an_origin_excerpt_counts_words_of_unspaced_scripts() -> None:
    """The story page's excerpt of its origin stops near 70 words in any script: a
    Chinese paragraph counted as one word made it the whole text."""
    from mediawatch.web.app import _excerpt

    zh = "国务院新闻办公室今天举行新闻发布会，介绍今年前三季度国民经济运行情况。"
    assert len(_excerpt("\n".join([zh] * 40), 70)) == 6  # 12 words each (the segmenter's)
    en = " ".join(["word"] * 20)
    assert len(_excerpt("\n\n".join([en] * 40), 70)) == 4
