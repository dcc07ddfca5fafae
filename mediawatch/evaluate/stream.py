"""Stories in an open stream: labelled news mixed with unrelated real web pages.

The ECB+ dev articles (file order) and the extraction benchmark's real pages (sorted by
id, which spreads their sites at random) are interleaved evenly by position and ingested
in ``batches`` batches into one fresh database. The pages go in as HTML with their real
URLs, so extraction, site identity (the URL's host) and per-site boilerplate work as for
a desk's own pages; the articles keep one synthetic outlet each, as in ``evaluate
stories``. The pages are unrelated to each other (126 sites, all topics), so a page in a
story with a page of another site is almost always an error; a few truly share an
event, which is why each one is listed for a person to check. Those checks are kept in
``stream_events.toml`` (which pages report one event), so the report also counts the pages
in a story with another site's page of a different event. Reported: those pages, the
ECB+ articles in a story with a page, and the ECB+ BCubed over the ECB+ articles only
(the pages can only lower it by joining ECB+ stories), beside the same ECB+ articles
alone in the same order and batches.

A second mix, when the pairs file is there: the ECB+ articles among ``UNRELATED_TEXTS``
news texts of the pairs file (ten languages, 2020, given as text without a time). They
are other news, so they should join no ECB+ story; and since every document counts in the
archive's frequencies, the ECB+ stories should come out as they do alone however many
unrelated documents the archive holds.

A third mix, also with the pairs file: the pages among the same texts. The texts are other
news (2020, ten languages, no time) than the pages (one week of November 2019), so a page
in a story with a text is almost always an error, across languages too; each one is
listed for a person to check.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mediawatch.evaluate import DataMissing, shown
from mediawatch.evaluate.metrics import PRF, bcubed
from mediawatch.evaluate.runner import Record, fresh_db, ingest_in_batches, split
from mediawatch.evaluate.stories import load_labelled
from mediawatch.ingest.urls import host_of

EVENTS_FILE = Path(__file__).with_name("stream_events.toml")


@dataclass(frozen=True)
class Page:
    """A stored page and the story it ended up in."""

    id: str
    host: str
    title: str | None
    story: int


@dataclass(frozen=True)
class TextsMix:
    """The ECB+ articles among unrelated news texts given without a time."""

    texts: int
    languages: int
    articles_with_texts: list[str]  # ECB+ ids in a story with a text
    bcubed: PRF
    seconds: float


@dataclass(frozen=True)
class PagesAmongTexts:
    """The pages among unrelated news texts given without a time."""

    texts: int
    languages: int
    pages_with_texts: list[Page]  # pages in a story with a text, by story
    text_languages: dict[int, list[str]]  # story -> the languages of its texts
    seconds: float


@dataclass(frozen=True)
class StreamReport:
    articles: int
    pages: int
    pages_stored: int
    cross_site: list[Page]  # pages in a story with a page of another site, by story
    articles_with_pages: list[str]  # ECB+ ids in a story with a page
    pages_with_articles: list[Page]  # ... and those pages
    bcubed: PRF  # ECB+ articles in the mix, against their labels
    bcubed_alone: PRF | None = None  # the same articles, order and batches, without pages
    stories: int = 0
    seconds: float = 0.0
    not_stored: list[str] = field(default_factory=list)
    texts: TextsMix | None = None  # the second mix (None: no pairs file)
    # Pages in a story with another site's page of a different event (by ``events``)
    different: list[Page] = field(default_factory=list)
    events: dict[str, str] = field(default_factory=dict)  # page id -> its labelled event
    events_file: str = ""
    pages_texts: PagesAmongTexts | None = None  # the third mix (None: no pairs file)

    @property
    def cross_site_share(self) -> float:
        return len(self.cross_site) / self.pages if self.pages else 0.0

    @property
    def different_share(self) -> float:
        return len(self.different) / self.pages if self.pages else 0.0


def load_events(path: Path) -> dict[str, str]:
    """The hand labels: page id ("page-" and 12 hex digits) -> the name of its event.
    A file that cannot be read, or lists a page under two events, is named (DataMissing:
    the command says so and evaluates nothing)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataMissing(f"{path}: not readable as TOML ({exc})") from None
    events: dict[str, str] = {}
    for k, ev in enumerate(doc.get("event", []), start=1):
        name, pages = (ev.get("name"), ev.get("pages")) if isinstance(ev, dict) else (None, None)
        if not isinstance(name, str) or not isinstance(pages, list):
            raise DataMissing(f"{path}: event {k} needs a name and a list of pages")
        for key in pages:
            rid = f"page-{key}"
            if rid in events:
                raise DataMissing(
                    f"{path}: page {key} is in two events ({events[rid]!r}, {name!r})"
                )
            events[rid] = name
    return events


