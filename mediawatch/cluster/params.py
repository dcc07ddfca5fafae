"""The story clusterer's global constants, in one frozen record.

Each constant says why it is there; ``mediawatch evaluate stories``, ``stream`` and
``pairs`` measure them. Thresholds are global: one value for every language and site.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    """All global constants, fixed on the ECB+ dev data before the figures were measured."""

    weights: tuple[float, float, float] = (0.3, 0.4, 0.3)  # words, entities, numbers
    threshold: float = 0.42  # normalised average-link needed to join two clusters
    prior_coherence: float = 0.3  # assumed mean within-story cosine of a tiny story
    prior_pairs: float = 2.0  # weight of that prior, in ordered member pairs
    size_penalty: float = 0.0  # extra threshold for small pairs: + penalty / sqrt(n_a * n_b)
    veto_min_size: int = 6  # pairs of clusters at least this big must agree in every space:
    veto_floor: tuple[float, float, float] = (0.0, 0.0, 0.3)  # per-space minimum, else no join
    # The veto compares what is specific in two stories' numbers: dates, years, figures,
    # not single-digit counts (mediawatch.text.dates.common_quantity). Counts are in
    # reports of every event, and the more unrelated documents an archive holds, the
    # rarer (higher IDF) they look: two reports of a champion's two title defences, or of
    # two earthquakes, would then agree on them and the veto would no longer hold the two
    # events apart. False: the veto compares the numbers space as scored.
    veto_specific: bool = True
    # The numbers space counts at most this many times the better of words and names
    # (0: no cap).
    numbers_cap: float = 1.0
    # Per-space scores saturate here (0: never): ~1 already means "as alike as two
    # halves of one story", so more in one space says little when the others disagree.
    saturation: float = 1.0
    recluster_members: bool = True  # False: candidate stories join as frozen wholes (cheaper)
    top_k: tuple[int, int, int] = (300, 150, 60)  # stored centroid terms per space
    index_keys: int = 15  # postings per story and space (words, entities)
    query_keys: int = 15  # looked-up terms per article and space
    max_candidates: int = 20  # candidate stories per batch article
    # The neighbourhood a batch is clustered in: at most this many units (its similarity
    # matrices grow with the square), filled by candidate rank across the batch; stories
    # bigger than recluster_max_size join as one frozen unit (their members stay put).
    max_neighbourhood: int = 1500
    recluster_max_size: int = 100
    window_days: float = 14.0  # a story idle this long is closed
    time_weight: float = 0.8  # share of the score the time term can take away
    time_scale_days: float = 3.0  # e-folding of the time term beyond the stories' spans
    # A web page that states no publication time anywhere (mediawatch.times.NO_TIME) is
    # most likely evergreen (a care guide, a recipe, a product page), not an event: it is
    # as far in time from everything as time can make two articles (the time factor is
    # 1 - time_weight, below any threshold), so it joins a story only as a copy or
    # rewrite of one of its articles (a duplicate group). False: neutral, as text given
    # without a time.
    dateless_apart: bool = True
    # Two articles in different languages cannot compare their content words, so their
    # names carry the link alone: they count only when at least this many distinct
    # names are shared (one shared name, a country or a club, links unrelated reports).
    cross_language_names: int = 2
    # Between two stories that share no language, numbers that do not match are no
    # evidence against (as the words space, missing rather than zero): two languages
    # write numbers differently (digit grouping, numbers in words, the order of a date),
    # so a report and its translation often share none. Shared numbers still count.
    numbers_neutral_across: bool = True
    # A story known by one or two names must not look like a perfect match on them: its
    # names vector carries this many unshared pseudo-names of the rarest weight, so a
    # shared name counts in proportion to how many names each side has.
    names_pseudo: float = 2.0
    # Where neither side names anyone or anything (recipes, how-to and gardening pages),
    # the names space counts as a zero with this share of its weight rather than not at
    # all: words and numbers must then agree as strongly as two halves of one story.
    nameless_weight: float = 1.0
    # Two stories that both name people, places or organisations and share none of them
    # are reports of different events however alike their vocabulary (two product
    # reviews, two care guides): they never join.
    names_apart: bool = True
    # Two reports of one event say so in their titles and first sentences; two pages on
    # one topic share vocabulary further down. Two articles (of one language) link only
    # when their leads (features.LEAD_WORDS) share this much: the sum over shared lead
    # terms of their rarity, idf / log(1 + documents) (1 for a term of one document),
    # each times 1 - how common the word is in its language at large (0 for "tariff",
    # 0.5 for "trade", 1 for "said": mediawatch.text.frequency). Two clusters join when
    # some cross pair of members does. 0: no lead gate.
    lead_min: float = 1.2
    # Rarity is judged as if the archive held this many more documents, none with the
    # term: a young archive (one event's first reports) has not seen enough to call the
    # event's own words common. Against hundreds of documents it changes little.
    lead_prior_docs: int = 100
    # Two pages of one site share more than their event: the site's beat (space news,
    # Apple deals, gardening), its house style and whatever furniture survives
    # extraction. Their leads must share this many times lead_min (two reports of one
    # event mostly share far more: the event's own rare words). 1: no difference.
    same_site_lead: float = 2.0
    # A chain of pairwise links (A opens like B, B like C) is a topic, not an event: in a
    # story of four or more articles, each article's lead must pass lead_min with at
    # least this many of the others (an article at the end of a chain has one). 0: the
    # best pair is enough.
    lead_mates: int = 2
    # What a story's reports all open with is its event: the lead terms that at least two
    # of its articles (of one language) share, its lead core. An article joins a story of
    # two or more articles of its language only when its lead shares this many times
    # lead_min with that core (two stories: their two cores), as two articles' leads
    # must share lead_min: a topic neighbour of the same day (an explainer of tariffs by
    # a report of trade talks, a rumour about another model by a launch) opens like one
    # of the reports, not like what they have in common. 0: the best pair is enough.
    # Two thirds: the middle of what the dev sets agree on (from 0.5 the stream's
    # intruder leaves, from 0.9 ECB+ stories split).
    lead_core: float = 2 / 3
    # A roundup (a daily deals list, a week's transport news, a debate preview) opens with one
    # item and moves on; a report of an event names its who and what throughout. Two
    # articles link only when each echoes the other's lead across its passages at least
    # this much: the summed rarity of the lead's words, each times the share of the
    # passages (features.ECHO_WINDOW tokens) that hold it. A text of one passage echoes
    # as much as its words overlap the lead. 0: no such test.
    echo_min: float = 0.75
