"""Why two articles are, or are not, duplicates and one story: every score and threshold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from mediawatch.cluster.features import NAMELESS_WORDS, lead_forms, names_nothing
from mediawatch.cluster.leads import LeadTally, lead_overlap, lead_weights, same_site, shared_lead
from mediawatch.cluster.stories import (
    UND,
    ArticleFeatures,
    DocFreq,
    Params,
    pair_echo,
    pair_lead,
    pair_score,
)
from mediawatch.corrections import pair_note
from mediawatch.match.verify import longest_shared_passages, verify
from mediawatch.wording import numbered, plural
from storage import explain as explain_db
from storage.queries import ArticleRow, get_article

# verify()'s scores, with the threshold that applies to each and what it means.
DUP_SCORES: list[tuple[str, str | None, str]] = [
    ("tokens_a", "min_tokens", "words in the first text (no claim below the minimum)"),
    ("tokens_b", "min_tokens", "words in the second text"),
    ("length_ratio", "containment_report_ratio", "shorter / longer; below: a contained copy"),
    (
        "coverage_shorter",
        "near_copy_coverage",
        "share of the shorter text inside 4-word passages of the other: near_copy at or above",
    ),
    ("coverage_longer", None, "the same, seen from the longer text"),
    ("shingle_jaccard", None, "4-word shingle Jaccard (reported, not decisive)"),
    ("word_jaccard", None, "content-word Jaccard"),
    (
        "word_containment",
        "rewrite_word_containment",
        "content words of the shorter text found in the other: a rewrite needs this",
    ),
    (
        "sentence_alignment",
        "rewrite_alignment",
        "share of content words in sentences with an in-order paraphrase (of the text "
        "with fewer sentences): rewrite at or above",
    ),
    (
        "aligned_sentences",
        "rewrite_min_aligned",
        "paraphrased sentences: a rewrite needs this many",
    ),
    ("covered_sentences", None, "substantive sentences inside copied passages"),
]


@dataclass(frozen=True)
class ScoreRow:
    name: str
    value: float | None
    threshold: float | None
    meaning: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[ScoreRow]
    decision: str


@dataclass(frozen=True)
class SharedPassage:
    words: int
    text: str


@dataclass(frozen=True)
class Explanation:
    a: ArticleRow
    b: ArticleRow
    sections: list[Section]
    stored: str
    passages: list[SharedPassage] = field(default_factory=list)


def explain_pair(
    conn: duckdb.DuckDBPyConnection, id_a: int, id_b: int, window_days: int | None = None
) -> Explanation | None:
    """``window_days``: the matching window in force (match.window_days), to say when a
    pair was too far apart to be compared."""
    a, b = get_article(conn, id_a), get_article(conn, id_b)
    if a is None or b is None:
        return None
    data = explain_db.pair_data(conn, id_a, id_b, Params().recluster_max_size)
    decided = pair_note(conn, id_a, id_b)
    pruned = [art.article_id for art, t in ((a, data.text_a), (b, data.text_b)) if t is None]
    if pruned:
        return Explanation(
            a,
            b,
            [_pruned_section(pruned), _story_section(data)],
            _stored(a, b, data, decided, window_days),
            [],
        )
    sections = [_duplicate_section(data), _story_section(data)]
    return Explanation(
        a,
        b,
        sections,
        _stored(a, b, data, decided, window_days),
        [
            SharedPassage(p.n_words, p.text)
            for p in longest_shared_passages(data.text_a, data.text_b, k=5, min_words=4)
        ],
    )


PRUNED_NOTE = (
    "was pruned by retention (retention.prune_text_after_days); its metadata, story and "
    "duplicate group are kept"
)
PRUNED_NOTES = (
    "were pruned by retention (retention.prune_text_after_days); their metadata, stories "
    "and duplicate groups are kept"
)


def pruned_note(article_ids: list[int]) -> str:
    """What retention took from these articles and what it kept, for one or more."""
    ids = list(dict.fromkeys(article_ids))
    if len(ids) == 1:
        return f"the text of {numbered(ids, 'article')} {PRUNED_NOTE}"
    return f"the texts of {numbered(ids, 'article', ' and ')} {PRUNED_NOTES}"


def _pruned_section(article_ids: list[int]) -> Section:
    return Section(
        "Duplicate test (exact, near_copy, rewrite)",
        [],
        f"cannot be recomputed: {pruned_note(article_ids)}",
    )


def _duplicate_section(data: explain_db.PairData) -> Section:
    assert data.text_a is not None and data.text_b is not None
    d = verify(data.text_a, data.text_b, data.furniture)
    rows = [
        ScoreRow(name, d.scores.get(name), d.thresholds.get(key) if key else None, meaning)
        for name, key, meaning in DUP_SCORES
        if name in d.scores
    ]
    verdict = d.relation or "not duplicates"
    return Section("Duplicate test (exact, near_copy, rewrite)", rows, f"{verdict}: {d.reason}")


def _story_section(data: explain_db.PairData) -> Section:
    params = Params()
    docfreq = DocFreq(n_docs=data.n_docs, df=data.df)
    fa = ArticleFeatures.from_terms(
        "a",
        data.terms_a,
        data.published_a,
        data.language_a,
        data.precision_a,
        data.site_a,
    )
    fb = ArticleFeatures.from_terms(
        "b",
        data.terms_b,
        data.published_b,
        data.language_b,
        data.precision_b,
        data.site_b,
    )
    score, per, time = pair_score(fa, fb, docfreq, params)
    lead = pair_lead(fa, fb, docfreq, params)
    echo = pair_echo(fa, fb, docfreq, params)
    rows = [
        ScoreRow(
            f"{space} similarity",
            value,
            None,
            "cosine of tf-idf vectors / prior coherence (1 = as alike as a typical story)",
        )
        for space, value in per.items()
    ]
    undated = [x for x, f in (("A", fa), ("B", fb)) if f.dateless]
    rows.append(
        ScoreRow(
            "time factor",
            time,
            None,
            f"{' and '.join(undated)}: a web page stating no publication time, as far from "
            "everything in time as two articles can be"
            if undated and params.dateless_apart
            else "1 without dates or within one date's day; lower as the times drift apart",
        )
    )
    if lead is not None and params.lead_min > 0:
        rows.append(
            ScoreRow(
                "lead overlap",
                lead,
                params.lead_min,
                "what the titles and first sentences share: each shared term's rarity in the "
                "archive, less how common the word is in its language, summed (1 = a term of "
                "one article, rare in its language)"
                + (
                    f", divided by {params.same_site_lead:g} for two pages of one site "
                    "(what they share is also the site's beat and house style)"
                    if same_site(fa, fb) and params.same_site_lead != 1.0
                    else ""
                )
                + "; two articles link at or above",
            )
        )
        rows.append(
            ScoreRow("lead words shared", None, None, _shared_words(data, fa, fb, docfreq, params))
        )
    cores = _core_rows(data, fa, fb, docfreq, params)
    rows += cores
    if echo is not None and params.lead_min > 0 and params.echo_min > 0:
        rows.append(
            ScoreRow(
                "lead echo",
                echo,
                params.echo_min,
                "how much each text echoes the other's title and first sentences throughout "
                "(each lead term's rarity times the share of passages that hold it; the "
                "smaller of the two ways); two articles link at or above",
            )
        )
    rows.append(
        ScoreRow(
            "combined",
            score,
            params.threshold,
            "weighted mean of the spaces x time: two articles start a story at or above",
        )
    )
    verdict = "same story as a pair" if score >= params.threshold else "not enough for a pair"
    short = [r.name.removeprefix("lead core of ") for r in cores if r.value < r.threshold]
    if score >= params.threshold and short:
        verdict += (
            f", but not with {' or '.join(short)} as stored: an article's title and first "
            "sentences must share enough of what a story's articles open with (its lead "
            "core), or a topic neighbour would join through its one best link"
        )
    apart = params.names_apart and per.get("entities") == 0.0
    blank = [x for x, f in (("A", fa), ("B", fb)) if names_nothing(f.entities)]
    if apart and blank:
        verdict = (
            f"different pages: {' and '.join(blank)} "
            f"{'name' if len(blank) > 1 else 'names'} no person, place or organisation in "
            f"{NAMELESS_WORDS} words or more (a recipe, a guide, a how-to), and such a page "
            "joins no story on shared words alone"
        )
    elif apart:
        verdict = (
            "different events: both name people, places or organisations and no name links "
            "them (across two languages it takes two shared names), so they never join however "
            "alike their words"
        )
    elif lead is not None and params.lead_min > 0 and lead < params.lead_min:
        verdict = (
            "different events: their titles and first sentences share too little (two "
            "reports of one event open with the same who and what; two pages on one topic "
            "share words further down), so they never join however alike the rest"
        )
    elif echo is not None and params.lead_min > 0 and echo < params.echo_min:
        verdict = (
            "different stories: one of them echoes the other's opening in one passage only "
            "(a roundup, a deals list or a digest names an event in one item; a report of "
            "it names its who and what throughout), so they never join however alike the rest"
        )
    elif undated and params.dateless_apart:
        verdict = (
            f"different pages: {' and '.join(undated)} "
            f"{'state' if len(undated) > 1 else 'states'} no publication time anywhere (a "
            "guide, a recipe, a product page: no event in time), and such a page joins a "
            "story only as a copy or rewrite of one of its articles"
        )
    langs = (fa.language or UND, fb.language or UND)
    across = (
        f" A ({langs[0]}) and B ({langs[1]}) are in two languages: their content words are "
        "not compared, and their numbers count only where they share some (numbers are "
        "written differently from one language to another)."
        if langs[0] != langs[1]
        else ""
    )
    note = (
        f"{verdict}.{across} Stories are decided on whole stories (average over all members; an "
        "article joins a story of two or more only if its title and first sentences share "
        "enough of what the story's articles all open with; in a story of four or more, "
        "each article's must pass with at least two of the others'), so a stored decision "
        "can differ from this pairwise view."
    )
    return Section("Story similarity (as two single articles)", rows, note)


SHARED_SHOWN = 8  # lead words listed by explain, the heaviest first


def _core_rows(
    data: explain_db.PairData,
    fa: ArticleFeatures,
    fb: ArticleFeatures,
    docfreq: DocFreq,
    params: Params,
) -> list[ScoreRow]:
    """Each article's lead against the lead core of the other's story as stored now
    (without it), where that story has two or more articles of its language."""
    if params.lead_min <= 0 or params.lead_core <= 0:
        return []
    rows = []
    for name, art, other, mates in (("A", fa, "B", data.mates_b), ("B", fb, "A", data.mates_a)):
        mine = lead_weights(art, docfreq, params.lead_prior_docs)
        language = art.language or UND
        leads = [
            lead_weights(ArticleFeatures.from_terms("m", terms), docfreq, params.lead_prior_docs)
            for lang, terms in mates
            if (lang or UND) == language
        ]
        leads = [w for w in leads if w is not None]
        if mine is None or len(leads) < 2:
            continue
        tally = LeadTally(language, leads[0])
        for w in leads[1:]:
            tally.add(LeadTally(language, w))
        n = len(leads)
        rows.append(
            ScoreRow(
                f"lead core of {other}'s story",
                lead_overlap(tally.core(language), mine),
                params.lead_core * params.lead_min,
                f"what {name}'s title and first sentences share with what the {n} articles "
                f"of {other}'s story in {name}'s language (without {name}) open with, the "
                "lead words two or more of them share (as the lead overlap); an article "
                "joins a story of two or more at or above",
            )
        )
    return rows


def _shared_words(
    data: explain_db.PairData,
    fa: ArticleFeatures,
    fb: ArticleFeatures,
    docfreq: DocFreq,
    params: Params,
) -> str:
    """The words the lead overlap sums, as the first text writes them, with their weight."""
    shared = shared_lead(fa, fb, docfreq, params)
    if not shared:
        return "none: the titles and first sentences share no content word"
    forms = {
        **lead_forms(data.title_b or "", data.text_b or "", fb.language),
        **lead_forms(data.title_a or "", data.text_a or "", fa.language),
    }
    shown = [f"{forms.get(t, t)} {w:.2f}" for t, w in shared[:SHARED_SHOWN]]
    more = len(shared) - SHARED_SHOWN
    return (
        ", ".join(shown)
        + (f" and {more} more" if more > 0 else "")
        + (
            " (each word's rarity in the archive less how common it is in its language: the "
            "lead overlap adds them up"
            + (", then divides for two pages of one site)" if same_site(fa, fb) else ")")
        )
    )


def _stored(
    a: ArticleRow,
    b: ArticleRow,
    data: explain_db.PairData,
    decided: str | None = None,
    window_days: int | None = None,
) -> str:
    parts = []
    if a.group_id is not None and a.group_id == b.group_id:
        how = (
            ": compared as members of one story (no LSH band key in common)"
            if data.via_story
            else ""
        )
        parts.append(f"both in duplicate group {a.group_id} ({a.relation}, {b.relation}){how}")
    else:
        parts.append(f"not in one duplicate group ({_compared(a, b, data, window_days)})")
    if a.story_id == b.story_id:
        parts.append(f"both in story {a.story_id}")
    else:
        parts.append(f"in stories {a.story_id} and {b.story_id}")
    for art, reason in ((a, data.story_reason_a), (b, data.story_reason_b)):
        if reason:
            parts.append(f"article {art.article_id} joined its story as '{reason}'")
    if decided:  # an analyst's correction decided this pairing, not the scores
        parts.append(f"an analyst decided: {decided}")
    return "; ".join(parts)


KIND_LABELS = {1: "shingle", 2: "words", 3: "lead", 4: "exact-text", 5: "sentence"}


def _compared(
    a: ArticleRow, b: ArticleRow, data: explain_db.PairData, window_days: int | None
) -> str:
    """Did the pipeline ever verify this pair, and how; if never, why not. Pairs sharing an
    LSH band key within the matching window are candidates; after story clustering a new
    article is also verified against its story's most recent members (story_checks)."""
    if data.text_a is None or data.text_b is None:
        return "a pruned text is not compared"
    checked = _story_checked(a, b, data)
    if data.shared_bands:
        kinds = ", ".join(
            f"{n} {KIND_LABELS.get(k, k)}" for k, n in sorted(data.shared_bands.items())
        )
        days = data.days_apart
        if window_days is not None and days is not None and days > window_days:
            if checked:
                return f"{checked}; verified and not grouped"
            return (
                f"the pipeline never compared them: {kinds} band key(s) in common, but "
                f"{days:.0f} days apart, outside the {window_days}-day matching window"
            )
        window = f", {days:.0f} days apart" if days is not None else ""
        return f"candidates through {kinds} band key(s){window}; verified and not grouped"
    if checked:
        return f"no LSH band key in common, but {checked}; verified and not grouped"
    return (
        "the pipeline never compared them: no LSH band key in common, and "
        f"{_why_not_story_mates(a, b, data)}, so a rewrite this test finds may still be missed"
    )


