"""The vector half of the search index: an ANN snapshot (usearch HNSW) plus exact extras.

The main snapshot is three files written once and never changed: `main-<gen>.usearch` (the
HNSW graph with its f16 vectors, memory-mapped by readers), `main-<gen>.keys.npy` (the
passage keys it holds, sorted) and `main-<gen>.vectors.npy` (the same f16 vectors in key
order, memory-mapped: exact search of a filtered subset or of a small index, and the source
of the next snapshot). Vectors added since the snapshot live in the database's `pending`
table and are searched exactly; this module holds the reader's copy of them. Nothing here
touches SQLite: `core.search.index` feeds it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from usearch.index import Index, search

from core.models.passage import DIM

# Measured on bench_search's 1M clustered corpus (recall@10 against exact search, single query):
# connectivity 16: 0.93 at expansion 200, 0.97 at 500; connectivity 32: 0.975 at 200, 0.985 at 500,
# about 0.5 ms either way, the same build time and a 14 % larger graph file. i8 vectors topped
# out at 0.90 recall on 100k (quantisation), so vectors are stored as f16.
STORED = np.float16
CONNECTIVITY = 32
EXPANSION_ADD = 128
EXPANSION_SEARCH = 256
SERIAL_BELOW = 10_000  # vectors added with one thread (threads cost more than they save, and results repeat)
BATCH = 65_536  # vectors per add() call while building (bounds the temporary copies)

Keys = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]
Scores = Floats
Accept = Callable[[Keys], npt.NDArray[np.bool_]]  # which of these keys a filter keeps


def snapshot_paths(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """The graph, keys and vectors files of snapshot `name` (its `.usearch` file name)."""
    stem = name.removesuffix(".usearch")
    return folder / name, folder / f"{stem}.keys.npy", folder / f"{stem}.vectors.npy"


def to_stored(vectors: npt.ArrayLike) -> npt.NDArray[np.float16]:
    """Unit vectors as stored: L2-normalised, f16; a zero or non-finite row becomes all zero."""
    matrix = np.asarray(vectors, np.float32).reshape(-1, DIM)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    ok = np.isfinite(norms) & (norms > 1e-6)
    safe = np.where(ok, norms, 1.0)
    return np.where(ok, matrix / safe, 0.0).astype(STORED)


def _new_graph() -> Index:
    return Index(ndim=DIM, metric="cos", dtype="f16", connectivity=CONNECTIVITY,
                 expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)


@dataclass
class Snapshot:
    """One main snapshot as a reader maps it (or the empty one)."""

    name: str = ""
    graph: Index | None = None
    keys: Keys = field(default_factory=lambda: np.zeros(0, np.int64))
    vectors: npt.NDArray[np.float16] = field(default_factory=lambda: np.zeros((0, DIM), STORED))

    @classmethod
    def open(cls, folder: Path, name: str) -> Snapshot:
        """Map snapshot `name`; FileNotFoundError if a compaction has just replaced it."""
        if not name:
            return cls()
        graph_path, keys_path, vectors_path = snapshot_paths(folder, name)
        keys = np.load(keys_path)
        vectors = np.load(vectors_path, mmap_mode="r")
        graph = Index.restore(str(graph_path), view=True)
        if graph is None:
            raise FileNotFoundError(graph_path)
        graph.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # a setter mypy does not see
        return cls(name, graph, keys, vectors)

    @property
    def size(self) -> int:
        return len(self.keys)

    def positions(self, keys: Keys) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Rows of `keys` in this snapshot, and which keys it holds at all."""
        if not self.size:
            return np.zeros(len(keys), np.intp), np.zeros(len(keys), bool)
        rows = np.minimum(np.searchsorted(self.keys, keys), self.size - 1)
        return rows, self.keys[rows] == keys

    def search(self, query: npt.NDArray[np.float16], count: int) -> tuple[Keys, Scores]:
        """Keys of (about) the `count` nearest vectors and their similarity, nearest first (HNSW).

        The graph scores with the same f16 kernel as `nearest`, so the scores equal exact ones.
        """
        if self.graph is None or count <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        matches = self.graph.search(query, min(count, self.size))
        return np.asarray(matches.keys, np.int64), 1.0 - np.asarray(matches.distances, np.float32)


