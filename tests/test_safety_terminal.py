"""Hostile text in a real terminal: the raw bytes `mediawatch` writes to a pseudo-terminal
hold no escape sequence, hyperlink or direction override that came from the data, and
Rich markup in a title is shown as written. Exports keep spreadsheet formulas out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.safe_text import csv_cell, plain

from .corpus import ingested
from .terminal import in_terminal

ESC = "\x1b"
MARKUP = "[link=https://evil.example]click[/link]"
HOSTILE_TITLE = (
    f"{MARKUP} {ESC}]8;;https://evil.example{ESC}\\hyperlink{ESC}]8;;{ESC}\\"
    f"{ESC}]52;c;ZXZpbA=={chr(7)}{ESC}[2J\u202eerif ruobrah\u202c \x9b31m Quillmouth :smile:"
)
PARAGRAPH = (
    "The harbour fire in Quillmouth destroyed three warehouses on Monday night, the fire "
    "brigade said, and more than forty firefighters worked until dawn to stop the flames "
    "reaching the old fish market on the quay."
)
HOSTILE = [
    {
        "url": "https://quill.example/fire",
        "title": HOSTILE_TITLE,
        "text": PARAGRAPH + f"\n{ESC}]52;c;aGk={chr(7)}[bold]loud[/bold] " + PARAGRAPH,
        "published_at": "2026-05-04T09:00:00",
        "source": f"Quill {ESC}[31mWire\u202e",
    },
    {
        "url": f"https://harbour.example/fire{ESC}[2J",
        "title": "Fire destroys Quillmouth warehouses",
        "text": PARAGRAPH + "\n" + PARAGRAPH,
        "published_at": "2026-05-04T10:00:00",
        "source": '=HYPERLINK("http://evil.example")',
    },
]
# What must never reach the terminal from the data (Rich's own styling is ESC [ ... m).
FORBIDDEN = {
    "OSC 8 hyperlink": b"\x1b]8",
    "OSC 52 clipboard": b"\x1b]52",
    "clear screen": b"\x1b[2J",
    "red from the data": b"\x1b[31mWire",
    "C1 CSI": "\x9b".encode(),
    "right-to-left override": "\u202e".encode(),
    "pop direction": "\u202c".encode(),
}


@pytest.fixture(scope="module")
def hostile_db(prefect_harness, tmp_path_factory) -> Path:
    return ingested(tmp_path_factory.mktemp("hostile-terminal"), "hostile", HOSTILE)


def _ids(db: Path, capsys) -> tuple[int, int, int]:
    capsys.readouterr()
    assert main(["search", "quillmouth", "--db", str(db), "--json"]) == 0
    hits = {h["url"]: h for h in json.loads(capsys.readouterr().out)}
    first = hits["https://quill.example/fire"]
    second = next(h for u, h in hits.items() if u.startswith("https://harbour.example"))
    return first["story_id"], first["article_id"], second["article_id"]


def test_the_database_holds_the_hostile_text_unchanged(hostile_db: Path, capsys) -> None:
    """Nothing is lost: the raw title is stored and --json gives it back exactly."""
    story, _, _ = _ids(hostile_db, capsys)
    assert main(["story", str(story), "--db", str(hostile_db), "--json"]) == 0
    titles = [x["title"] for x in json.loads(capsys.readouterr().out)["articles"]]
    assert HOSTILE_TITLE in titles


@pytest.mark.parametrize(
    "command",
    ["stories", "story", "search", "dupes", "explain", "diff", "diff-unified"],
)
def test_no_escape_sequence_from_the_data_reaches_the_terminal(
    hostile_db: Path, capsys, command: str
) -> None:
    story, a, b = _ids(hostile_db, capsys)
    args = {
        "stories": ["stories"],
        "story": ["story", str(story)],
        "search": ["search", "quillmouth"],
        "dupes": ["dupes"],
        "explain": ["explain", str(a), str(b)],
        "diff": ["diff", str(a), str(b)],
        "diff-unified": ["diff", str(a), str(b), "-u"],
    }[command]
    out = in_terminal([*args, "--db", str(hostile_db)])
    assert b"\x1b[1m" in out or b"\x1b[3m" in out  # Rich saw a terminal and styled it
    for what, sequence in FORBIDDEN.items():
        assert sequence not in out, f"{what} reached the terminal from `mediawatch {command}`"
    if command in ("stories", "story", "search", "dupes", "explain"):
        assert MARKUP.encode() in out  # shown as written, not made a live link
    if command in ("stories", "story", "search", "dupes"):
        assert b":smile:" in out  # no emoji code replaced either
    if command in ("diff", "diff-unified"):
        assert b"[bold]loud[/bold]" in out


def test_plain_removes_sequences_whole_and_shows_lone_controls() -> None:
    assert plain(f"a{ESC}]8;;https://x.example{ESC}\\link{ESC}]8;;{ESC}\\b") == "alinkb"
    assert plain(f"a{ESC}]52;c;ZXZpbA=={chr(7)}b") == "ab"
    assert plain(f"a{ESC}[2Jb{ESC}[1;31mc") == "abc"
    assert plain("a\x9b2Jb\x9d8;;x\x9cc") == "abc"  # 8-bit CSI and OSC
    assert plain("a\rb\nc\td") == "a b c d"
    assert plain("a\rb\nc", multiline=True) == "a\nb\nc"
    assert plain("bell\x07 nul\x00 del\x7f") == "bell\ufffd nul\ufffd del\ufffd"
    assert plain("x\u202egnp.exe\u202c \u2067y\u2069") == "xgnp.exe y"
    assert plain("مرحبا \u200f ok") == "مرحبا \u200f ok"  # right-to-left text and marks stay
    assert plain(f"unterminated {ESC}]8;;https://x.example") == "unterminated "


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text() -> None:
    for formula in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell("plain") == "plain" and csv_cell(-3) == -3 and csv_cell(None) is None


def test_csv_exports_neutralise_formulas_and_json_keeps_them(
    hostile_db: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "OUT.CSV"  # the extension in capitals names the format too
    assert main(["export", "--db", str(hostile_db), "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert {r["source"] for r in rows} >= {'\'=HYPERLINK("http://evil.example")'}
    capsys.readouterr()
    assert main(["export", "--db", str(hostile_db), "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert '\'=HYPERLINK("http://evil.example")' in {r["source"] for r in rows}
    assert main(["export", "--db", str(hostile_db), "--format", "jsonl"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert '=HYPERLINK("http://evil.example")' in {r["source"] for r in records}
    assert HOSTILE_TITLE in {r["title"] for r in records}  # JSON: exact, \u-escaped


def test_the_inspector_isolates_outside_text(hostile_db: Path, capsys) -> None:
    """A title or source sits inside a <bdi> (or dir="auto") element, so its text cannot
    reorder the page around it, and every page value is cleaned as the terminal cleans
    it: no escape sequence, control character or direction override reaches the page,
    in <title> and <option> neither."""
    import html
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from mediawatch.config import load_settings
    from mediawatch.web import app as web

    story, a, _ = _ids(hostile_db, capsys)
    client = TestClient(web.create_app(load_settings(db=hostile_db)))
    page = client.get(f"/story/{story}").text
    from mediawatch.safe_text import plain

    escaped = html.escape(plain(HOSTILE_TITLE, multiline=True), quote=False)
    assert f"<h1><bdi>{escaped}</bdi></h1>" in page and "Quillmouth" in escaped
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", page)
    article = client.get(f"/article/{a}").text
    head = article[article.index("<title>") : article.index("</title>")]
    assert "\u202e" not in head and "<bdi>" not in head
    assert '<p dir="auto">' in article
    listing = client.get("/").text  # the sources' <datalist>: options hold text only
    options = re.findall(r"<option [^>]*>[^<]*</option>", listing)
    assert any("Quill" in o for o in options)
    assert not any("\u202e" in o or "\x1b" in o for o in options)
