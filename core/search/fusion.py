"""Reciprocal rank fusion: merge ranked lists without comparing their scores."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60


def rrf(lists: Iterable[Sequence[K]], k: int = RRF_K, weights: Sequence[float] | None = None) -> list[tuple[K, float]]:
    """Fuse ranked lists of ids (best first) into one list of (id, score), best first.

    Each list adds `weight / (k + rank)` (rank from 1) to the ids it holds, so an id found by
    several lists rises, and no list's own score scale matters (Cormack et al., 2009).
    Ties keep the order in which the ids were first seen. Pure: safe on any thread.
    """
    scores: dict[K, float] = {}
    for i, ranked in enumerate(lists):
        weight = 1.0 if weights is None else weights[i]
        for rank, item in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda entry: -entry[1])
