"""Cosine similarities of a neighbourhood's units, over sparse rows of a local vocabulary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mediawatch.cluster.records import SPACES, Vector


def sparse_rows(rows: Sequence[Mapping[str, float]]) -> tuple[Any, dict[str, int]]:
    """A CSR matrix of term -> value rows over their own local vocabulary (returned too).

    Sparse: a neighbourhood of n articles has tens of thousands of distinct terms, each
    article a few hundred, so a dense (n x vocabulary) matrix would be mostly zeros.
    """
    from scipy import sparse  # a datasketch dependency; imported where it is used

    vocab: dict[str, int] = {}
    cols: list[int] = []
    vals: list[float] = []
    ptr = [0]
    for row in rows:
        for t, val in row.items():
            cols.append(vocab.setdefault(t, len(vocab)))
            vals.append(val)
        ptr.append(len(cols))
    return sparse.csr_matrix((vals, cols, ptr), shape=(len(rows), max(len(vocab), 1))), vocab


def languages_differ(langs: list[str | None]) -> np.ndarray:
    """(n, n) True where both units have one known language and the two differ."""
    code = {c: k for k, c in enumerate(sorted({x for x in langs if x}))}
    lid = np.array([code[x] if x else -1 for x in langs])
    return (lid[:, None] != lid[None, :]) & (lid[:, None] >= 0) & (lid[None, :] >= 0)


def shared_names(a: Vector, b: Vector) -> int:
    """Distinct names two vectors share; a several-word name counts through its parts."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return sum(1 for t in small if "_" not in t and t in big)


def cosine_matrix(rows: Sequence[Mapping[str, float]]) -> np.ndarray:
    """(n, n) dot products of sparse term rows (cosines of unit rows), zero diagonal."""
    x, _ = sparse_rows(rows)
    out = (x @ x.T).toarray()
    np.fill_diagonal(out, 0.0)
    return out


def similarities(
    vecs: list[dict[str, Vector]], langs: list[str | None] | None = None, min_names: int = 0
) -> np.ndarray:
    """(S, n, n) cosine matrices over a neighbourhood-local vocabulary (sparse rows).

    ``langs``: each unit's one language (None: unknown or several); two units of
    different languages keep their names' cosine only when they share ``min_names``.
    """
    n = len(vecs)
    out = np.zeros((len(SPACES), n, n))
    for s, space in enumerate(SPACES):
        x, vocab = sparse_rows([v[space] for v in vecs])
        out[s] = (x @ x.T).toarray()
        np.fill_diagonal(out[s], 0.0)
        if space == "entities" and langs is not None and min_names > 1:
            single = [t.count("_") == 0 for t in vocab]  # parts, not the joined names
            keep = np.flatnonzero(single)
            b = x[:, keep].copy()
            b.data[:] = 1.0
            shared = (b @ b.T).toarray()
            out[s][languages_differ(langs) & (shared < min_names)] = 0.0
    return out
