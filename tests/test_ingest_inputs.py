"""Local input that used to slip through: wrongly typed JSONL fields, empty lists,
unclosed front matter, word counts of unspaced scripts, failures listed by line."""

from __future__ import annotations

import gzip
import json
import os
import threading
from datetime import datetime
from pathlib import Path

import pytest

from flows.ingest import ingest_flow
from mediawatch.cli import main
from mediawatch.config import ExtractSettings, IngestSettings
from mediawatch.extract import extract_document
from mediawatch.ingest.local import count_items, iter_local, split_front_matter
from mediawatch.records import Article, Failure, RawDocument
from mediawatch.text import tokens, word_count
from storage.connection import reader

SETTINGS = IngestSettings(max_file_bytes=50_000)
NOW = datetime(2026, 3, 1, 12, 0)
TEXT = "The harbour council voted on Monday to close the old fish market."

# Three paragraphs of a Chinese report: 40 words as the segmenter finds them, 3 as
# whitespace would count them (one per paragraph).
ZH_PARAGRAPHS = [
    "国务院新闻办公室今天举行新闻发布会，介绍今年前三季度国民经济运行情况。",
    "国家统计局新闻发言人表示，前三季度国内生产总值同比增长百分之五，经济运行总体平稳。",
    "消费市场继续恢复，服务业增长较快，就业形势总体稳定，居民收入持续增加。",
]
ZH_PAGE = (
    '<html lang="zh"><head><title>前三季度经济运行总体平稳</title></head><body><article>'
    "<h1>前三季度经济运行总体平稳</h1>"
    + "".join(f"<p>{p}</p>" for p in ZH_PARAGRAPHS)
    + "</article></body></html>"
)


def read(*paths: Path) -> tuple[list[RawDocument], list[Failure]]:
    items = list(iter_local([str(p) for p in paths], SETTINGS))
    return (
        [i for i in items if isinstance(i, RawDocument)],
        [i for i in items if isinstance(i, Failure)],
    )


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


# --- 1. JSONL fields of the wrong type -------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", ["list", "title"], "'title' must be a string, got list ['list', 'title']"),
        ("title", True, "'title' must be a string, got bool True"),
        ("title", 0, "'title' must be a string, got int 0"),
        ("title", {}, "'title' must be a string, got dict {}"),
        ("source", 42, "'source' must be a string, got int 42"),
        ("source", ["A", "B"], "'source' must be a string, got list ['A', 'B']"),
        ("text", {"p": 1}, "'text' must be a string, got dict {'p': 1}"),
        ("html", 5, "'html' must be a string, got int 5"),
        ("published_at", 20240101, "'published_at' must be an ISO date string, got int 20240101"),
        ("url", 7, "'url' must be a string, got int 7"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_by_name(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    record = {"url": "https://w.example/2", "title": "T", "text": TEXT, field: value}
    docs, failures = read(jsonl(tmp_path / "list.jsonl", [record]))
    assert docs == []
    assert [(f.origin, f.stage, f.reason) for f in failures] == [
        (f"{tmp_path / 'list.jsonl'}:1", "ingest", reason)
    ]
    # the failure names the record's address when it has a usable one
    assert failures[0].url == (None if field == "url" else "https://w.example/2")


def test_a_long_wrong_value_is_cut_short_in_the_reason(tmp_path: Path) -> None:
    record = {"url": "https://w.example/1", "title": list(range(500)), "text": TEXT}
    _, failures = read(jsonl(tmp_path / "list.jsonl", [record]))
    assert failures[0].reason.startswith("'title' must be a string, got list [0, 1, 2,")
    assert failures[0].reason.endswith("…") and len(failures[0].reason) < 120


def test_null_and_empty_fields_are_absent_and_the_rest_of_the_list_goes_on(
    tmp_path: Path,
) -> None:
    path = jsonl(
        tmp_path / "list.jsonl",
        [
            {"url": "https://w.example/1", "title": None, "source": None, "text": TEXT},
            {"url": "https://w.example/2", "title": True, "text": TEXT},
            {"url": "https://w.example/3", "title": "  Kept  ", "source": "", "text": TEXT},
        ],
    )
    docs, failures = read(path)
    assert [(d.url, d.title, d.source) for d in docs] == [
        ("https://w.example/1", None, None),
        ("https://w.example/3", "Kept", None),
    ]
    assert [f.origin.rsplit(":", 1)[1] for f in failures] == ["2"]


def test_csv_values_are_text_as_written(tmp_path: Path) -> None:
    """A CSV cell has no type: "42" or "true" is what the file says, kept as text."""
    path = tmp_path / "list.csv"
    path.write_text(f"url,title,source,text\nhttps://c.example/1,true,42,{TEXT}\n")
    docs, failures = read(path)
    assert failures == []
    assert (docs[0].title, docs[0].source) == ("true", "42")


# --- 2. empty lists --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("e.jsonl", b""),
        ("e.csv", b""),
        ("blank.jsonl", b"\n  \n\t\n"),
        ("blank.csv", b"\r\n\r\n"),
        ("bom.csv", b"\xef\xbb\xbf\n"),
    ],
)
def test_an_empty_list_is_an_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    docs, failures = read(path)
    assert docs == []
    assert [(f.origin, f.stage, f.reason) for f in failures] == [
        (str(path), "ingest", "empty file")
    ]