def different_events(cross: list[Page], events: dict[str, str]) -> list[Page]:
    """The pages of ``cross`` whose story holds a page of another site that ``events``
    does not put in their event (an unlisted page is an event of its own)."""
    by_story: dict[int, list[Page]] = {}
    for p in cross:
        by_story.setdefault(p.story, []).append(p)
    out = []
    for members in by_story.values():
        for p in members:
            own = events.get(p.id)
            if any(q.host != p.host and (own is None or events.get(q.id) != own) for q in members):
                out.append(p)
    return out


def page_records(pages: dict[str, bytes], truth: dict[str, dict[str, str]]) -> list[Record]:
    """One record per page: its HTML and its real URL (the host is its site)."""
    return [
        Record(
            f"page-{key[:12]}", None, "", url=truth[key]["url"], html=raw.decode("utf-8", "replace")
        )
        for key, raw in sorted(pages.items())
    ]


def interleave(n_articles: int, n_pages: int) -> list[int]:
    """Indices into articles + pages, each list kept in its order and spread evenly over
    the other: item i of n sits at (i + 0.5) / n; ties go to the articles."""
    slots = [((i + 0.5) / n_articles, 0, i) for i in range(n_articles)]
    slots += [((j + 0.5) / n_pages, 1, n_articles + j) for j in range(n_pages)]
    return [index for _, _, index in sorted(slots)]


def score(
    articles: list[Record],
    labels: dict[str, str],
    pages: list[Record],
    story: dict[str, int],
    title: dict[str, str | None],
) -> tuple[list[Page], list[str], list[Page], PRF]:
    """Pages in a story with another site's page, ECB+ articles with a page, ECB+ BCubed."""
    hosts = {p.id: host_of(p.url or "") or "" for p in pages}
    by_story: dict[int, list[str]] = {}
    for rid, sid in story.items():
        by_story.setdefault(sid, []).append(rid)
    cross: list[Page] = []
    with_pages: list[str] = []
    their_pages: list[Page] = []
    for sid, members in sorted(by_story.items()):
        in_story = [Page(m, hosts[m], title.get(m), sid) for m in sorted(members) if m in hosts]
        if len({p.host for p in in_story}) > 1:
            cross += in_story
        news = sorted(m for m in members if m in labels)
        if in_story and news:
            with_pages += news
            their_pages += in_story
    gold = {a.id: labels[a.id] for a in articles if a.id in story}
    pred = {rid: story[rid] for rid in gold}
    return cross, with_pages, their_pages, bcubed(pred, gold)


UNRELATED_TEXTS = 400


def mix_texts(
    articles: list[Record],
    labels: dict[str, str],
    pairs_file: Path,
    n_batches: int,
    n_texts: int = UNRELATED_TEXTS,
    out: Callable[[str], None] = print,
) -> TextsMix:
    """The ECB+ articles interleaved with ``n_texts`` texts of the pairs file (a fixed
    sample), in one fresh database."""
    chosen = _sample(pairs_file, n_texts)
    texts = [Record(f"text-{t.id}", None, t.text) for t in chosen]
    batches = split(interleave(len(articles), len(texts)), n_batches)
    with fresh_db() as db:
        result = ingest_in_batches(articles + texts, batches, db, out)
    with_text = {result.story[t.id] for t in texts if t.id in result.story}
    gold = {a.id: labels[a.id] for a in articles if a.id in result.story}
    return TextsMix(
        len(texts),
        len({t.lang for t in chosen}),
        sorted(a for a in gold if result.story[a] in with_text),
        bcubed({a: result.story[a] for a in gold}, gold),
        result.seconds,
    )


