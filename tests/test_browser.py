"""The web inspector in a real headless Chromium (Debian's), driven by Playwright.

The server is the real `mediawatch ui` process on a free loopback port. One
browser for the module. Screenshots go to test-artifacts/ (gitignored).

Without chromium these tests fail in CI (CI=true) and are skipped elsewhere,
with the reason in pytest's summary: `apt-get install -y chromium` runs them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mediawatch.fingerprint import tokens

from .conftest import ROOT, ui_server
from .test_web import every_page

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    found = os.environ.get("MEDIAWATCH_CHROMIUM") or shutil.which("chromium")
    if not found and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    reason = None
    if not found:
        reason = "no chromium (Debian: apt-get install -y chromium; or set MEDIAWATCH_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (make install brings the dev extra)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests not run: {reason}")
    return found


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright gives each launch a fresh temporary profile (--user-data-dir).
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def base(inspect_db: Path):
    with ui_server(inspect_db) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors


def shot(page, name: str, full: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    assert path.stat().st_size > 10_000
    return path


def words(text: str) -> str:
    return " ".join(tokens(text))


def test_list_search_story_group_and_diff(page, base: str) -> None:
    page.goto(base + "/")
    assert page.locator("table.stories tbody tr").count() == 8
    shot(page, "stories")

    # search the list through the form
    page.fill("form#filters input[name=q]", "flooded")
    page.click("form#filters button[type=submit]")
    page.wait_for_url("**/?q=flooded*")
    rows = page.locator("table.stories tbody tr")
    assert rows.count() == 2
    page.click("text=Sea wall breach floods 312 homes")

    # the story: timeline chart, origin, groups
    page.wait_for_url("**/story/*")
    assert "Sea wall breach" in page.locator("h1").inner_text()
    assert page.locator("svg.timeline circle").count() == 4
    assert page.locator("table.timeline-table tbody tr").first.get_attribute("class") == "is-origin"
    shot(page, "story-harbourton")

    # the duplicate group: the diff marks what both texts share
    page.click("a:has-text('versions of one text')")
    page.wait_for_url("**/group/*")
    left = page.locator("table.diff td.left mark")
    right = page.locator("table.diff td.right mark")
    assert left.count() > 0 and right.count() > 0
    right_text = words(" ".join(page.locator("table.diff td.right").all_inner_texts()))
    for text in left.all_inner_texts():
        assert words(text) in right_text, text  # a marked passage really is in the other text
    # B is the truncated copy: the rest of the origin shows as removed, nothing added
    assert page.locator("table.diff tr.removed").count() > 5
    assert page.locator("table.diff tr.added").count() == 0
    shot(page, "group-harbourton")

    # pick two other members through the form
    options = page.locator("select[name=a] option").all()
    values = [o.get_attribute("value") for o in options]
    page.select_option("select[name=a]", values[1])
    page.select_option("select[name=b]", values[2])
    page.click("form.pick button")
    page.wait_for_url(f"**a={values[1]}&b={values[2]}*")
    headers = page.locator("table.diff th").all_text_contents()
    assert headers[1:] == [f"A: article {values[1]}", f"B: article {values[2]}"]


def test_the_seed_pair_story_and_group(page, base: str) -> None:
    """The README's screenshots: the seed pair's story and its duplicate group."""
    page.goto(base + "/?q=Tibetans+Uyghurs")
    page.click("table.stories a:has-text('China surveils minorities')")
    page.wait_for_url("**/story/*")
    assert page.locator("svg.timeline circle").count() == 2
    assert page.locator(".badge.rewrite").count() >= 1
    shot(page, "story")
    page.click("a:has-text('versions of one text')")
    page.wait_for_url("**/group/*")
    body = page.locator("main").inner_text()
    assert "rewrite" in body and "Stored decision" in body and "sentence_alignment" in body
    marks = page.locator("table.diff mark")
    assert marks.count() > 10
    assert any("human rights issues" in t for t in marks.all_inner_texts())
    shot(page, "group-full")
    page.set_viewport_size({"width": 1280, "height": 2300})  # members, scores, start of the diff
    shot(page, "group", full=False)


def test_hostile_articles_run_no_script(browser, base: str, inspect_db: Path) -> None:
    """Titles, texts, sources and URLs carrying <script>, onerror=, onload=, javascript:
    are shown as text on every page. CSP is bypassed here, so escaping alone is tested."""
    from storage import queries
    from storage.connection import reader

    with reader(inspect_db) as conn:
        ids = {
            "stories": [s.story_id for s in queries.list_stories(conn)],
            "groups": [g.group_id for g in queries.list_groups(conn)],
            "articles": [r[0] for r in conn.execute("SELECT article_id FROM articles").fetchall()],
        }
        hostile = conn.execute(
            "SELECT article_id, story_id, group_id FROM articles JOIN story_members"
            " USING (article_id) JOIN dup_members USING (article_id)"
            " WHERE title LIKE '%<script>%'"
        ).fetchone()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    injected = """() => ({
        xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
        scripts: document.scripts.length,
        handlers: [...document.querySelectorAll('*')].flatMap(
            e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name)),
        iframes: document.querySelectorAll('iframe, img, style').length,
    })"""
    try:
        for path in every_page(ids):
            page.goto(base + path)
            page.wait_for_load_state("load")
            page.mouse.move(300, 300)
            found = page.evaluate(injected)
            assert found == {"xss": None, "scripts": 0, "handlers": [], "iframes": 0}, path
            assert "XSS" not in page.title(), path
        article, story, group = hostile
        page.goto(f"{base}/article/{article}")
        text = page.locator("main").inner_text()
        assert "<script>window.__xss='title'</script>Quillmouth" in text  # shown, as text
        assert "<img src=x onerror=" in text
        assert "javascript:window.__xss='url'//quillmouth" in text
        assert page.locator("a[href^='javascript']").count() == 0
        page.goto(f"{base}/story/{story}")
        shot(page, "hostile-story")
        page.goto(f"{base}/group/{group}")
        assert page.locator("table.diff mark").count() > 0
        shot(page, "hostile-group")
        assert dialogs == []
    finally:
        context.close()
