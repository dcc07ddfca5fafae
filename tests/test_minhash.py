"""mediawatch.minhash gives datasketch's affine32 MinHash bit for bit: the stored band
keys depend on it (a different value would make every stored article unfindable)."""

from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash

from mediawatch.fingerprint import BANDING, MINHASH_SCHEME, MINHASH_SEED
from mediawatch.minhash import signatures


def test_signatures_equal_datasketch_bulk_for_every_kind() -> None:
    rng = random.Random(7)
    words = [f"w{i}".encode() for i in range(5000)] + ["naïve 東京".encode(), b""]
    sets = [[]] + [rng.sample(words, rng.randint(1, 900)) for _ in range(40)] + [[], [b"x"]]
    for b, r in set(BANDING.values()):
        mine = signatures(sets, b * r, MINHASH_SEED)
        theirs = MinHash.bulk(sets, num_perm=b * r, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
        for got, mh in zip(mine, theirs, strict=True):
            assert got.dtype == np.uint32
            assert np.array_equal(got, mh.hashvalues)


def test_large_batches_are_sliced_without_changing_a_value() -> None:
    sets = [[f"{i}-{j}".encode() for j in range(3000)] for i in range(12)]
    mine = signatures(sets, 60, MINHASH_SEED)
    theirs = MinHash.bulk(sets, num_perm=60, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
    assert all(np.array_equal(g, m.hashvalues) for g, m in zip(mine, theirs, strict=True))
