"""Cannot-link constraints for the story agglomeration: an analyst's split keeps its
parts apart (mediawatch.corrections). Must-links (merges, moves) need nothing here:
they join the clusterer's ``must_link`` groups, which are joined before anything else.

Each neighbourhood unit carries tags: (constraint k, side 0) when it holds an article
of part 1 of split k, (k, side 1) for part 2. Two clusters may not join when one holds
a side of a split and the other holds the other side, whatever their score: a new
article may join either part, never bridge them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

Apart = tuple[Collection[str], Collection[str]]  # the two parts of one split


class ApartTags:
    """Per-unit side tags and the conflict test the agglomeration asks."""

    def __init__(self, tags: np.ndarray) -> None:
        self.tags = tags  # (n, 2K) float 0/1: [:, :K] part 1 of each split, [:, K:] part 2
        self.k = tags.shape[1] // 2

    @classmethod
    def build(cls, units: Sequence[Sequence[str]], apart: Sequence[Apart]) -> ApartTags | None:
        """Tags for the splits with both parts in the neighbourhood (others cannot bite)."""
        unit_of = {aid: u for u, members in enumerate(units) for aid in members}
        cols: list[tuple[list[int], list[int]]] = []
        for one, two in apart:
            a = sorted({unit_of[x] for x in one if x in unit_of})
            b = sorted({unit_of[x] for x in two if x in unit_of})
            if a and b:
                cols.append((a, b))
        if not cols:
            return None
        k = len(cols)
        tags = np.zeros((len(units), 2 * k))
        for i, (a, b) in enumerate(cols):
            tags[a, i] = 1.0
            tags[b, k + i] = 1.0
        return cls(tags)

    def conflicts(self, i: int) -> np.ndarray:
        """(n,) bool: the clusters that cluster ``i`` may not join."""
        one, two = self.tags[:, : self.k], self.tags[:, self.k :]
        return (one @ two[i] + two @ one[i]) > 0

    def matrix(self) -> np.ndarray:
        """(n, n) bool: every forbidden pair."""
        one, two = self.tags[:, : self.k], self.tags[:, self.k :]
        return (one @ two.T + two @ one.T) > 0

    def join(self, i: int, j: int) -> None:
        """Cluster j folded into cluster i: i carries both tag sets."""
        self.tags[i] = np.maximum(self.tags[i], self.tags[j])
        self.tags[j] = 0.0
