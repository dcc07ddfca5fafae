"""What the commands say: counts with the right plural, each thing said once, blank
reasons refused, and a command family (`group`, `story`, `server`, ...) that lists its
members when asked for help or called without one.

The seeds go through the real ingest flow once per module; each test that writes works
on its own copy of that database.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mediawatch.cli import main
from storage.connection import reader

from .conftest import SEEDS

PAIR = sorted(SEEDS.glob("00[01]_*.txt"))  # the seed pair: one story, one duplicate group


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`mediawatch ARGS` in this process: exit code, standard output, standard error."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse: usage errors and --help
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def q(db: Path, sql: str, *params: object) -> list[tuple]:
    with reader(db) as conn:
        return conn.execute(sql, list(params)).fetchall()


def article(db: Path, url_part: str) -> int:
    """The id of the one article whose URL contains ``url_part``."""
    (row,) = q(db, "SELECT article_id FROM articles WHERE contains(url, ?)", url_part)
    return row[0]


def story_of(db: Path, article_id: int) -> int:
    return q(db, "SELECT story_id FROM story_members WHERE article_id = ?", article_id)[0][0]


@pytest.fixture(scope="module")
def seeded(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, ingested through the flow; copied before a test writes to it."""
    path = tmp_path_factory.mktemp("wording") / "seeds.duckdb"
    assert main(["ingest", str(SEEDS), "--db", str(path)]) == 0
    return path


@pytest.fixture
def db(seeded: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "seeds.duckdb"
    shutil.copy(seeded, copy)
    return copy


def test_check_counts_one_story_and_one_group_in_the_singular(
    prefect_harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed pair: two articles, one story, one duplicate group."""
    assert len(PAIR) == 2
    pair = tmp_path / "pair.duckdb"
    assert main(["ingest", *map(str, PAIR), "--db", str(pair)]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "check", "--db", str(pair))
    assert code == 0
    assert out == "2 articles, 1 story, 1 duplicate group: consistent\n"


def test_check_counts_many_in_the_plural(seeded: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--db", str(seeded))
    assert code == 0 and out == "14 articles, 7 stories, 2 duplicate groups: consistent\n"


@pytest.mark.parametrize(("days", "said"), [("1", "retention 1 day,"), ("2", "retention 2 days,")])
def test_vacuum_says_its_retention_in_days(db: Path, capsys, days: str, said: str) -> None:
    code, out, _ = run(capsys, "vacuum", "--prune-days", days, "--dry-run", "--db", str(db))
    assert code == 0 and said in out, out
    assert "window 30 days)" in out
    assert re.search(r"would prune the texts of \d+ articles? and \d+ earlier revisions? ", out)


def test_a_split_of_one_article_names_it_in_the_singular(db: Path, capsys) -> None:
    """`story split 1 4` moves one article; a split of two says "articles"."""
    d = ["--db", str(db)]
    marrow = article(db, "marrowgazette")
    story = story_of(db, marrow)
    assert run(capsys, "story", "split", str(story), str(marrow), *d)[0] == 0
    new = story_of(db, marrow)
    recall = sorted(
        a for (a,) in q(db, "SELECT article_id FROM articles WHERE contains(url, ?)", "norvik")
    )
    recall_story = story_of(db, recall[0])
    assert run(capsys, "story", "split", str(recall_story), *map(str, recall[1:]), *d)[0] == 0
    newer = story_of(db, recall[1])

    code, out, _ = run(capsys, "corrections", "--json", *d)
    what = [c["what"] for c in json.loads(out)]
    assert what == [
        f"story {recall_story}: articles {recall[1]}, {recall[2]} to new story {newer}",
        f"story {story}: article {marrow} to new story {new}",
    ]
    # the refusal that names the correction says it the same way
    code, _, err = run(capsys, "article", "move", str(marrow), "--to", str(story), *d)
    assert code == 1
    assert f"would undo correction 1 (story {story}: article {marrow} to new story {new})" in err


def test_a_group_that_would_span_two_stories_names_one_left_behind_singly(db: Path, capsys) -> None:
    """The seed pair's group: splitting one of the two off leaves the other behind."""
    a, b = sorted(article(db, p.name) for p in PAIR)
    story = story_of(db, a)
    code, _, err = run(capsys, "story", "split", str(story), str(b), "--db", str(db))
    assert code == 1
    assert f"its article {a} is not split off with it. List it too," in err, err


def test_undo_names_the_correction_once(db: Path, capsys) -> None:
    d = ["--db", str(db)]
    copy = article(db, "baylinedaily")
    code, out, _ = run(capsys, "group", "detach", str(copy), *d)
    assert code == 0 and out.startswith(f"correction 1: article {copy} detached from group")
    # an undo records who, not why: a --note it would drop is refused, nothing undone
    code, out, err = run(capsys, "corrections", "undo", "1", "--note", "oops", *d)
    assert code == 2 and not out and "unrecognized arguments: --note" in err, err
    code, out, _ = run(capsys, "corrections", "undo", "1", "--by", "ana", *d)
    assert code == 0 and out == "correction 1 (group detach) undone\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["group", "attach", "{single}", "--to", "1", "--force", ""], "give a non-empty reason"),
        (["group", "attach", "{single}", "--to", "1", "--force", "  "], "give a non-empty reason"),
        (["group", "detach", "{copy}", "--note", " "], "give a non-empty note"),
        (["group", "detach", "{copy}", "--by", ""], "give a non-empty name"),
    ],
)
def test_a_blank_reason_note_or_name_is_refused(
    db: Path, capsys, args: list[str], said: str
) -> None:
    """Given but blank (an unset shell variable): refused, nothing recorded."""
    ids = {"single": str(article(db, "portmeade")), "copy": str(article(db, "baylinedaily"))}
    code, out, err = run(capsys, *[a.format(**ids) for a in args], "--db", str(db))
    assert code == 2 and not out and said in err and "attaches it anyway" not in err, err
    assert q(db, "SELECT count(*) FROM corrections") == [(0,)]