def _sample(pairs_file: Path, n_texts: int) -> list:
    """A fixed sample of the pairs file's texts (the same for every mix)."""
    from mediawatch.evaluate.pairs import load_pairs

    pool = sorted(load_pairs(pairs_file).texts.values(), key=lambda t: t.id)
    return random.Random(0).sample(pool, min(n_texts, len(pool)))


def pages_among_texts(
    pages: list[Record],
    pairs_file: Path,
    n_batches: int,
    n_texts: int = UNRELATED_TEXTS,
    out: Callable[[str], None] = print,
) -> PagesAmongTexts:
    """The pages interleaved with ``n_texts`` texts of the pairs file, in one fresh
    database: which pages share a story with a text."""
    chosen = _sample(pairs_file, n_texts)
    texts = [Record(f"text-{t.id}", None, t.text) for t in chosen]
    language = {f"text-{t.id}": t.lang for t in chosen}
    batches = split(interleave(len(texts), len(pages)), n_batches)
    with fresh_db() as db:
        result = ingest_in_batches(texts + pages, batches, db, out)
    hosts = {p.id: host_of(p.url or "") or "" for p in pages}
    langs: dict[int, list[str]] = {}
    for rid, sid in result.story.items():
        if rid in language:
            langs.setdefault(sid, []).append(language[rid])
    with_texts = [
        Page(p.id, hosts[p.id], result.title.get(p.id), result.story[p.id])
        for p in pages
        if p.id in result.story and result.story[p.id] in langs
    ]
    return PagesAmongTexts(
        len(texts),
        len(set(language.values())),
        sorted(with_texts, key=lambda p: (p.story, p.id)),
        {sid: sorted(langs[sid]) for sid in {p.story for p in with_texts}},
        result.seconds,
    )


def _fmt(p: PRF | None) -> str:
    return "-" if p is None else f"P {p.precision:.4f} R {p.recall:.4f} F1 {p.f1:.4f}"


def evaluate(
    stories_file: Path,
    data: Path,
    label_field: str = "subtopic",
    n_batches: int = 4,
    alone: bool = True,
    out: Callable[[str], None] = print,
    events_file: Path | None = EVENTS_FILE,
) -> StreamReport:
    """``events_file``: which pages report one event (``load_events``); None: none do."""
    from mediawatch.evaluate.extraction import load_pages
    from mediawatch.evaluate.pairs import default_file

    events = load_events(events_file) if events_file is not None else {}
    articles, labels = load_labelled(stories_file, label_field)
    raw, truth = load_pages(data)
    pages = page_records(raw, truth)
    n_hosts = len({host_of(p.url or "") for p in pages})
    out(
        f"Stream: {len(articles)} labelled articles ({stories_file.name}) and {len(pages)} "
        f"unrelated pages of {n_hosts} sites (HTML, real URLs), interleaved evenly, "
        f"{n_batches} batches, fresh database"
    )
    records = articles + pages
    batches = split(interleave(len(articles), len(pages)), n_batches)
    with fresh_db() as db:
        result = ingest_in_batches(records, batches, db, out)
    cross, with_pages, their_pages, mixed = score(
        articles, labels, pages, result.story, result.title
    )
    not_stored = [r.id for r in records if r.id not in result.story]
    seconds = result.seconds
    alone_prf = None
    if alone:
        with fresh_db() as db:
            only = ingest_in_batches(
                articles, split(list(range(len(articles))), n_batches), db, out
            )
        alone_prf = bcubed({a.id: only.story[a.id] for a in articles}, labels)
        seconds += only.seconds
    texts = pages_texts = None
    pairs_file = default_file(data)
    if pairs_file.is_file():
        texts = mix_texts(articles, labels, pairs_file, n_batches, out=out)
        pages_texts = pages_among_texts(pages, pairs_file, n_batches, out=out)
        seconds += texts.seconds + pages_texts.seconds
    report = StreamReport(
        articles=len(articles),
        pages=len(pages),
        pages_stored=sum(1 for p in pages if p.id in result.story),
        cross_site=cross,
        articles_with_pages=with_pages,
        pages_with_articles=their_pages,
        bcubed=mixed,
        bcubed_alone=alone_prf,
        stories=len(set(result.story.values())),
        seconds=seconds,
        not_stored=not_stored,
        texts=texts,
        different=different_events(cross, events),
        events=events,
        events_file=events_file.name if events_file is not None else "",
        pages_texts=pages_texts,
    )
    print_report(report, out)
    return report


