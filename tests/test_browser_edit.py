"""`mediawatch ui --edit` in a real headless Chromium: corrections through the pages'
forms (CSRF token, Origin check), then a batch that would undo them; the read-only
default refuses every write."""

from __future__ import annotations

from pathlib import Path

import httpx

from .conftest import ui_server
from .test_browser import browser, page, shot  # noqa: F401  (fixtures)
from .test_corrections import bridge, check_ok, db, demo, group_of, q, store, story_of  # noqa: F401

POSTS = [
    "/edit/story/1/split",
    "/edit/story/1/merge",
    "/edit/article/4/move",
    "/edit/article/3/detach",
    "/edit/article/4/attach",
    "/edit/corrections/1/undo",
]
HOSTILE_NOTE = "<script>window.__xss='note'</script><img src=x onerror=\"window.__xss='img'\">"


def submit(page, form: str) -> None:  # noqa: F811
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_corrections_through_the_pages(page, db: Path, tmp_path: Path, capsys) -> None:  # noqa: F811
    with ui_server(db, "--edit") as base:
        page.goto(base + "/story/1")
        assert page.locator("#split-form").count() == 1
        page.locator("section.edit").scroll_into_view_if_needed()
        shot(page, "story-edit", full=False)  # the README's picture: the forms
        page.fill("#split-form input[name=articles]", "4")
        page.fill("#split-form input[name=note]", HOSTILE_NOTE)
        page.fill("#split-form input[name=by]", "ana")
        submit(page, "#split-form")
        assert "Correction 1: story 1 split" in page.locator("#outcome").inner_text()
        new = story_of(db, 4)
        assert new != 1

        store(db, bridge(db), tmp_path)  # a batch that would put them together again
        assert story_of(db, 1) == 1 and story_of(db, 4) == new
        check_ok(db, capsys)

        # the article page: move, detach, attach (forced), each one a correction
        page.goto(base + "/article/9")
        page.fill("#move-form input[name=story]", "2")
        submit(page, "#move-form")
        assert "article 9 moved from story 7 to story 2" in page.locator("#outcome").inner_text()
        page.goto(base + "/article/3")
        submit(page, "#detach-form")
        assert "article 3 detached from group 1" in page.locator("#outcome").inner_text()
        assert group_of(db, 3) is None
        # its story's counts changed: the page links it
        assert page.locator(f'a[href="/story/{story_of(db, 3)}"]').count() == 1
        page.goto(base + "/article/14")
        page.fill("#attach-form input[name=group]", "1")
        submit(page, "#attach-form")
        assert page.locator("h1").inner_text() == "Correction refused"
        assert "does not verify" in page.locator("#outcome").inner_text()
        page.goto(base + "/article/14")
        page.fill("#attach-form input[name=group]", "1")
        page.fill("#attach-form input[name=force]", "the same wire story, translated")
        submit(page, "#attach-form")
        assert "forced" in page.locator("#outcome").inner_text() and group_of(db, 14) == 1

        # the list shows each with its note as text; undo through its button
        page.goto(base + "/corrections")
        assert page.locator("table.corrections tbody tr").count() == 4
        assert HOSTILE_NOTE in page.locator("#correction-1").inner_text()
        assert page.evaluate("window.__xss") is None
        shot(page, "corrections-edit")
        for n in (4, 3, 2, 1):
            page.goto(base + "/corrections")
            submit(page, f"#correction-{n} form")
            outcome = page.locator("#outcome").inner_text()
            assert f"correction {n} (" in outcome and outcome.lower().count("correction") == 1
        assert story_of(db, 4) == story_of(db, 1) == 1 and story_of(db, 9) == 7
        assert group_of(db, 3) == 1 and group_of(db, 14) is None
        check_ok(db, capsys)


def test_edits_without_the_token_or_from_elsewhere_are_refused(page, db: Path) -> None:  # noqa: F811
    with ui_server(db, "--edit") as base:
        page.goto(base + "/story/1")
        token = page.locator("#split-form input[name=csrf]").get_attribute("value")
        assert token and len(token) > 30
        # the token taken out of the page's form: refused
        page.locator("#split-form input[name=csrf]").evaluate("e => e.remove()")
        page.fill("#split-form input[name=articles]", "4")
        submit(page, "#split-form")
        assert page.locator("h1").inner_text() == "Refused" and "token" in page.content()
        # another site's page that posts this inspector's form, token and all: refused
        evil = (
            f'<form method="post" action="{base}/edit/story/1/split" id="f">'
            f'<input name="csrf" value="{token}"><input name="articles" value="4">'
            '<button type="submit">go</button></form>'
        )
        page.route(
            "http://evil.example/**",
            lambda route: route.fulfill(body=evil, content_type="text/html"),
        )
        page.goto("http://evil.example/")
        submit(page, "#f")
        assert page.locator("h1").inner_text() == "Refused"
        assert "does not come from this inspector" in page.content()
        # no Origin at all (not a browser's form): refused
        r = httpx.post(base + "/edit/story/1/split", data={"csrf": token, "articles": "4"})
        assert r.status_code == 403
        r = httpx.post(
            base + "/edit/story/1/split",
            data={"csrf": "x" * len(token), "articles": "4"},
            headers={"Origin": base},
        )
        assert r.status_code == 403
    assert story_of(db, 4) == 1 and q(db, "SELECT count(*) FROM corrections") == [(0,)]


def test_the_read_only_default_refuses_every_write(db: Path) -> None:  # noqa: F811
    with ui_server(db) as base:
        page = httpx.get(base + "/story/1").text
        assert "csrf" not in page and 'class="edit"' not in page
        for path in POSTS:
            r = httpx.post(
                base + path, data={"articles": "4", "story": "2"}, headers={"Origin": base}
            )
            assert r.status_code == 405 and "Read-only" in r.text, path
    assert q(db, "SELECT count(*) FROM corrections") == [(0,)] and story_of(db, 4) == 1