@dataclass
class PendingVectors:
    """The reader's copy of the pending vectors (in key order)."""

    keys: Keys = field(default_factory=lambda: np.zeros(0, np.int64))
    vectors: npt.NDArray[np.float16] = field(default_factory=lambda: np.zeros((0, DIM), STORED))
    seen_up_to: int = 0  # the largest key ever loaded: keys are never reused, newer ones are larger

    def update(self, present: Keys, new_keys: Keys, new_vectors: npt.NDArray[np.float16]) -> None:
        """Keep the rows whose key is still `present` in the table and append the new rows."""
        keep = member(self.keys, np.sort(present))
        if keep.all() and not len(new_keys):
            return
        self.keys = np.concatenate([self.keys[keep], new_keys])
        self.vectors = np.concatenate([self.vectors[keep], new_vectors])
        if len(new_keys):
            self.seen_up_to = max(self.seen_up_to, int(new_keys.max()))


@dataclass
class VectorView:
    """What a reader searches: the mapped main snapshot, the pending vectors, the tombstones
    (sorted keys deleted from the snapshot since it was written)."""

    snapshot: Snapshot = field(default_factory=Snapshot)
    pending: PendingVectors = field(default_factory=PendingVectors)
    tombstones: Keys = field(default_factory=lambda: np.zeros(0, np.int64))

    def exact(self, query: npt.NDArray[np.float16], k: int) -> tuple[Keys, Scores]:
        """Exact search of every vector (a small index, no filters)."""
        snapshot, pending = self.snapshot, self.pending
        rows, scores = nearest(snapshot.vectors, query, k + len(self.tombstones))
        keys = snapshot.keys[rows]
        live = ~member(keys, self.tombstones)
        rows, pending_scores = nearest(pending.vectors, query, k)
        return top(np.concatenate([keys[live], pending.keys[rows]]), np.concatenate([scores[live], pending_scores]), k)

    def exact_in(self, query: npt.NDArray[np.float16], k: int, runs: Sequence[tuple[int, int]],
                 keep: Accept) -> tuple[Keys, Scores]:
        """Exact search of the vectors whose keys lie in `runs` (inclusive key ranges) and that
        `keep` accepts (few of them: this gathers them)."""
        snapshot, pending = self.snapshot, self.pending
        spans = [np.arange(*np.searchsorted(snapshot.keys, [low, high + 1])) for low, high in runs]
        rows = np.concatenate(spans) if spans else np.zeros(0, np.intp)
        keys = snapshot.keys[rows]
        wanted = keep(keys) & ~member(keys, self.tombstones)
        kept = np.flatnonzero(keep(pending.keys))
        matrix = np.concatenate([snapshot.vectors[rows[wanted]], pending.vectors[kept]])
        found, scores = nearest(matrix, query, k)
        return top(np.concatenate([keys[wanted], pending.keys[kept]])[found], scores, k)

    def approximate(self, query: npt.NDArray[np.float16], k: int, count: int, keep: Accept | None,
                    rounds: int) -> tuple[Keys, Scores] | None:
        """HNSW search of the snapshot for `count` neighbours, of which `keep` (None: all) accepts
        some, widened (x4) up to `rounds` times until k are accepted; plus an exact pass over
        the pending vectors. None if the rounds ran out: the caller searches exactly."""
        pending = self.pending
        rows = np.arange(len(pending.keys)) if keep is None else np.flatnonzero(keep(pending.keys))
        found_rows, pending_scores = nearest(pending.vectors if keep is None else pending.vectors[rows], query, k)
        pending_keys = pending.keys[rows[found_rows]]
        for _ in range(rounds):
            found, scores = self.snapshot.search(query, count)
            accepted = ~member(found, self.tombstones)
            if keep is not None:
                accepted &= keep(found)
            if accepted.sum() >= k or count >= self.snapshot.size:
                return top(np.concatenate([found[accepted], pending_keys]),
                           np.concatenate([scores[accepted], pending_scores]), k)
            count *= 4
        return None