def test_a_list_with_records_is_not_empty(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text('\n\n{"url": "https://w.example/1", "text": "x"}\n\n')
    docs, failures = read(path)
    assert [d.url for d in docs] == ["https://w.example/1"] and failures == []
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{broken\n")
    _, failures = read(bad)
    assert [f.reason.split(" (")[0] for f in failures] == ["malformed JSON"]  # no "empty file"


def test_a_byte_order_mark_and_a_bare_csv_header_read_as_a_user_expects(tmp_path: Path) -> None:
    """An editor's byte-order mark before the first JSONL record is not part of it; a
    CSV of a header alone says so rather than recording nothing."""
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b'\xef\xbb\xbf{"url": "https://w.example/1", "text": "x"}\n')
    docs, failures = read(bom)
    assert [d.url for d in docs] == ["https://w.example/1"] and failures == []
    header = tmp_path / "header.csv"
    header.write_text("url,title,text\n")
    docs, failures = read(header)
    assert docs == [] and [(f.origin, f.reason) for f in failures] == [
        (f"{header}:1", "no rows under the CSV header")
    ]


# --- compressed lists -------------------------------------------------------------------


def test_compressed_lists_are_read_as_their_plain_forms(tmp_path: Path) -> None:
    """A .jsonl.gz or .csv.gz is read like the .jsonl or .csv inside it (they were read
    as compressed bytes: a failure per line, or no 'url' column)."""
    records = [{"url": f"https://w.example/{n}", "title": f"T{n}", "text": TEXT} for n in (1, 2)]
    plain = jsonl(tmp_path / "list.jsonl", records)
    packed = tmp_path / "packed.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    table = "url,title,text\n" + "".join(f"{r['url']},{r['title']},{r['text']}\n" for r in records)
    (tmp_path / "list.csv").write_text(table)
    (tmp_path / "packed.csv.gz").write_bytes(gzip.compress(table.encode()))
    for name, plain_name in (("packed.jsonl.gz", "list.jsonl"), ("packed.csv.gz", "list.csv")):
        docs, failures = read(tmp_path / name)
        want, _ = read(tmp_path / plain_name)
        assert failures == []
        assert [(d.url, d.title, d.content) for d in docs] == [
            (d.url, d.title, d.content) for d in want
        ]
        assert [d.origin.rsplit(":", 1)[1] for d in docs] == [
            d.origin.rsplit(":", 1)[1] for d in want
        ]
    assert count_items([str(packed)], SETTINGS) == 2  # progress counts records, not bytes


def test_a_broken_or_exploding_archive_is_one_failure_and_a_long_line_another(
    tmp_path: Path,
) -> None:
    records = [{"url": f"https://w.example/{n}", "text": TEXT} for n in range(400)]
    whole = ("\n".join(json.dumps(r) for r in records) + "\n").encode()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(whole, compresslevel=0)[: len(whole) // 2])
    docs, failures = read(cut)
    assert 0 < len(docs) < 400  # what was read before the break stands
    assert [(f.origin, f.reason.split(" (")[0]) for f in failures] == [
        (str(cut), "not a readable gzip file")
    ]
    bomb = tmp_path / "bomb.jsonl.gz"  # 50 MB of blank lines in 50 kB
    bomb.write_bytes(gzip.compress(b"\n" * 50_000_000))
    docs, failures = read(bomb)
    assert docs == [] and [f.reason for f in failures] == [
        f"uncompressed size is over the limit of {100 * bomb.stat().st_size:,} bytes "
        "(100 times the compressed file)"
    ]
    long = tmp_path / "long.jsonl"  # one record over the size of a file, then a fine one
    long.write_text(
        json.dumps({"url": "https://w.example/big", "text": "word " * 20_000})
        + "\n"
        + json.dumps(records[1])
        + "\n"
    )
    docs, failures = read(long)
    assert [d.origin for d in docs] == [f"{long}:2"]
    assert [(f.origin, f.reason) for f in failures] == [
        (f"{long}:1", "line is over the limit of 50,000 bytes (ingest.max_file_bytes)")
    ]


def test_a_pipe_named_on_its_own_is_refused_not_waited_for(tmp_path: Path) -> None:
    """Reading a pipe blocks until someone writes to it (a device may never end): named
    on its own, it is a recorded failure; in a folder, it is not a file to read."""
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    got: list = []
    reading = threading.Thread(target=lambda: got.extend(read(fifo)), daemon=True)
    reading.start()
    reading.join(30)
    assert not reading.is_alive(), "blocked on the pipe"
    docs, failures = got
    assert docs == [] and [(f.origin, f.reason) for f in failures] == [
        (str(fifo), "not a regular file (a pipe or a device): save it first")
    ]
    assert read(tmp_path) == ([], [])


# --- 5. front matter that is never closed ----------------------------------------------


def test_unclosed_front_matter_is_no_front_matter() -> None:
    text = "---\nThe real title line\n\nBody of the article.\nSecond paragraph.\n"
    assert split_front_matter(text) == ({}, text.removeprefix("---\n"))
    assert split_front_matter("---") == ({}, "")


def test_a_rule_before_prose_is_not_front_matter() -> None:
    """A closing '---' after prose lines: the prose is the article, not metadata."""
    text = "---\nTitle line\n\nFirst paragraph of the story.\n---\nMore text."
    assert split_front_matter(text) == ({}, text.removeprefix("---\n"))


def test_front_matter_is_still_read_with_windows_line_ends_lists_and_comments() -> None:
    meta, body = split_front_matter(
        "---\r\ntitle: 'Quay reopens'\r\ntags:\r\n  - harbour\r\n# a comment\r\n"
        "source: Gazette\r\n---\r\nBody"
    )
    assert meta == {"title": "Quay reopens", "tags": "", "source": "Gazette"}
    assert body == "Body"
    assert split_front_matter("---\n---\nBody") == ({}, "Body")


def test_an_unclosed_markdown_file_takes_its_title_from_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "unclosed.md"
    path.write_text("---\n# Quay reopens\n\nThe harbour reopened the quay on Monday.\n")
    docs, failures = read(path)
    assert failures == []
    article = extract_document(docs[0], ExtractSettings())
    assert isinstance(article, Article)
    assert article.title == "Quay reopens" and not article.title_derived
    assert article.text == "The harbour reopened the quay on Monday."


# --- 3. word counts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The U.S. economy grew 5.2% — faster than expected, don't you think?",
        "Überschwemmung in Köln: die Stadt meldet Hochwasser.\n\nZweiter Absatz.",
        "Министр подал в отставку в понедельник.",
        "رئيس الوزراء يزور القاهرة اليوم",
        "",
    ],
)
def test_word_count_of_spaced_scripts_is_unchanged(text: str) -> None:
    assert word_count(text) == len(text.split())


