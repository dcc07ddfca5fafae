"""Languages through the whole pipeline: identified and stored, a filter for stories,
a column in exports and in the inspector; Chinese copies grouped, Chinese words found."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from mediawatch.cli import main
from mediawatch.fingerprint import SCHEME_VERSION

from .conftest import ui_server

ZH = (
    "中国和荷兰的外交部长周二在北京会面，讨论两国之间的贸易问题和气候合作。"
    "双方同意在明年三月之前签署一项新的农业协议，并加强港口之间的物流联系。"
    "荷兰外交大臣表示，鹿特丹港愿意为中国企业提供更多的仓储服务。"
    "中国外交部发言人说，会谈是坦率和建设性的，两国将继续保持高层交往。"
    "分析人士认为，这次会面显示出欧洲国家在贸易摩擦中寻求平衡的努力。"
)
DE = (
    "Die Bundesregierung hat am Dienstag in Berlin ein neues Gesetz zur Förderung der "
    "Windenergie beschlossen. Wirtschaftsminister Robert Habeck sagte, die Regierung wolle "
    "den Ausbau an Land und auf See deutlich beschleunigen. Die Opposition kritisierte die "
    "Pläne als zu teuer für die Verbraucher. Bis 2030 sollen achtzig Prozent des Stroms aus "
    "erneuerbaren Quellen kommen, heißt es in dem Entwurf."
)


@pytest.fixture(scope="module")
def db(prefect_harness, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("languages")
    rows = [
        {"url": "https://zh.example/a", "title": "中荷外长会谈", "text": ZH},
        # a near copy on another site: a line of furniture, two characters changed
        {
            "url": "https://copy.example/b",
            "title": "中荷外长会谈",
            "text": ZH.replace("周二", "周三") + "\n分享到微博",
        },
        {"url": "https://de.example/c", "title": "Windenergie-Gesetz", "text": DE},
    ]
    src = root / "items.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    path = root / "lang.duckdb"
    assert main(["ingest", str(src), "--db", str(path)]) == 0
    return path


def test_languages_are_identified_and_stored(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = dict(conn.execute("SELECT url, language FROM articles").fetchall())
        conf = conn.execute("SELECT min(language_confidence) FROM articles").fetchone()[0]
        scheme = conn.execute(
            "SELECT value FROM pipeline_state WHERE name = 'text_scheme'"
        ).fetchone()[0]
    assert rows["https://zh.example/a"] == "zh" and rows["https://de.example/c"] == "de"
    assert conf > 0.5
    assert scheme == SCHEME_VERSION


def test_chinese_near_copy_is_grouped(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as conn:
        groups = conn.execute(
            "SELECT group_id, count(*) FROM dup_members GROUP BY group_id"
        ).fetchall()
    assert [n for _, n in groups] == [2]


def test_stories_language_filter(db: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["stories", "--db", str(db), "--language", "de", "--json"]) == 0
    stories = json.loads(capsys.readouterr().out)
    assert [s["languages"] for s in stories] == ["de"]
    assert main(["stories", "--db", str(db), "--language", "zh", "--json"]) == 0
    assert [s["size"] for s in json.loads(capsys.readouterr().out)] == [2]
    assert main(["stories", "--db", str(db), "--language", "not a code"]) != 0
    assert "a language is a code" in capsys.readouterr().err


def test_search_finds_a_chinese_word(db: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["search", "鹿特丹港", "--db", str(db), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_exports_carry_the_language(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    assert main(["export", "--db", str(db), "-o", str(out)]) == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["language"] for r in rows} == {"zh", "de"}
    assert all(float(r["language_confidence"]) > 0 for r in rows)


def test_inspector_filters_by_language(db: Path) -> None:
    import httpx

    with ui_server(db) as base:
        page = httpx.get(f"{base}/?language=de", timeout=30).text
        assert "Windenergie" in page and "中荷外长会谈" not in page
        assert '<option value="zh"' in page
