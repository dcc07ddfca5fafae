"""MinHash signatures of a batch of sets, with numpy over all their members at once.

Bit for bit what ``datasketch.MinHash.bulk(data, num_perm=n, seed=s, scheme="affine32")``
gives (tests/test_minhash.py compares them): each member hashed with SHA-1 (its first
four bytes, little-endian), pre-mixed with the MurmurHash3 finalizer, then each
permutation ``a * h + b`` in uint32 (the wraparound is the modulo), the minimum per set.
The stored band keys depend on these values, so they must not change.

Why not datasketch itself: importing any part of it imports its LSH module, which loads
scipy's integration routines (a second of start-up in every process that fingerprints,
more than the work of a one-article run); and one array operation over the members of
every set of a batch costs less than a MinHash object per set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_MAX = np.uint32(0xFFFFFFFF)  # the signature of an empty set


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations: odd ``a`` (a bijection on 32 bits), any ``b``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def hash32(members: Sequence[bytes]) -> np.ndarray:
    """The members' 32-bit SHA-1 hashes (datasketch.hashfunc.sha1_hash32), pre-mixed."""
    sha1 = hashlib.sha1
    raw = b"".join([sha1(m).digest()[:4] for m in members])
    return _fmix32(np.frombuffer(raw, dtype="<u4").astype(np.uint32))


def signatures(sets: Sequence[Sequence[bytes]], num_perm: int, seed: int = 1) -> np.ndarray:
    """One row of ``num_perm`` uint32 minima per set (all 0xFFFFFFFF for an empty set)."""
    a, b = permutations(num_perm, seed)
    out = np.full((len(sets), num_perm), _MAX, dtype=np.uint32)
    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    if not sizes.sum():
        return out
    hv = hash32([m for s in sets for m in s])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    nonempty = sizes > 0
    # in slices of members, so a large batch never holds members x num_perm at once
    step = max(1, 2_000_000 // max(num_perm, 1))
    rows = np.flatnonzero(nonempty)
    i = 0
    while i < len(rows):
        j, total = i, 0
        while j < len(rows) and (total == 0 or total + sizes[rows[j]] <= step):
            total += sizes[rows[j]]
            j += 1
        lo, hi = starts[rows[i]], starts[rows[j - 1]] + sizes[rows[j - 1]]
        phv = hv[lo:hi, None] * a + b  # uint32: wraps around
        out[rows[i:j]] = np.minimum.reduceat(phv, starts[rows[i:j]] - lo, axis=0)
        i = j
    return out
