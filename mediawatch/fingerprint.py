"""Text normalisation, tokens, shingles, MinHash signatures and LSH band keys.

Kinds: `shingle` (near-copies), `words` (rewrites), `lead` (truncations) are
MinHash band keys; `exact` (text hash) and `sent` (sampled sentence hashes, for
contained copies of a text's middle) are plain set keys with band number 0.

Everything here is a pure function of the text, so band keys can be stored
once (DuckDB rows: article_id, kind, band, band_hash) and candidates found by
an equi-join, without keeping datasketch's in-memory MinHashLSH around.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from mediawatch.records import Article, Fingerprinted
from mediawatch.text import content_words, detect_language, normalise, sentences, tokens
from mediawatch.text.lexicon import ENGLISH_STOPWORDS

# re-exported: verification, diff, spans and search read them here
__all__ = ["content_words", "normalise", "sentences", "tokens"]

# --- constants (changing any of them invalidates stored band keys) ---------
# Bump when anything below or in mediawatch.text changes what is stored (band keys, story
# terms, search postings); kept in pipeline_state as "text_scheme", and `mediawatch
# reindex` recomputes an older database. 2: language-aware text analysis. 3: elided
# articles split off (l'Assemblée), acronyms after an article are names, long lines are
# never headlines. 4: countries and cities are named by their English names in every
# language (mediawatch.text.places); agency credits are furniture. 5: cookie and consent
# notices are not story terms (mediawatch.text.notices); German (and other -s genitive,
# compounding languages) genitives and compounds of country names name the country.
# 6: syndication disclaimers ("provided as is, without warranty...") are not story terms.
# 7: a number opening a line is a list marker ("2. Add the milk"): the word after it opens
# a sentence, so imperatives of numbered steps are not names; a text of fewer than 20
# letters (and no Han or kana) is too short to tell its language (`und`).
# 8: a word the text writes in lowercase more often than capitalised mid-sentence is not
# a name by itself ("heated" of "the Venture Heated Vest"), only part of the full name; a
# text of 100 words or more that names nothing (or only words that open sentences, as
# the "Add ..." of numbered steps) gets a name of its own (no story on words alone).
# 9: story terms keep the lead, the content words of the title and the first 60 words
# (mediawatch.cluster.stories gates links on it). 10: story terms keep the spread of each
# word over the text's passages (features.Features.spread: the lead echo). 11: in a text
# that is mostly a list ("- " items), the passages are its lines (features.LIST_ITEMS).
# 12: prices are no numbers terms (mediawatch.text.dates.price_terms). 13: story terms
# keep how common each lead word is in its language (features.Features.common).
SCHEME_VERSION = 13
MINHASH_SCHEME = "affine32"  # datasketch's scheme that mediawatch.minhash reproduces
MINHASH_SEED = 1
SHINGLE_K = 3  # word shingles for near-copies (robust to a few word edits)
LEAD_WORDS = 40  # truncations share their lead: first N tokens of the text
LEAD_K = 3
# MinHash kinds: kind -> (bands, rows); num_perm = bands * rows.
BANDING: dict[str, tuple[int, int]] = {
    "shingle": (20, 3),  # word 3-shingles of the whole text (near-copies)
    "words": (20, 3),  # stemmed content-word set (rewrites)
    "lead": (12, 3),  # word 3-shingles of the first LEAD_WORDS tokens (truncations)
}
# Set kinds (band number always 0): "exact" = the text hash; "sent" = hashes of
# substantive sentences (>= 5 content words) sampled 1 in SENT_SAMPLE by hash
# value, at most SENT_ROWS: copies of the *middle* of a text (a contained copy
# whose lead differs) share verbatim sentences but neither lead nor Jaccard.
SENT_SAMPLE = 2
SENT_ROWS = 11
SENT_MIN_WORDS = 5  # a "substantive" sentence; shorter ones are datelines/furniture
# A "sent" key held by more articles than this is furniture (a copyright
# sentence, a standard disclaimer) and is skipped when generating candidates.
SENT_MAX_BUCKET = 50
SET_KINDS = ("exact", "sent")

STOPWORDS = ENGLISH_STOPWORDS  # the search index and older callers read it here


def line_key(line: str) -> str:
    """Normalised form of one line: the unit of page-furniture detection."""
    return " ".join(tokens(line))


@lru_cache(maxsize=8192)
def keyed_lines(text: str) -> tuple[tuple[str, str], ...]:
    """(line key, line) of each non-empty line; cached, as verification asks per pair."""
    return tuple((line_key(ln), ln) for ln in text.splitlines() if ln.strip())


def line_keys(text: str) -> list[str]:
    """Normalised non-empty lines of a text (for furniture counting)."""
    return [k for k, _ in keyed_lines(text) if k]


def normalised_text(text: str) -> str:
    """Canonical form used for the exact-duplicate hash (the tokens as fingerprints
    count them: sentence by sentence, in the text's language)."""
    return " ".join(w for st in sentence_tokens(text, text_language(text)) for w in st)


def text_hash(text: str) -> str:
    """Hash of the normalised text: equal hash <=> exact duplicate."""
    return hashlib.blake2b(normalised_text(text).encode(), digest_size=16).hexdigest()


def shingles(toks: Sequence[str], k: int = SHINGLE_K) -> set[str]:
    """Word k-shingles; a text shorter than k yields itself as one shingle."""
    if len(toks) < k:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + k]) for i in range(len(toks) - k + 1)}


