"""The `mediawatch` command: read commands, exports, errors a user can act on."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from mediawatch.cli import main
from storage.connection import reader

from .conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def db(prefect_harness, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    assert main(["ingest", str(SEEDS), "--db", str(path)]) == 0
    return path


def run_json(capsys, *args: str):
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ingest_prints_a_summary(prefect_harness, tmp_path: Path, capsys) -> None:
    assert main(["ingest", str(SEEDS / "demo"), "--db", str(tmp_path / "x.duckdb")]) == 0
    out, err = capsys.readouterr()
    assert "12 new articles" in out
    assert "duplicate groups: 1 new" in out
    assert "left out" not in err  # the folder's README is its documentation
    # files of kinds it does not read are named, not passed over in silence
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"%PDF-1.4")
    (folder / "notes.json").write_text("{}")
    (folder / ".hidden.docx").write_text("x")
    assert main(["ingest", str(folder), "--db", str(tmp_path / "x.duckdb")]) == 0
    err = capsys.readouterr().err
    assert f"2 files of a kind not read left out ({folder / 'notes.json'}, " in err
    assert "hidden" not in err
    assert f"{folder} holds no file to read" in err  # a run of it reads nothing: said
    (folder / "notes.json").unlink()
    (folder / "report.pdf").unlink()
    assert main(["ingest", str(folder), "--db", str(tmp_path / "x.duckdb")]) == 0
    assert capsys.readouterr().err.splitlines()[0] == f"mediawatch: {folder} holds no file to read"
    assert main(["ingest", str(SEEDS), "--db", str(tmp_path / "x.duckdb")]) == 0
    assert "holds no file" not in capsys.readouterr().err


def test_stories_and_story(db: Path, capsys) -> None:
    stories = run_json(capsys, "stories", "--db", str(db))
    assert len(stories) == 7
    assert stories[0]["size"] == 4  # largest first
    detail = run_json(capsys, "story", str(stories[0]["story_id"]), "--db", str(db))
    assert detail["story"]["origin_article_id"] == detail["articles"][0]["article_id"]
    assert len(detail["groups"]) == 1
    assert {m["relation"] for m in detail["groups"][0]["members"]} == {"origin", "near_copy"}
    big = run_json(capsys, "stories", "--db", str(db), "--min-size", "3")
    assert [s["size"] for s in big] == [4, 3]


def test_story_in_the_terminal_shows_limit_rows(db: Path, capsys) -> None:
    largest = run_json(capsys, "stories", "--db", str(db))[0]
    assert main(["story", str(largest["story_id"]), "--db", str(db), "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "and 2 more articles (--limit 0 shows all)" in out
    assert main(["story", str(largest["story_id"]), "--db", str(db), "--limit", "0"]) == 0
    assert "more articles" not in capsys.readouterr().out


def test_dupes_lists_groups_with_relations_and_scores(db: Path, capsys) -> None:
    groups = run_json(capsys, "dupes", "--db", str(db))
    assert len(groups) == 2
    rewrite = next(g for g in groups if any(m["relation"] == "rewrite" for m in g["members"]))
    member = next(m for m in rewrite["members"] if m["relation"] == "rewrite")
    assert member["decision"]["scores"]["sentence_alignment"] >= 0.6
    assert member["decision"]["thresholds"]["rewrite_alignment"] == 0.6
    one = run_json(capsys, "dupes", str(rewrite["group_id"]), "--db", str(db))
    assert one[0]["group_id"] == rewrite["group_id"]


def test_explain_gives_scores_thresholds_decision_and_passages(db: Path, capsys) -> None:
    groups = run_json(capsys, "dupes", "--db", str(db))
    rewrite = next(g for g in groups if any(m["relation"] == "rewrite" for m in g["members"]))
    a, b = (m["article_id"] for m in rewrite["members"])
    report = run_json(capsys, "explain", str(a), str(b), "--db", str(db))
    dup, story = report["sections"]
    assert dup["decision"].startswith("rewrite")
    scores = {r["name"]: r for r in dup["rows"]}
    assert scores["sentence_alignment"]["threshold"] == 0.6
    assert scores["sentence_alignment"]["value"] >= 0.6
    assert story["decision"].startswith("same story")
    assert report["passages"] and report["passages"][0]["words"] >= 8
    assert main(["explain", str(a), "99999", "--db", str(db)]) == 1
    assert "no such article" in capsys.readouterr().err
    for command in ("explain", "diff"):
        assert main([command, str(a), str(a), "--db", str(db)]) == 1
        err = capsys.readouterr().err
        assert err == f"mediawatch: {command} compares two articles: {a} was given twice " + (
            f"(`mediawatch article {a}` shows one)\n"
        )


def test_explain_says_when_names_keep_two_articles_apart(db: Path, capsys) -> None:
    """Articles that both name people or places and share none are different events:
    their story score is 0 whatever their words, and the decision says why."""
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    stories = {r["article_id"]: r["story_id"] for r in rows}
    first, *others = sorted(stories)
    seen = 0
    for other in others:
        story = run_json(capsys, "explain", str(first), str(other), "--db", str(db))["sections"][1]
        rows = {r["name"]: r["value"] for r in story["rows"]}
        if rows.get("entities similarity") == 0.0:
            seen += 1
            assert rows["combined"] == 0.0 and rows["words similarity"] is not None
            assert story["decision"].startswith("different events: both name")
            assert stories[first] != stories[other]
        else:
            assert not story["decision"].startswith("different events: both name")
    assert 0 < seen < len(others)


def test_explain_says_when_a_page_names_nothing(prefect_harness, tmp_path: Path, capsys) -> None:
    """Two recipes of a hundred words, one naming its bakery, the other nothing: two
    stories, and the decision says which page names nobody rather than 'both name'."""
    from .test_cluster import BUTTERCREAM

    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "plain.txt").write_text(BUTTERCREAM)
    named = (
        "Our chocolate fudge frosting at Magnolia Bakery begins with dark chocolate melted "
        "over a pan of hot water and left to cool. Cream the butter, sift in cocoa and icing "
        "sugar, and pour the cooled chocolate in with a splash of cream and a pinch of salt. "
        "Whip it until glossy, about four minutes at high speed. The frosting covers two "
        "layers of devil's food cake or a dozen cupcakes. Chill the frosted cake for an hour "
        "so the fudge sets, and serve it at room temperature, when the chocolate is richest "
        "and the frosting cuts cleanly with a warm knife."
    )
    (folder / "bakery.txt").write_text(named)
    db = tmp_path / "r.duckdb"
    assert main(["ingest", str(folder), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and rows[0]["story_id"] != rows[1]["story_id"]
    plain = next(r["article_id"] for r in rows if r["text"] == BUTTERCREAM)
    bakery = next(r["article_id"] for r in rows if r["article_id"] != plain)
    story = run_json(capsys, "explain", str(plain), str(bakery), "--db", str(db))["sections"][1]
    assert story["decision"].startswith(
        "different pages: A names no person, place or organisation in 100 words or more"
    )


def _ingest_among_council_votes(folder: Path, db: Path, capsys) -> list[dict]:
    """Ingest ``folder`` with eight council reports beside its pages (an archive, so that
    shared words weigh something); the stored articles as exported."""
    for k in range(8):
        (folder / f"council-{k}.txt").write_text(
            f"Council vote {k}\n\nThe council of Leeds met on Monday and voted {k} to 3 on "
            "the budget, Mayor Jane Hill said.\n"
        )
    assert main(["ingest", str(folder), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", "jsonl"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_explain_says_when_two_leads_share_too_little(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    """A report and a deals page share a paragraph about one product, not their openings:
    two stories, and explain shows the lead overlap against its threshold and says why."""
    from mediawatch.cluster.stories import Params

    from .test_cluster import KEYBOARD, OPENINGS

    folder = tmp_path / "pages"
    folder.mkdir()
    for key in ("kuo", "deals"):
        title, opening = OPENINGS[key]
        (folder / f"{key}.txt").write_text(f"{title}\n\n{opening}\n\n{KEYBOARD}\n")
    db = tmp_path / "p.duckdb"
    rows = _ingest_among_council_votes(folder, db, capsys)
    pages = [r for r in rows if not r["title"].startswith("Council")]
    assert len(pages) == 2 and pages[0]["story_id"] != pages[1]["story_id"]
    a, b = (r["article_id"] for r in pages)
    story = run_json(capsys, "explain", str(a), str(b), "--db", str(db))["sections"][1]
    scores = {r["name"]: r for r in story["rows"]}
    assert scores["lead overlap"]["threshold"] == Params().lead_min
    assert scores["lead overlap"]["value"] < Params().lead_min
    assert scores["combined"]["value"] == 0.0
    assert scores["words similarity"]["value"] > 0.9  # alike further down
    assert scores["entities similarity"]["value"] > 0.0  # a name in common
    assert story["decision"].startswith(
        "different events: their titles and first sentences share too little"
    )


def test_explain_says_when_a_roundup_names_an_event_in_one_item(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    """Two reports of a bridge closure and a transport roundup whose first item names it:
    the reports share a story, the roundup does not, and explain shows the lead echo
    against its threshold and says why."""
    from mediawatch.cluster.stories import Params

    from .test_cluster import BRIDGE, DETOURS, ROUNDUP_ITEMS, ROUNDUP_TITLE

    folder = tmp_path / "pages"
    folder.mkdir()
    for key, (title, opening) in BRIDGE.items():
        (folder / f"{key}.txt").write_text(f"{title}\n\n{opening}\n\n{DETOURS}\n")
    (folder / "roundup.txt").write_text(ROUNDUP_TITLE + "\n\n" + "\n\n".join(ROUNDUP_ITEMS))
    db = tmp_path / "p.duckdb"
    rows = _ingest_among_council_votes(folder, db, capsys)
    by_title = {r["title"]: r for r in rows}
    reports = [by_title[title] for title, _ in BRIDGE.values()]
    roundup = by_title[ROUNDUP_TITLE]
    assert reports[0]["story_id"] == reports[1]["story_id"] != roundup["story_id"]
    a, b = reports[0]["article_id"], roundup["article_id"]
    story = run_json(capsys, "explain", str(a), str(b), "--db", str(db))["sections"][1]
    scores = {r["name"]: r for r in story["rows"]}
    assert scores["lead overlap"]["value"] >= Params().lead_min
    # the words the overlap adds up, as the report writes them (not their stems), weighed
    shared = scores["lead words shared"]
    assert shared["value"] is None
    assert re.search(r"(^|, )Harbour \d\.\d\d", shared["meaning"])
    assert re.search(r", Bridge \d\.\d\d|^Bridge \d\.\d\d", shared["meaning"])
    weights = [float(w) for w in re.findall(r" (\d\.\d\d)(?:,| and| \()", shared["meaning"])]
    assert weights == sorted(weights, reverse=True)  # the heaviest first
    assert sum(weights) == pytest.approx(scores["lead overlap"]["value"], abs=0.03)
    assert scores["lead echo"]["threshold"] == Params().echo_min
    assert scores["lead echo"]["value"] < Params().echo_min
    assert scores["combined"]["value"] == 0.0
    assert story["decision"].startswith("different stories: one of them echoes the other's")


def test_explain_says_when_an_article_does_not_open_like_a_story(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    """Two reports of a grounding and an explainer that opens like one of them: the
    reports share a story, the explainer does not, and explain shows the explainer's
    lead against the lead core of the reports' story and says why the pair's own link
    was not enough."""
    from mediawatch.cluster.stories import Params

    from .test_cluster import FLEET, FLEET_BLADES, GROUNDED

    folder = tmp_path / "pages"
    folder.mkdir()
    for key, (title, opening) in GROUNDED.items():
        rest = FLEET_BLADES if key == "explainer" else FLEET
        (folder / f"{key}.txt").write_text(f"{title}\n\n{opening}\n\n{rest}\n")
    db = tmp_path / "p.duckdb"
    rows = _ingest_among_council_votes(folder, db, capsys)
    by_title = {r["title"]: r for r in rows}
    report, report2, explainer = (by_title[title] for title, _ in GROUNDED.values())
    assert report["story_id"] == report2["story_id"] != explainer["story_id"]
    a, b = explainer["article_id"], report["article_id"]
    story = run_json(capsys, "explain", str(a), str(b), "--db", str(db))["sections"][1]
    scores = {r["name"]: r for r in story["rows"]}
    assert scores["lead overlap"]["value"] >= Params().lead_min
    core = scores["lead core of B's story"]
    assert core["threshold"] == pytest.approx(Params().lead_core * Params().lead_min)
    assert core["value"] < core["threshold"]
    assert "the 2 articles of B's story" in core["meaning"]
    assert "lead core of A's story" not in scores  # the explainer's story has one article
    assert story["decision"].startswith("same story as a pair, but not with B's story as stored")
    from storage.explain import story_leads

    conn = duckdb.connect(str(db), read_only=True)
    try:
        assert [lang for lang, _ in story_leads(conn, b, a, 100)] == ["en", "en"]  # reports
        assert story_leads(conn, b, a, most=1) == []  # too big to recluster: not tested
    finally:
        conn.close()


@pytest.mark.parametrize("one_site", [True, False])
def test_two_saved_pages_of_one_site_need_more_in_their_openings(
    prefect_harness, tmp_path: Path, capsys, one_site: bool
) -> None:
    """Two pages saved from the web (their site is that of their canonical address) on two
    moons open alike: from one site they are two stories, and explain says the site's
    pages need more; from two sites they are one story."""
    from mediawatch.cluster.stories import Params

    from .test_cluster import MOONS

    folder = tmp_path / "pages"
    folder.mkdir()
    for key in ("europa", "titan"):
        host = "space.example" if one_site or key == "europa" else "planets.example"
        title, body = MOONS[key]
        canonical = f'<link rel="canonical" href="https://{host}/2019/11/{key}">'
        page = _guide_page(title, body.replace("\n", " "), canonical)
        (folder / f"{key}.html").write_text(page)
    db = tmp_path / "p.duckdb"
    rows = _ingest_among_council_votes(folder, db, capsys)
    pages = [r for r in rows if not r["title"].startswith("Council")]
    assert len(pages) == 2
    assert (pages[0]["story_id"] == pages[1]["story_id"]) is not one_site
    a, b = (r["article_id"] for r in pages)
    story = run_json(capsys, "explain", str(a), str(b), "--db", str(db))["sections"][1]
    lead = {r["name"]: r for r in story["rows"]}["lead overlap"]
    assert (lead["value"] < Params().lead_min) is one_site
    assert ("for two pages of one site" in lead["meaning"]) is one_site
    shared = {r["name"]: r for r in story["rows"]}["lead words shared"]["meaning"]
    assert ("then divides for two pages of one site" in shared) is one_site


def test_explain_says_what_two_languages_compare(prefect_harness, tmp_path: Path, capsys) -> None:
    """A German and an English report of one event that share names, not numbers: one
    story, and explain shows only the names (no words, no numbers row) and says why."""
    from .test_cluster import SIEMENS

    folder = tmp_path / "reports"
    folder.mkdir()
    for lang, text in SIEMENS.values():
        (folder / f"siemens-{lang}.txt").write_text(text + "\n")
    db = tmp_path / "l.duckdb"
    rows = _ingest_among_council_votes(folder, db, capsys)
    reports = [r for r in rows if "Kaeser" in r["text"]]
    assert {r["language"] for r in reports} == {"de", "en"}
    assert reports[0]["story_id"] == reports[1]["story_id"]
    a, b = (r["article_id"] for r in reports)
    story = run_json(capsys, "explain", str(a), str(b), "--db", str(db))["sections"][1]
    names = {r["name"] for r in story["rows"]}
    assert "entities similarity" in names
    assert not {"words similarity", "numbers similarity"} & names
    assert "are in two languages: their content words are not compared" in story["decision"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_formats(db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"
    assert main(["export", "--db", str(db), "--format", fmt, "-o", str(out)]) == 0
    reader = {"jsonl": "read_json", "csv": "read_csv", "parquet": "read_parquet"}[fmt]
    conn = duckdb.connect()
    rows = conn.execute(
        f"SELECT article_id, url, story_id, duplicate_group_id, relation, text"
        f" FROM {reader}('{out}') ORDER BY article_id"
    ).fetchall()
    assert len(rows) == 14
    assert sum(1 for r in rows if r[3] is not None) == 5  # 3 + 2 grouped articles
    assert all(r[2] is not None and r[5] for r in rows)


def test_export_to_stdout(db: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 14 and "story_id" in rows[0]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "parquet"])
def test_an_export_that_cannot_be_written_says_so(db: Path, fmt: str, capsys) -> None:
    """No folder for files (/proc), a full disk (/dev/full): one line, every format."""
    capsys.readouterr()
    assert main(["export", "--db", str(db), "-o", f"/proc/version.{fmt}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mediawatch: cannot write /proc/version.{fmt}: ")
    assert "No such file or directory" in err and len(err.splitlines()) == 1
    assert main(["export", "--db", str(db), "-o", "/dev/full", "--format", fmt]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mediawatch: cannot write /dev/full: ") and "No space left" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        *(f"export --format {fmt}" for fmt in ("csv", "jsonl", "json")),
        *("stories", "stories --json", "story 1", "article 1", "dupes"),
    ],
)
def test_a_full_standard_output_says_so(db: Path, command: str) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "mediawatch.cli", *command.split(), "--db", str(db)],
            cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == "mediawatch: cannot write standard output: No space left on device\n"


@pytest.mark.parametrize("command", ["dupes", "stories", "story 1", "export", "runs --json"])
def test_a_reader_that_stops_early_ends_the_command_quietly(db: Path, command: str) -> None:
    """`mediawatch ... | head`: the closed pipe ends the command with status 0, no words."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediawatch.cli", *command.split(), "--db", str(db)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command writes anything
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""