def _pages_by_story(
    pages: list[Page],
    out: Callable[[str], None],
    marks: dict[str, str] | None = None,
    notes: dict[int, str] | None = None,
) -> None:
    """One line a page, under its story; ``marks``: a note after a page's title;
    ``notes``: one after a story's number."""
    last = None
    for p in pages:
        if p.story != last:
            note = f" ({notes[p.story]})" if notes and p.story in notes else ""
            out(f"    story {p.story}{note}:")
            last = p.story
        mark = f"  [{marks[p.id]}]" if marks and p.id in marks else ""
        out(f"      {p.id}  {shown(p.host, 30):30}  {shown(p.title)}{mark}")


def print_report(r: StreamReport, out: Callable[[str], None]) -> None:
    if r.not_stored:
        out(f"  not stored: {len(r.not_stored)} ({', '.join(r.not_stored[:8])})")
    out(f"  stories: {r.stories}; pages stored: {r.pages_stored} of {r.pages}")
    n_stories = len({p.story for p in r.cross_site})
    out(
        f"  pages in a story with a page of another site: {len(r.cross_site)} of {r.pages} "
        f"({r.cross_site_share:.1%}), in {n_stories} stories (marked with their event by the "
        "hand labels, or as a different event):"
    )
    wrong = {p.id for p in r.different}
    marks = {
        p.id: "DIFFERENT EVENT" if p.id in wrong else shown(r.events.get(p.id), 40)
        for p in r.cross_site
    }
    _pages_by_story(r.cross_site, out, marks)
    labels = f"the hand labels of {r.events_file}" if r.events_file else "no hand labels"
    out(
        f"  pages in a story with another site's page of a different event ({labels}; "
        f"a page not labelled is an event of its own): {len(r.different)} of {r.pages} "
        f"({r.different_share:.1%})"
    )
    out(f"  ECB+ articles in a story with a page: {len(r.articles_with_pages)}")
    if r.articles_with_pages:
        out(f"    {' '.join(r.articles_with_pages[:40])}")
        out("    with the pages:")
        _pages_by_story(r.pages_with_articles, out)
    out(f"  ECB+ BCubed in the stream: {_fmt(r.bcubed)}")
    if r.bcubed_alone is not None:
        out(f"  ECB+ BCubed alone (same order and batches, no pages): {_fmt(r.bcubed_alone)}")
    if r.texts is not None:
        t = r.texts
        out(
            f"  ECB+ among {t.texts} unrelated news texts ({t.languages} languages, no times;"
            f" the pairs file), same batches:"
        )
        out(f"    ECB+ articles in a story with a text: {len(t.articles_with_texts)}")
        if t.articles_with_texts:
            out(f"    {' '.join(t.articles_with_texts[:40])}")
        out(f"    ECB+ BCubed among the texts: {_fmt(t.bcubed)}")
    else:
        out("  (the pairs file is not there: no mix with unrelated texts)")
    if r.pages_texts is not None:
        m = r.pages_texts
        out(
            f"  the pages among the same {m.texts} texts (other news: 2020, no times), "
            f"same batches: pages in a story with a text: {len(m.pages_with_texts)} of "
            f"{r.pages} ({len(m.pages_with_texts) / r.pages if r.pages else 0:.1%}; "
            "check each by hand):"
        )
        notes = {sid: "texts: " + ", ".join(ls) for sid, ls in m.text_languages.items()}
        _pages_by_story(m.pages_with_texts, out, notes=notes)
    out(f"  pipeline time: {r.seconds:.0f} s in all")
