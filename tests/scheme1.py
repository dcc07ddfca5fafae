"""Text scheme 1: what the release before the text-analysis layer stored, as a fixture.

A minimal copy of ``mediawatch/fingerprint.py`` (and of ``index_terms`` in
``mediawatch/search.py``) as of commit 968c229, the last commit before the text scheme
changed: English-only tokens (``[^\\W_]+``, so an unspaced Chinese clause is one token),
6-character prefix stems, sentence ends before a capital only. Tests use it to write a
database the way that release did, then open it with the current code. Do not "fix"
anything here: its whole point is to stay as it was.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

SCHEME_VERSION = 1
MINHASH_SCHEME = "affine32"
MINHASH_SEED = 1
SHINGLE_K = 3
LEAD_WORDS = 40
LEAD_K = 3
BANDING: dict[str, tuple[int, int]] = {"shingle": (20, 3), "words": (20, 3), "lead": (12, 3)}
SENT_SAMPLE = 2
SENT_ROWS = 11
SENT_MIN_WORDS = 5
KIND_IDS = {"shingle": 1, "words": 2, "lead": 3, "exact": 4, "sent": 5}  # match/batch.py
TITLE_WEIGHT = 3  # search.py

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be
    because been before being below between both but by can could did do does
    doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why
    will with would you your yours yourself yourselves said says say according
    told one two new mr mrs ms us s t""".split()  # noqa: SIM905
)
STEM_LEN = 6

_QUOTES = ("\u2019", "\u2018", "\u02bc", "`")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_TOKEN = re.compile(r"[^\W_]+")
_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"'\u201d)\]]*\s+(?=[\"'\u201c(\[]*[A-Z0-9])")


def normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    for q in _QUOTES:
        t = t.replace(q, "'")
    return _APOSTROPHE.sub("", t) if "'" in t else t


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def text_hash(text: str) -> str:
    return hashlib.blake2b(" ".join(tokens(text)).encode(), digest_size=16).hexdigest()


def content_words(toks: Sequence[str]) -> list[str]:
    return [w[:STEM_LEN] for w in toks if w not in STOPWORDS and len(w) > 1]


def shingles(toks: Sequence[str], k: int = SHINGLE_K) -> set[str]:
    if len(toks) < k:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + k]) for i in range(len(toks) - k + 1)}


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(s for s in _SENT_SPLIT.split(line) if s.strip())
    return out


def _band_keys(kind: str, hashvalues: np.ndarray, bands: int, rows: int) -> list[int]:
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


def _sentence_keys(text: str) -> list[int]:
    keys = set()
    for sent in sentences(text):
        st = tokens(sent)
        if len(set(content_words(st))) >= SENT_MIN_WORDS:
            k = _key64("sent:" + " ".join(st))
            if k % SENT_SAMPLE == 0:
                keys.add(k)
    return sorted(keys)[:SENT_ROWS]


def band_rows(text: str) -> list[tuple[int, int]]:
    """(kind id, key) rows of ``lsh_bands`` for one text, as scheme 1 computed them."""
    from datasketch import MinHash

    toks = tokens(text)
    feats = {
        "shingle": shingles(toks, SHINGLE_K),
        "words": set(content_words(toks)),
        "lead": shingles(toks[:LEAD_WORDS], LEAD_K),
    }
    keys: dict[str, list[int]] = {}
    for kind, (b, r) in BANDING.items():
        data = [s.encode() for s in feats[kind]]
        mh = MinHash.bulk([data], num_perm=b * r, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)[0]
        keys[kind] = _band_keys(kind, mh.hashvalues, b, r) if data else []
    h = text_hash(text)
    keys["exact"] = [int.from_bytes(bytes.fromhex(h)[:8], "little", signed=True)]
    keys["sent"] = _sentence_keys(text)
    return [(KIND_IDS[kind], key) for kind, ks in keys.items() for key in ks]


def index_terms(title: str | None, text: str | None) -> tuple[Counter[str], int]:
    """Search postings and indexed length, as scheme 1's ``search.index_terms``."""
    counts: Counter[str] = Counter()
    for tok in tokens(text or ""):
        if tok not in STOPWORDS:
            counts[tok] += 1
    for tok in tokens(title or ""):
        if tok not in STOPWORDS:
            counts[tok] += TITLE_WEIGHT
    return counts, sum(counts.values())


def story_words(title: str | None, text: str) -> Counter[str]:
    """The words space of story terms as scheme 1 saw a text, simplified: its tokens (a
    Chinese clause is one word) without stopwords. Scheme 1's stems, names and numbers
    are not reproduced: a reindex replaces all three spaces anyway."""
    words: Counter[str] = Counter()
    for tok in tokens(text) + tokens(title or ""):
        if len(tok) >= 3 and tok not in STOPWORDS and tok[0].isalpha():
            words[tok] += 1
    return words