def member(keys: Keys, sorted_keys: Keys) -> npt.NDArray[np.bool_]:
    """Which `keys` are in `sorted_keys` (binary search: np.isin would hash 50,000 tombstones per query)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: npt.NDArray[np.bool_] = sorted_keys[at] == keys
    return found


def nearest(matrix: npt.NDArray[np.float16], query: npt.NDArray[np.float16], k: int) -> tuple[Keys, Floats]:
    """Rows of the `k` rows of `matrix` nearest to `query` and their cosine similarity, best first.

    Exact (usearch's SIMD f16 kernel, one thread), the kernel the HNSW graph scores with too:
    a passage scores the same whether it is pending, in the snapshot, or found by the graph.
    """
    count = min(k, len(matrix))
    if count <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    matches = search(np.ascontiguousarray(matrix), query, count, "cos", exact=True, threads=1)
    return np.asarray(matches.keys, np.int64), (1.0 - np.asarray(matches.distances, np.float32))


def top(keys: Keys, scores: Floats, k: int) -> tuple[Keys, Floats]:
    """The `k` best (key, score) pairs, best first; ties by smaller key."""
    order = np.lexsort((keys, -scores))[:k]
    return keys[order], scores[order]


def write_snapshot(folder: Path, stem: str, base: Snapshot, drop: Keys, add_keys: Keys,
                   add_vectors: npt.NDArray[np.float16], *, threads: int = 0) -> str:
    """Write snapshot files `<stem>.*` holding `base` minus `drop` plus the added vectors.

    `add_keys` must be new keys (never in `base`).

    Runs in the writer (the caller holds the compaction lock, not the write lock). The
    graph is `base`'s, loaded into memory, with the dropped keys removed and the new ones
    added, unless `base` is empty or loses more than a fifth of its vectors: then it is
    built afresh. Returns the `.usearch` file name; files are written to temporary names
    and renamed, so a reader never maps a half-written file.
    """
    name = f"{stem}.usearch"
    graph_path, keys_path, vectors_path = snapshot_paths(folder, name)
    dropped = drop[base.positions(drop)[1]]
    live = ~np.isin(base.keys, dropped)
    keys = np.concatenate([base.keys[live], add_keys])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    tmp = f".tmp-{os.getpid()}"
    vectors = np.lib.format.open_memmap(f"{vectors_path}{tmp}", mode="w+", dtype=STORED, shape=(len(keys), DIM))
    base_rows = np.flatnonzero(live)
    for start in range(0, len(keys), BATCH):  # fill in key order from the base map and the new rows
        chunk = order[start:start + BATCH]
        from_base = chunk < len(base_rows)
        block = np.empty((len(chunk), DIM), STORED)
        block[from_base] = base.vectors[base_rows[chunk[from_base]]]
        block[~from_base] = add_vectors[chunk[~from_base] - len(base_rows)]
        vectors[start:start + len(chunk)] = block
    vectors.flush()
    np.save(f"{keys_path}{tmp}.npy", keys)
    if base.graph is not None and len(dropped) <= base.size // 5:
        graph = Index.restore(str(snapshot_paths(folder, base.name)[0]))  # a private copy in memory
        assert graph is not None
        if len(dropped):
            graph.remove(dropped.astype(np.uint64), compact=True, threads=threads)
        new_keys, new_vectors = add_keys, add_vectors
    else:
        graph = _new_graph()
        new_keys, new_vectors = keys, vectors
    threads = 1 if len(new_keys) < SERIAL_BELOW else threads  # small graphs: one thread builds the same graph every time
    for start in range(0, len(new_keys), BATCH):
        graph.add(new_keys[start:start + BATCH].astype(np.uint64),
                  np.ascontiguousarray(new_vectors[start:start + BATCH]), threads=threads)
    graph.save(f"{graph_path}{tmp}")
    del vectors
    os.replace(f"{vectors_path}{tmp}", vectors_path)
    os.replace(f"{keys_path}{tmp}.npy", keys_path)
    os.replace(f"{graph_path}{tmp}", graph_path)
    return name


def rename_snapshot(folder: Path, name: str, stem: str) -> str:
    """Give snapshot `name`'s files the stem `stem`; returns the new `.usearch` name."""
    new = f"{stem}.usearch"
    for old_path, new_path in zip(snapshot_paths(folder, name), snapshot_paths(folder, new), strict=True):
        os.replace(old_path, new_path)
    return new


def remove_snapshot(folder: Path, name: str) -> None:
    """Delete snapshot `name`'s files; readers that mapped them keep their mapping."""
    for path in snapshot_paths(folder, name):
        path.unlink(missing_ok=True)
