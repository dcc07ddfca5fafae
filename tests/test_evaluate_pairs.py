"""`evaluate pairs` on a small labelled file written here, and its copy builders and scoring."""

from __future__ import annotations

import difflib
import json
import random
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.evaluate import DataMissing
from mediawatch.evaluate.copies import edit_units, truncate, units
from mediawatch.evaluate.metrics import PairCounts
from mediawatch.evaluate.pairs import (
    CopyCorpus,
    Pair,
    evaluate,
    load_pairs,
    score_pairs,
    wrong_groups,
)

FLOOD = (
    "Hochwasser in Wernau: Der Fluss Lauter ist am Dienstagabend nach tagelangem Regen über die "
    "Ufer getreten und hat die Altstadt überflutet. Die Feuerwehr brachte die Bewohner von "
    "vierzig Häusern in der Mühlgasse mit Booten in Sicherheit. Bürgermeisterin Greta Hallmann "
    "sprach von der schlimmsten Flut seit Menschengedenken und bat das Land um Hilfe. Die "
    "Brücke am Marktplatz bleibt gesperrt, bis Statiker den Pfeiler geprüft haben. In der "
    "Turnhalle der Lauterschule fanden die Familien eine Unterkunft für die Nacht."
)
# the same report, re-run by another paper with a few words changed
FLOOD_COPY = (
    FLOOD.replace("Dienstagabend", "Dienstag")
    .replace("schlimmsten", "schwersten")
    .replace("für die Nacht", "für die kommenden Nächte")
)
CHEESE = (
    "Käsemarkt in Obersdorf: Mehr als hundert Sennereien aus den Alpen zeigen an diesem "
    "Wochenende ihre Laibe auf dem Kirchplatz. Der Verein der Almbauern vergibt wieder den "
    "Goldenen Laib für den besten Bergkäse. Besucher können in der Schaukäserei zusehen, wie "
    "aus frischer Milch ein Käse entsteht. Die Veranstalter erwarten viele Gäste und raten, "
    "mit dem Zug anzureisen, weil die Parkplätze am Ortsrand schnell voll sind. Für Kinder "
    "gibt es eine Rallye durch die Gassen mit kleinen Preisen."
)
LIBRARY = (
    "The old library on Harbour Street reopened its doors after a long renovation. Readers "
    "queued in the rain to see the restored reading room, its oak shelves and the painted "
    "ceiling that had been hidden under plaster for decades. The head librarian, Oona "
    "Fairweather, thanked the volunteers who catalogued every book during the closure. A "
    "new children's corner and a small café now sit beside the map collection."
)
GARDEN = (
    "春天到了，城南植物园的樱花陆续开放，吸引了大批市民前来赏花。园方介绍，今年新增了一条沿湖步道，"
    "游客可以一边散步一边欣赏湖光山色。为了保护花木，园方提醒游客不要攀折树枝，也不要在草坪上搭帐篷。"
    "周末人流较多，建议市民错峰出行，乘坐公共交通前往。"
)

PAIRS = [
    {"pair_id": "1_2", "lang1": "de", "lang2": "de", "overall": 1.0},  # same story
    {"pair_id": "1_3", "lang1": "de", "lang2": "de", "overall": 4.0},  # different
    {"pair_id": "3_4", "lang1": "de", "lang2": "en", "overall": 3.75},  # different, cross
    {"pair_id": "5_4", "lang1": "zh", "lang2": "en", "overall": 4.0},  # different, cross
    {"pair_id": "2_3", "lang1": "de", "lang2": "de", "overall": 2.5},  # in between: not scored
]
TEXTS = {
    "1_2": (FLOOD, FLOOD_COPY),
    "1_3": (FLOOD, CHEESE),
    "3_4": (CHEESE, LIBRARY),
    "5_4": (GARDEN, LIBRARY),
    "2_3": (FLOOD_COPY, CHEESE),
}


