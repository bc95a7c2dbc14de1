"""People from face embeddings: average-linkage clustering of a batch, and joining known people.

Distances are euclidean between dlib ResNet vectors (core.faces.embedding). THRESHOLD is 0.6,
dlib's documented same-person threshold (99.38 % on LFW). benchmarks/bench_people.py agrees: on
its tuning split every threshold from ~0.42 to ~0.73 clusters perfectly (plateau middle 0.58),
and on its held-out split one person's photos lie at most 0.55 apart and two people's at least
0.68, so 0.6 sits in that gap (pairwise F1 100 % vs 49 % for raw pixels; a small, easy set, see
its docstring). Lower it for fewer wrong merges, raise it for fewer split people. Average linkage, not single linkage, keeps one
look-alike pair from chaining two people together; a cluster joins the next only when its
faces are on average within THRESHOLD of the other's.

`assign` compares new vectors with the centroids (plain means, not normalised: dlib's vectors
are not unit length, and the mean of one person's faces sits nearer each of them than they sit
to one another, so the same threshold is a little stricter against a centroid than between
two faces). Pure NumPy; runs in the calling thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

THRESHOLD = 0.6  # euclidean; faces within it (on average) are one person
ASSIGN_THRESHOLD = 0.6  # euclidean from a vector to a person's centroid

Vectors = npt.NDArray[np.float32]


def distances(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Euclidean distances between every row of `a` and every row of `b` (len(a) × len(b))."""
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    squared = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    out: npt.NDArray[np.float64] = np.sqrt(np.maximum(squared, 0.0))
    return out


def cluster(vectors: npt.ArrayLike, threshold: float = THRESHOLD) -> list[int]:
    """A person label per row of `vectors` (n × d): 0, 1, … in order of first appearance.

    Average-linkage agglomerative clustering, merging while the two nearest clusters' mean
    pairwise distance is ≤ `threshold`. O(n²) memory, about O(n²) time for typical data
    (a cached nearest neighbour per cluster); a few thousand faces take seconds.
    """
    x = np.asarray(vectors, np.float64)
    n = len(x)
    if n == 0:
        return []
    d = distances(x, x)
    np.fill_diagonal(d, np.inf)
    sizes = np.ones(n)
    alive = np.ones(n, bool)
    parent = np.arange(n)
    nearest = d.argmin(1)
    nearest_d = d[np.arange(n), nearest]
    for _ in range(n - 1):
        a = int(nearest_d.argmin())
        if not nearest_d[a] <= threshold:
            break
        b = int(nearest[a])
        merged = (sizes[a] * d[a] + sizes[b] * d[b]) / (sizes[a] + sizes[b])  # Lance-Williams, average
        merged[a] = np.inf
        merged[~alive] = np.inf
        d[a], d[:, a] = merged, merged
        d[b], d[:, b] = np.inf, np.inf
        sizes[a] += sizes[b]
        alive[b] = False
        parent[parent == b] = a
        nearest_d[b] = np.inf
        stale = alive & ((nearest == a) | (nearest == b))
        stale[a] = True
        for k in np.flatnonzero(stale):
            nearest[k] = int(d[k].argmin())
            nearest_d[k] = d[k, nearest[k]]
        closer = alive & (merged < nearest_d)
        nearest[closer], nearest_d[closer] = a, merged[closer]
    return _relabel(parent)


def _relabel(roots: npt.NDArray[np.int_]) -> list[int]:
    labels: dict[int, int] = {}
    return [labels.setdefault(int(r), len(labels)) for r in roots]


def centroids(vectors: npt.ArrayLike, labels: Sequence[int]) -> Vectors:
    """The mean vector of each label 0 … max(labels) (a row of zeros for a label with no rows)."""
    x = np.asarray(vectors, np.float64)
    count = max(labels, default=-1) + 1
    sums = np.zeros((count, x.shape[1] if x.ndim == 2 else 0))
    np.add.at(sums, np.asarray(labels, int), x)
    members = np.bincount(np.asarray(labels, int), minlength=count)[:, None]
    return (sums / np.maximum(members, 1)).astype(np.float32)


def assign(vectors: npt.ArrayLike, centroids: npt.ArrayLike, threshold: float = ASSIGN_THRESHOLD) -> list[int | None]:
    """For each row of `vectors`, the index of the nearest centroid within `threshold`, else None."""
    x, c = np.asarray(vectors, np.float64), np.asarray(centroids, np.float64)
    if len(x) == 0:
        return []
    if len(c) == 0:
        return [None] * len(x)
    d = distances(x, c)
    best = d.argmin(1)
    return [int(j) if d[i, j] <= threshold else None for i, j in enumerate(best)]


def assign_or_cluster(vectors: npt.ArrayLike, centroids: npt.ArrayLike, *, threshold: float = THRESHOLD,
                      assign_threshold: float = ASSIGN_THRESHOLD) -> list[int]:
    """A person per row: a known one (index into `centroids`) or a new one (len(centroids), +1, …).

    Rows no centroid takes are clustered among themselves, so a new video's stranger seen ten
    times becomes one new person, not ten.
    """
    known = assign(vectors, centroids, assign_threshold)
    x = np.asarray(vectors, np.float64)
    rest = [i for i, k in enumerate(known) if k is None]
    new = iter(cluster(x[rest], threshold))
    first = len(np.asarray(centroids))
    return [k if k is not None else first + next(new) for k in known]