def _story_checked(a: ArticleRow, b: ArticleRow, data: explain_db.PairData) -> str | None:
    """How the story-mate check compared the pair, or None if it did not."""
    for x, y in ((b, a), (a, b)):
        check = data.story_checks.get(x.article_id)
        if check is not None and y.article_id in check.checked:
            return (
                f"compared as members of story {check.story_id}: article {x.article_id} was "
                f"verified against {len(check.checked)} of its story's members when it arrived"
            )
        if check is not None and y.article_id in check.rival_checked:
            return (
                f"compared because the story step considered story {check.rival_id} for "
                f"article {x.article_id} (its runner-up): it was verified against "
                f"{len(check.rival_checked)} of that story's members when it arrived"
            )
    return None


def _why_not_story_mates(a: ArticleRow, b: ArticleRow, data: explain_db.PairData) -> str:
    later, earlier = (a, b) if a.article_id > b.article_id else (b, a)  # ids: arrival order
    check = data.story_checks.get(later.article_id)
    if check is None:
        return (
            f"article {later.article_id} was not checked against its story-mates (stored "
            "before that check existed, or with match.story_check_limit = 0)"
        )
    head = (
        f"article {later.article_id} was verified against "
        f"{plural(len(check.checked), 'member')} of story {check.story_id} when it arrived, "
        f"not article {earlier.article_id}"
    )
    if earlier.story_id != check.story_id:
        if check.rival_id == earlier.story_id:
            considered = (
                f", its runner-up, of which only the {len(check.rival_checked)} most "
                "recent members are verified"
            )
        elif check.rival_id is not None:
            considered = f", not the runner-up considered for it (story {check.rival_id})"
        else:
            considered = ", not one considered for it"
        return f"{head}: that one was in another story{considered}"
    if check.beyond:
        return (
            f"{head}: only the {len(check.checked)} most recent members of its story are "
            f"verified (match.story_check_limit; {check.beyond} left out)"
        )
    if check.pruned:
        return f"{head}: {check.pruned} member text(s) were pruned by retention"
    return (
        f"{head}: they were not in one story then, or article {earlier.article_id}'s "
        "duplicate group was compared through another member's band keys"
    )


def format_value(value: Any) -> str:
    """A score or threshold as the terminal and the inspector show it."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:.3f}"
    return str(value)