def write_pairs(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for row in PAIRS:
            t1, t2 = TEXTS[row["pair_id"]]
            fh.write(json.dumps({**row, "text1": t1, "text2": t2}, ensure_ascii=False) + "\n")
    return path


def test_load_pairs_keeps_each_text_once(tmp_path: Path) -> None:
    data = load_pairs(write_pairs(tmp_path / "pairs.jsonl"))
    assert len(data.pairs) == 5
    assert len(data.texts) == 5  # FLOOD, FLOOD_COPY, CHEESE, LIBRARY, GARDEN
    assert data.repeated == 4  # all but GARDEN occur in two or more pairs
    assert [p.key for p in data.pairs] == ["de", "de", "de-en", "zh-en", "de"]
    assert [p.label for p in data.pairs] == [True, False, False, False, None]


def test_load_pairs_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(DataMissing, match="labelled pairs not found"):
        load_pairs(tmp_path / "absent.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"pair_id": "x", "lang1": "de", "lang2": "de", "text1": "a", "text2": "b"}\n')
    with pytest.raises(DataMissing, match=r"line 1: not a labelled pair \(missing field 'overall'"):
        load_pairs(bad)


def test_score_pairs_counts_each_decision() -> None:
    pairs = [
        Pair("s1", "a", "b", "de", "de", 1.0),  # same, found
        Pair("s2", "a", "c", "de", "de", 1.5),  # same, missed
        Pair("d1", "a", "d", "de", "de", 4.0),  # different, kept apart
        Pair("d2", "b", "a", "de", "de", 3.5),  # different, joined: an error
        Pair("x1", "a", "e", "de", "en", 1.25),  # cross, same, found
        Pair("i1", "c", "d", "de", "de", 2.0),  # in between: not scored
        Pair("u1", "a", "zz", "de", "de", 1.0),  # a text that was never stored
    ]
    story = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 1}
    by_key, unstored = score_pairs(pairs, story)
    assert unstored == 1
    assert by_key == {
        "de": PairCounts(same=2, same_found=1, different=2, different_kept=1),
        "de-en": PairCounts(same=1, same_found=1),
    }
    assert by_key["de"].balanced_accuracy == pytest.approx(0.5)
    assert by_key["de-en"].balanced_accuracy is None  # no different pair: undefined


def test_wrong_groups_are_pairs_rated_different_in_one_group() -> None:
    c = CopyCorpus(base={"a": "a", "b": "b", "c": "c", "a~near": "a"})
    pairs = [Pair("ab", "a", "b", "de", "de", 3.0), Pair("ac", "a", "c", "de", "de", 2.0)]
    # group 1 joins a's copy with b (rated 3.0 >= 2.5: wrong); group 2 joins a and c (2.0: fine)
    n, wrong = wrong_groups(c, {"a~near": 1, "b": 1, "a": 2, "c": 2}, pairs)
    assert n == 2
    assert [(w.group, w.pair_id) for w in wrong] == [(1, "ab")]


def test_copy_builders_work_on_unspaced_text() -> None:
    found = units(GARDEN)
    assert all(len(u[0]) <= 2 for u in found if "\u4e00" <= u[0][0] <= "\u9fff")
    assert len(found) > 60
    cut = truncate(GARDEN, 0.6)
    assert GARDEN.startswith(cut)
    assert len(units(cut)) == pytest.approx(0.6 * len(found), abs=1)
    rng = random.Random(3)
    edited = edit_units(rng, FLOOD, 1 / 30, ["Regen", "Stadt"])
    ops = difflib.SequenceMatcher(a=FLOOD.split(), b=edited.split()).get_opcodes()
    changed = sum(i2 - i1 for op, i1, i2, _, _ in ops if op != "equal")
    assert 1 <= changed <= round(len(units(FLOOD)) / 30)  # 77 words: 3 changed or deleted
    zh = edit_units(random.Random(5), GARDEN, 1 / 30, ["公园", "游客"])
    assert zh != GARDEN and " " not in zh  # no spaces put into unspaced text


def test_evaluate_pairs_through_the_pipeline(prefect_harness, tmp_path: Path) -> None:
    lines: list[str] = []
    report = evaluate(
        write_pairs(tmp_path / "pairs.jsonl"),
        n_batches=2,
        per_language=1,
        min_units=40,
        out=lines.append,
    )
    assert (report.texts, report.pairs, report.scored, report.unstored) == (5, 5, 4, 0)
    # the near-identical flood reports are one story; the flood and the cheese market are not
    assert report.by_key["de"] == PairCounts(same=1, same_found=1, different=1, different_kept=1)
    assert report.by_key["de"].balanced_accuracy == 1.0
    assert report.by_key["de-en"] == PairCounts(different=1, different_kept=1)
    assert report.by_key["zh-en"] == PairCounts(different=1, different_kept=1)
    assert report.same_language_macro == 1.0
    assert report.cross_language_macro is None  # no cross pair labelled the same story
    # one German original (40+ words) and its three copies, each grouped with it
    assert report.copies["de"].found == {"exact": (1, 1), "near": (1, 1), "trunc60": (1, 1)}
    assert set(report.copies) == {"de", "en", "zh"}
    assert report.copies["en"].found["exact"] == (1, 1)
    assert report.wrong_groups == []
    text = "\n".join(lines)
    assert "same-language macro balanced accuracy (1 languages): 1.000" in text
    assert "cross-language macro balanced accuracy (0 pairs): -" in text


def test_cli_says_when_the_pairs_file_is_absent(tmp_path: Path, capsys) -> None:
    assert main(["evaluate", "pairs", "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "labelled pairs not found" in err and "nothing evaluated" in err
    assert "Traceback" not in err