def test_runs_and_failures(db: Path, capsys) -> None:
    runs = run_json(capsys, "runs", "--db", str(db))
    assert runs[0]["state"] == "completed" and runs[0]["counts"]["new_articles"] == 14
    assert run_json(capsys, "failures", "--db", str(db)) == []


def test_missing_path_and_bad_database_fail_clearly(tmp_path: Path, capsys) -> None:
    assert main(["ingest", str(tmp_path / "nowhere"), "--db", str(tmp_path / "a.duckdb")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["stories", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no database at" in capsys.readouterr().err
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"this is not a database" * 100)
    assert main(["stories", "--db", str(garbage)]) == 1
    assert "cannot open" in capsys.readouterr().err
    assert main(["ingest", str(SEEDS), "--db", str(garbage)]) == 1
    assert "cannot open" in capsys.readouterr().err


def test_read_commands_do_not_load_prefect(db: Path) -> None:
    code = (
        "import sys; from mediawatch.cli import main; "
        f"assert main(['stories', '--db', {str(db)!r}]) == 0; "
        f"assert main(['dupes', '--db', {str(db)!r}]) == 0; "
        "assert 'prefect' not in sys.modules, 'prefect was imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_explain_says_whether_the_pipeline_compared_a_pair(db: Path, capsys) -> None:
    """A pair outside any group: `explain` says whether LSH ever made it a candidate, or
    the story-mate check compared it, or why neither did."""
    import duckdb as _duckdb

    with _duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            """SELECT a.article_id, b.article_id,
                      EXISTS (SELECT 1 FROM lsh_bands x JOIN lsh_bands y
                              ON x.kind = y.kind AND x.key = y.key
                              WHERE x.article_id = a.article_id AND y.article_id = b.article_id),
                      EXISTS (SELECT 1 FROM story_checks c
                              WHERE (c.article_id = b.article_id
                                     AND list_contains(c.checked, a.article_id))
                                 OR (c.article_id = a.article_id
                                     AND list_contains(c.checked, b.article_id)))
               FROM articles a JOIN articles b ON a.article_id < b.article_id
               WHERE NOT EXISTS (SELECT 1 FROM dup_members m JOIN dup_members n
                                 USING (group_id)
                                 WHERE m.article_id = a.article_id
                                   AND n.article_id = b.article_id)
               ORDER BY 1, 2"""
        ).fetchall()
    never = next((a, b) for a, b, shared, mates in rows if not shared and not mates)
    report = run_json(capsys, "explain", str(never[0]), str(never[1]), "--db", str(db))
    assert "never compared them: no LSH band key in common, and article" in report["stored"]
    a, b = next((a, b) for a, b, shared, mates in rows if not shared and mates)
    report = run_json(capsys, "explain", str(a), str(b), "--db", str(db))
    assert "no LSH band key in common, but compared as members of story" in report["stored"]
    assert "never compared" not in report["stored"]
    compared = [(a, b) for a, b, shared, _ in rows if shared]
    if compared:  # candidates verified and not grouped
        a, b = compared[0]
        report = run_json(capsys, "explain", str(a), str(b), "--db", str(db))
        assert "band key(s)" in report["stored"] and "never compared" not in report["stored"]


def test_an_article_without_a_title_gets_its_first_sentence_marked_derived(
    db: Path, capsys
) -> None:
    """Seed 001's first line is a dateline sentence, not a title: its first sentence,
    shortened, is stored as title and marked derived; matching and search leave it out."""
    with reader(db) as conn:
        rows = conn.execute(
            "SELECT article_id, title, title_derived, text FROM articles"
            " WHERE origin LIKE '%/00_\\_%.txt' ESCAPE '\\' ORDER BY origin"
        ).fetchall()
        (given, _, given_derived, _), (derived, title, is_derived, text) = rows
        terms = dict(
            conn.execute(
                "SELECT term, tf FROM search_terms WHERE article_id = ?", [derived]
            ).fetchall()
        )
    assert (given_derived, is_derived) == (False, True)
    assert title == (
        "China has been using surveillance on its miniorities based in foreign countries for\u2026"
    )
    assert text.startswith("Amsterdam [Netherlands], April 28 : China has been")  # kept whole
    # the derived title adds no weight to its words (a title word counts 3 times)
    assert terms["surveillance"] == text.lower().count("surveillance")

    capsys.readouterr()
    assert main(["article", str(derived), "--db", str(db)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"Article {derived}: China has been using")
    assert first.endswith("(title derived from the first sentence)")
    assert main(["article", str(given), "--db", str(db)]) == 0
    assert "derived" not in capsys.readouterr().out
    data = run_json(capsys, "article", str(derived), "--db", str(db))
    assert data["article"]["title_derived"] is True


def test_article_shows_the_address_a_saved_page_names(db: Path, capsys) -> None:
    with reader(db) as conn:
        (article_id,) = conn.execute(
            "SELECT article_id FROM articles WHERE origin LIKE '%a_harbourton_flood_coastwire.html'"
        ).fetchone()
    capsys.readouterr()
    assert main(["article", str(article_id), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    named = "https://www.coastwire.example/news/2026/02/24/harbourton-sea-wall-breach-floods-homes"
    rows = dict(line.split(None, 1) for line in out.splitlines()[1:12] if line.strip())
    assert rows["url"].startswith("file://")  # its identity stays the local file
    assert rows["canonical"].strip() == named and rows["open"].strip() == named


def _guide_page(title: str, text: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split(". "))
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>"
        f"<article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


@pytest.mark.parametrize("dated", [False, True])
def test_web_pages_that_state_no_time_join_no_story_on_likeness(
    prefect_harness, tmp_path: Path, capsys, dated: bool
) -> None:
    """Two care guides of one plant, saved from two sites: stated with a publication time
    they are one story; stating none anywhere (meta, JSON-LD, <time>, URL) they are two,
    and explain says that a page stating no time is no event in time."""
    from .test_cluster import GUIDES

    folder = tmp_path / "pages"
    folder.mkdir()
    for key, text in GUIDES.items():
        title, body = text.split("\n", 1)
        stamp = "2026-05-04T09:00:00+02:00" if key == "guide-a" else "2026-05-04T16:30:00Z"
        head = f'<meta property="article:published_time" content="{stamp}">' if dated else ""
        (folder / f"{key}.html").write_text(_guide_page(title, body, head))
    db = tmp_path / "g.duckdb"
    rows = _ingest_among_council_votes(folder, db, capsys)
    guides = [r for r in rows if "Bougainvillea" in r["title"]]
    assert len(guides) == 2 and all(r["duplicate_group_id"] is None for r in guides)
    assert all((r["published_at"] is not None) == dated for r in guides)
    a, b = (r["article_id"] for r in guides)
    story = run_json(capsys, "explain", str(a), str(b), "--db", str(db))["sections"][1]
    time = next(r for r in story["rows"] if r["name"] == "time factor")
    if dated:
        assert guides[0]["story_id"] == guides[1]["story_id"]
        assert 0.85 < time["value"] < 1.0  # 07:00 and 16:30 UTC: hours apart
    else:
        assert guides[0]["story_id"] != guides[1]["story_id"]
        assert time["value"] < 0.25 and "stating no publication time" in time["meaning"]
        assert story["decision"].startswith("different pages: A and B state no publication time")


def test_a_stored_duplicate_group_stays_whole_when_a_later_run_reclusters_its_story(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    """A later run clusters the stored stories it may touch again, their members from
    scratch. Their duplicate groups are kept together as such, not left to their
    versions' scores: pages that state no time (which link on nothing but their group)
    stay one story with their copies, and the database stays consistent."""
    from .corpus import articles

    records = articles(n_events=2)  # per event a wire original, two copies, two reports
    db = tmp_path / "d.duckdb"
    for run in (0, 1):  # one event per run: the second looks at the first one's story
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        for k, r in enumerate(records[5 * run : 5 * run + 5]):
            body = "".join(f"<p>{p}</p>" for p in r["text"].split("\n"))
            (folder / f"{k}.html").write_text(
                f"<!doctype html><html><head><title>{r['title']}</title></head><body>"
                f"<article><h1>{r['title']}</h1>{body}</article></body></html>"
            )
        assert main(["ingest", str(folder), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 10 and all(r["published_at"] is None for r in rows)
    groups: dict[int, set[int]] = {}
    for r in rows:
        if r["duplicate_group_id"] is not None:
            groups.setdefault(r["duplicate_group_id"], set()).add(r["story_id"])
    assert len(groups) == 2 and all(len(stories) == 1 for stories in groups.values())
    assert main(["check", "--db", str(db)]) == 0
    assert "consistent" in capsys.readouterr().out