def feature_sets(toks: Sequence[str], language: str | None = None) -> dict[str, set[str]]:
    """The set each signature kind is a MinHash of (from the text's tokens)."""
    return {
        "shingle": shingles(toks, SHINGLE_K),
        "words": set(content_words(toks, language)),
        "lead": shingles(toks[:LEAD_WORDS], LEAD_K),
    }


@dataclass
class Fingerprint:
    """What is stored per article: exact hash, length, and band keys per kind."""

    text_hash: str
    n_tokens: int
    band_keys: dict[str, list[int]]  # kind -> one signed 64-bit key per band

    def rows(self, article_id: str) -> list[tuple[str, str, int, int]]:
        """(article_id, kind, band, band_hash) rows for the DuckDB band table."""
        return [
            (article_id, kind, 0 if kind in SET_KINDS else band, key)
            for kind, keys in self.band_keys.items()
            for band, key in enumerate(keys)
        ]


def band_keys(kind: str, hashvalues: np.ndarray, bands: int, rows: int) -> list[int]:
    """One key per band: blake2b of (kind, band, r hash values) as signed int64,
    so keys from different kinds/bands never collide and fit a BIGINT."""
    hv = np.asarray(hashvalues, dtype=np.uint32)
    out = []
    for b in range(bands):
        h = hashlib.blake2b(digest_size=8)
        h.update(f"{kind}:{b}:".encode())
        h.update(hv[b * rows : (b + 1) * rows].tobytes())
        out.append(int.from_bytes(h.digest(), "little", signed=True))
    return out


