"""Sentence diff and shared-passage marking: plain functions on texts."""

from __future__ import annotations

from mediawatch.diff import diff_texts
from mediawatch.fingerprint import tokens
from mediawatch.spans import Segment, segments, word_spans

from .conftest import SEEDS

BASE = [
    "The harbour council voted on Monday to close the old fish market after inspectors "
    "found its roof unsafe.",
    "Council leader Anna Brisk said the market would reopen next spring once the repairs "
    "are finished.",
    "Traders will move to a temporary hall on Pier Road from the first of May.",
    "Fishermen welcomed the decision but asked for lower rents in the temporary hall.",
]


def _text(side) -> str:
    return "".join(s.text for s in side.segments)


def test_word_spans_give_the_same_tokens_as_fingerprinting() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert [s.token for s in word_spans(text)] == tokens(text)
    text = "China\u2019s “Police” stations, rock'n'roll – 2.4 million"
    spans = word_spans(text)
    assert [text[s.start : s.end] for s in spans][:2] == ["China\u2019s", "Police"]


def test_segments_cover_the_text_and_join_marked_neighbours() -> None:
    text = "one two, three four five"
    spans = word_spans(text)
    segs = segments(text, spans, [True, True, False, True, True])
    assert "".join(s.text for s in segs) == text
    assert segs == [
        Segment("one two", True),
        Segment(", three ", False),
        Segment("four five", True),
    ]


def test_identical_texts_are_all_same_and_all_shared() -> None:
    text = "\n".join(BASE)
    d = diff_texts(text, text)
    assert d.counts == {"same": 4, "changed": 0, "removed": 0, "added": 0}
    assert d.shared_a == d.shared_b == 1.0
    assert all(s.marked for r in d.rows for s in r.left.segments if s.text.strip(" .")) is True


def test_an_edit_an_addition_and_a_removal() -> None:
    edited = BASE[1].replace("next spring", "in the autumn")
    a = "\n".join(BASE)
    b = "\n".join([BASE[0], edited, BASE[3], "A spokesman declined to comment on the cost."])
    d = diff_texts(a, b)
    kinds = [r.kind for r in d.rows]
    assert kinds == ["same", "changed", "removed", "same", "added"]
    changed = d.rows[1]
    assert _text(changed.left) == BASE[1] and _text(changed.right) == edited
    # the edited words are outside the shared passages, the rest inside
    unmarked_b = " ".join(s.text for s in changed.right.segments if not s.marked)
    assert "autumn" in unmarked_b and "Council leader" not in unmarked_b
    assert any("Council leader Anna Brisk" in s.text for s in changed.right.segments if s.marked)
    assert not any(s.marked for s in d.rows[-1].right.segments)  # new sentence: nothing shared
    assert 0 < d.shared_b < 1 and d.shared_a < 1


def test_a_passage_is_marked_across_a_sentence_boundary() -> None:
    a = "Police closed the road. Crews worked all night to repair the wall."
    b = "Officials said that police closed the road. Crews worked hard."
    d = diff_texts(a, b)
    marked_b = [s.text for r in d.rows if r.right for s in r.right.segments if s.marked]
    # "police closed the road crews worked" is one 6-word passage in both texts
    assert "police closed the road" in marked_b[0] and marked_b[1].startswith("Crews worked")


def test_the_seed_rewrite_aligns_paraphrased_sentences() -> None:
    a = (SEEDS / "000_16416721b22052af.txt").read_text(encoding="utf-8")
    b = (SEEDS / "001_1a12cbee7aca723b.txt").read_text(encoding="utf-8")
    d = diff_texts(a, b)
    assert d.count("changed") >= 10  # a rewrite: sentences paraphrased, in order
    assert 0.1 < d.shared_a < 0.6 and 0.1 < d.shared_b < 0.6
    for row in d.rows:  # every sentence is shown whole, whatever its marks
        for side in (row.left, row.right):
            if side is not None:
                assert _text(side) == side.text
    shared = [s.text for r in d.rows if r.left for s in r.left.segments if s.marked]
    assert any("international embarrassment on human rights issues" in s for s in shared)


def test_empty_texts() -> None:
    d = diff_texts("", "Some words here.")
    assert [r.kind for r in d.rows] == ["added"] and d.shared_a == 0.0


def test_texts_in_two_languages_say_why_they_share_nothing() -> None:
    """0% shared between a German and an English report of one event is no finding: the
    diff says the languages differ (one language: no note)."""
    de = (
        "Der Stadtrat von Norvik hat am Montag beschlossen, den alten Fischmarkt am Hafen "
        "zu schließen. Die Händler sollen bis zum Sommer in eine neue Halle umziehen."
    )
    en = (
        "Norvik city council voted on Monday to close the old fish market by the harbour. "
        "Traders are to move to a new hall by the summer."
    )
    mixed = diff_texts(de, en)
    assert mixed.languages == ("de", "en") and mixed.shared_a == mixed.shared_b == 0.0
    assert mixed.language_note is not None
    assert mixed.language_note.startswith("A is in German (de) and B in English (en)")
    assert diff_texts(en, en.replace("Monday", "Tuesday")).language_note is None