def test_word_count_of_unspaced_scripts_is_the_segmenters() -> None:
    zh = "\n".join(ZH_PARAGRAPHS)
    assert word_count(zh) == len(tokens(zh, "zh")) == 40
    ja = "東京都は今日、新しい条例を発表しました。知事は記者会見で述べた。"
    assert word_count(ja) == len(tokens(ja, "ja")) > 10
    th = "รัฐบาลไทยประกาศมาตรการใหม่ในวันนี้ เพื่อช่วยเหลือเกษตรกร"
    assert word_count(th) == len(tokens(th, "th")) > 5
    # spaced words around a Chinese run count one each; the run counts its words
    assert word_count("Reuters reports: 国务院今天举行新闻发布会 (update)") == 3 + len(
        tokens("国务院今天举行新闻发布会")
    )


def test_the_minimum_length_check_counts_the_same_words() -> None:
    page = RawDocument("https://zh.example/a", "t", ZH_PAGE.encode(), "html", NOW)
    assert isinstance(extract_document(page, ExtractSettings(min_words=25)), Article)
    short = extract_document(page, ExtractSettings(min_words=41))
    assert isinstance(short, Failure)
    assert short.reason == "too little text for an article (40 words, minimum 41)"


# --- through the flow: what is stored and what `failures` lists ------------------------