def _key64(data: str) -> int:
    digest = hashlib.blake2b(data.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def sentence_tokens(text: str, language: str | None = None) -> list[list[str]]:
    """Each sentence's tokens; joined, they are the text's tokens (no token spans a
    sentence end), so a text is tokenised once for both."""
    return [tokens(s, language) for s in sentences(text)]


def sentence_keys(text: str, language: str | None = None) -> list[int]:
    """Sampled hashes of the substantive sentences (content-defined sampling,
    so a copied sentence is sampled in both texts or in neither)."""
    return _sentence_keys(sentence_tokens(text, language), language)


def _sentence_keys(sent_toks: list[list[str]], language: str | None) -> list[int]:
    keys = set()
    for st in sent_toks:
        if len(set(content_words(st, language))) >= SENT_MIN_WORDS:
            k = _key64("sent:" + " ".join(st))
            if k % SENT_SAMPLE == 0:
                keys.add(k)
    return sorted(keys)[:SENT_ROWS]


def fingerprint_many(
    texts: Sequence[str], languages: Sequence[str | None] | None = None
) -> list[Fingerprint]:
    """Fingerprints for a batch: one array operation per kind over every set's members
    (mediawatch.minhash).
    ``languages``: each text's language (identified from the text when not given)."""
    if languages is None:
        languages = [text_language(t) for t in texts]
    return _fingerprints(texts, languages)[0]


def text_language(text: str) -> str:
    """The language a text is analysed in when nothing else is known: the same text
    always gets the same one, so stored and recomputed fingerprints agree."""
    return detect_language(text).code


def _fingerprints(
    texts: Sequence[str], languages: Sequence[str | None]
) -> tuple[list[Fingerprint], list[list[str]], list[list[list[str]]]]:
    """fingerprint_many, the texts' tokens (the search index counts them too) and each
    text's sentence tokens."""
    from mediawatch.minhash import signatures  # datasketch's affine32 MinHash, bit for bit

    sent_toks = [sentence_tokens(t, lang) for t, lang in zip(texts, languages, strict=True)]
    toks = [[w for st in sts for w in st] for sts in sent_toks]
    feats = [feature_sets(tk, lang) for tk, lang in zip(toks, languages, strict=True)]
    keys: list[dict[str, list[int]]] = [{} for _ in texts]
    for kind, (b, r) in BANDING.items():
        # An empty set keeps the all-max signature; skip it so it matches nothing.
        data = [[s.encode() for s in f[kind]] for f in feats]  # any order: a minimum is one
        for i, hv in enumerate(signatures(data, b * r, MINHASH_SEED)):
            keys[i][kind] = band_keys(kind, hv, b, r) if data[i] else []
    out = []
    for sts, tk, k, lang in zip(sent_toks, toks, keys, languages, strict=True):
        h = hashlib.blake2b(" ".join(tk).encode(), digest_size=16).hexdigest()  # = text_hash
        # exact copies always meet, even when too short for useful shingles
        k["exact"] = [int.from_bytes(bytes.fromhex(h)[:8], "little", signed=True)]
        k["sent"] = _sentence_keys(sts, lang)
        out.append(Fingerprint(h, len(tk), k))
    return out, toks, sent_toks


def fingerprint(text: str) -> Fingerprint:
    """Single-article convenience wrapper around fingerprint_many."""
    return fingerprint_many([text])[0]


def rows_per_article() -> int:
    """Band rows one article adds to the index (at most): MinHash bands, one
    exact-hash row and up to SENT_ROWS sentence rows."""
    return sum(b for b, _ in BANDING.values()) + 1 + SENT_ROWS


def fingerprint_batch(articles: Sequence[Article], for_verify: bool = False) -> list[Fingerprinted]:
    """The fingerprint stage: LSH band keys for matching, term counts for clustering.

    Both are pure functions of the text, so this runs anywhere (worker processes),
    and the stored rows never need recomputing unless the constants above change.
    ``for_verify``: the tokens verification needs come along (``verify_tokens``), made
    from the tokens here, in the worker processes, rather than in the store.
    """
    from mediawatch.cluster.features import extract_features
    from mediawatch.match.batch import band_rows
    from mediawatch.search import index_terms

    articles = [with_language(a) for a in articles]
    fps, toks, sent_toks = _fingerprints([a.text for a in articles], [a.language for a in articles])
    out = []
    for article, fp, tk, sts in zip(articles, fps, toks, sent_toks, strict=True):
        feats = extract_features(article.given_title or "", article.text, language=article.language)
        terms = {
            "words": feats.words,
            "entities": feats.entities,
            "numbers": feats.numbers,
            "lead": dict.fromkeys(sorted(feats.lead), 1.0),
        }
        if feats.spread:
            terms["spread"] = feats.spread
        if feats.common:
            terms["common"] = feats.common
        search = dict(index_terms(article.given_title, article.text, tk, article.language)[0])
        lines = tuple(line_keys(article.text))  # here, in the workers, not in the store
        given = verify_tokens(article.text, article.language, sts) if for_verify else None
        out.append(
            Fingerprinted(
                article, fp.text_hash, tuple(band_rows(fp)), terms, "", search, lines, given
            )
        )
    return out


def verify_tokens(
    text: str, language: str | None, sent_toks: list[list[str]] | None = None
) -> tuple[str, tuple[str, ...]] | None:
    """What verification (mediawatch.match.verify.features) tokenises a text into: the
    language identified from the text alone, and each sentence's tokens joined by spaces
    (``sent_toks``: the text's sentence tokens in ``language``, reused when the two
    languages agree). None when a token would not survive the joining."""
    lang = text_language(text)
    sts = sent_toks if sent_toks is not None and lang == language else None
    if sts is None:
        sts = sentence_tokens(text, lang)
    if any(not w or " " in w for st in sts for w in st):
        return None
    return lang, tuple(" ".join(st) for st in sts)


def with_language(article: Article) -> Article:
    """The article with its identified language; the declared one (page or feed) is kept
    as ``declared_language`` and only breaks doubt. Identified once: an article that is
    fingerprinted again (site furniture removed) keeps its language."""
    if article.language_confidence is not None:
        return article
    declared = article.declared_language or article.language
    found = detect_language(article.text, hint=declared)
    return replace(
        article,
        language=found.code,
        language_confidence=found.confidence,
        declared_language=declared,
    )