def test_a_reason_given_attaches_and_is_recorded(db: Path, capsys) -> None:
    """The control of the test above: the same attach with a reason goes through."""
    single = article(db, "portmeade")
    code, _, err = run(capsys, "group", "attach", str(single), "--to", "1", "--db", str(db))
    assert code == 1 and "`--force REASON` attaches it anyway" in err
    args = ["group", "attach", str(single), "--to", "1", "--force", " a wire rewrite "]
    code, out, _ = run(capsys, *args, "--db", str(db))
    assert code == 0 and "forced: it does not verify" in out
    assert q(db, "SELECT reason FROM corrections") == [("a wire rewrite",)]


def test_a_blank_force_is_refused_by_the_correction_itself(db: Path) -> None:
    """Callers other than the command line (the inspector) get the same refusal."""
    from mediawatch import corrections
    from storage.connection import transaction, writer

    single = article(db, "portmeade")
    refused = pytest.raises(corrections.CorrectionError, match="give a non-empty reason")
    with writer(db) as conn, transaction(conn), refused:
        corrections.attach(conn, single, 1, corrections.Who("ana"), force=" \t")
    assert q(db, "SELECT count(*) FROM corrections") == [(0,)]


def test_pruned_texts_are_named_in_the_plural_and_explain_shows_no_empty_table(
    db: Path, capsys
) -> None:
    d = ["--db", str(db)]
    wire, marrow = article(db, "coastwire"), article(db, "marrowgazette")
    assert run(capsys, "vacuum", "--prune-days", "1", "--no-compact", *d)[0] == 0
    pruned = {a for (a,) in q(db, "SELECT article_id FROM articles WHERE text IS NULL")}
    kept = min(a for (a,) in q(db, "SELECT article_id FROM articles WHERE text IS NOT NULL"))
    assert {wire, marrow} <= pruned  # February's story, closed long ago

    code, _, err = run(capsys, "diff", str(wire), str(marrow), *d)
    assert code == 1
    assert f"the texts of articles {wire} and {marrow} were pruned by retention" in err
    assert "their metadata, stories and duplicate groups are kept" in err
    assert "was pruned" not in err
    code, _, err = run(capsys, "diff", str(kept), str(wire), *d)
    assert code == 1 and f"the text of article {wire} was pruned by retention" in err
    assert "its metadata, story and duplicate group are kept" in err

    code, out, _ = run(capsys, "explain", str(wire), str(marrow), *d)
    assert code == 0
    lines = out.splitlines()
    title = lines.index("Duplicate test (exact, near_copy, rewrite)")  # a line of its own
    assert lines[title + 1].startswith(
        f"  decision: cannot be recomputed: the texts of articles {wire} and {marrow} were pruned"
    )
    headers = [line for line in lines if line.split()[:2] == ["score", "value"]]
    assert len(headers) == 1  # the story table's; the duplicate test has none


FAMILIES = {
    "group": ["detach", "attach"],
    "story": ["merge", "split"],
    "article": ["move"],
    "server": ["start", "stop", "status"],
    "watch": ["add", "list", "remove", "hits", "digest"],
    "corrections": ["undo"],
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_command_family_lists_its_members_in_its_help(family: str, capsys) -> None:
    code, out, err = run(capsys, family, "--help")
    assert code == 0 and not err
    for action in FAMILIES[family]:  # `group detach ARTICLE ...`; watch: its own list
        assert re.search(rf"^\s+(?:{family} )?{action}\b", out, re.M), (action, out)


@pytest.mark.parametrize("family", sorted(set(FAMILIES) - {"corrections"}))
def test_a_command_family_alone_shows_its_usage(family: str, capsys) -> None:
    """`mediawatch group` (or `story`, `server`, ...) alone: the members, then the error
    line; exit 2 as for any usage error. (`corrections` alone lists corrections.)"""
    code, out, err = run(capsys, family)
    assert code == 2 and not out
    *usage, last = err.splitlines()
    assert usage[0].startswith(f"usage: mediawatch {family} ")
    for action in FAMILIES[family]:
        assert any(re.search(rf"mediawatch {family} {action}\b", line) for line in usage), err
    assert last.startswith(f"mediawatch {family}: the following arguments are required")


def test_group_refuses_an_action_it_does_not_have(capsys) -> None:
    code, _, err = run(capsys, "group", "split", "3")
    assert code == 2
    assert "usage: mediawatch group detach ARTICLE" in err
    assert "mediawatch group attach ARTICLE --to GROUP" in err
    assert "invalid choice: 'split' (choose from 'detach', 'attach')" in err


def test_the_group_commands_still_run_under_their_two_words(db: Path, capsys) -> None:
    """`group` as a command of its own does not take `group detach` over."""
    copy = article(db, "baylinedaily")
    code, out, _ = run(capsys, "group", "detach", str(copy), "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["kind"] == "group-detach"