def test_a_run_records_every_bad_input_and_stores_true_word_counts(
    prefect_harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = {"url": "https://w.example/1", "title": "Fine", "source": "Wire", "text": TEXT}
    jsonl(
        folder / "wrongtypes.jsonl",
        [good]
        + [{"url": f"https://w.example/{n}", "title": n, "text": TEXT} for n in range(2, 13)]
        + [{"url": "https://w.example/13", "source": 42, "text": TEXT}],
    )
    (folder / "e.jsonl").write_bytes(b"")
    (folder / "e.csv").write_bytes(b"")
    (folder / "blank.jsonl").write_text("\n \n")
    (folder / "unclosed.md").write_text("---\nQuay reopens\n\n" + TEXT + "\n")
    (folder / "zh.txt").write_text("\n".join(ZH_PARAGRAPHS) + "\n", encoding="utf-8")
    (folder / "zh.html").write_text(ZH_PAGE, encoding="utf-8")
    db = tmp_path / "inputs.duckdb"

    summary = ingest_flow(sources=[str(folder)], db=str(db))

    assert summary.new_articles == 4
    with reader(db) as conn:
        stored = conn.execute("SELECT origin, url, reason FROM failures ORDER BY origin").fetchall()
        articles = {
            Path(origin).name: (title, source, text, words)
            for origin, title, source, text, words in conn.execute(
                "SELECT origin, title, source, text, word_count FROM articles"
            ).fetchall()
        }
    reasons = {Path(origin).name: reason for origin, _, reason in stored}
    assert reasons["e.jsonl"] == reasons["e.csv"] == reasons["blank.jsonl"] == "empty file"
    for n in range(2, 13):
        assert reasons[f"wrongtypes.jsonl:{n}"] == f"'title' must be a string, got int {n}"
    assert reasons["wrongtypes.jsonl:13"] == "'source' must be a string, got int 42"
    assert len(stored) == 15 == len(summary.failures)

    assert articles["wrongtypes.jsonl:1"][:2] == ("Fine", "Wire")
    assert articles["wrongtypes.jsonl:1"][3] == len(TEXT.split())  # Latin: as before
    title, _, text, words = articles["unclosed.md"]
    assert (title, text) == ("Quay reopens", TEXT)
    assert words == len(TEXT.split())
    # Chinese: the segmenter's words of the stored text, not one per paragraph
    assert articles["zh.html"][0] == "前三季度经济运行总体平稳"
    assert articles["zh.html"][3] == 40
    _, _, text, words = articles["zh.txt"]
    assert words == len(tokens(text, "zh")) > 20 and len(text.split()) <= 3

    capsys.readouterr()
    assert main(["failures", "--db", str(db), "--json"]) == 0
    listed = [row["origin"] for row in json.loads(capsys.readouterr().out)]
    lines = [int(o.rsplit(":", 1)[1]) for o in listed if "wrongtypes.jsonl:" in o]
    assert lines == list(range(2, 14))  # 2, 3, ... 10, 11: numbers, not text
    from storage.runs import changes  # the run's report lists them in the same order

    with reader(db) as conn:
        reported = changes(conn, summary.run_id, limit=100).failures
    assert [f.origin for f in reported if "wrongtypes.jsonl:" in f.origin] == [
        o for o in listed if "wrongtypes.jsonl:" in o
    ]
    assert main(["article", "--db", str(db), _article_id(db, "zh.html")]) == 0
    assert "words      40" in capsys.readouterr().out


def _article_id(db: Path, name: str) -> str:
    with reader(db) as conn:
        row = conn.execute(
            "SELECT article_id FROM articles WHERE origin LIKE ?", [f"%{name}"]
        ).fetchone()
    return str(row[0])
