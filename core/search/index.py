"""This host's search index: keyword (SQLite FTS5) and vector (usearch HNSW), one folder.

MongoDB is the source of truth; the index is a cache that `rebuild()` recreates. The folder
holds `index.sqlite3` (WAL: videos, passages, the full-text index, pending vectors,
tombstones, meta), the main vector snapshot files (`main-<generation>.*`, see
`core.search.vector_index`) and two lock files. One process writes at a time
(`write.lock`, an fcntl lock held only while writing; `compact.lock` while a new snapshot is
built); any number of reader processes (the GUI, `vip search`) each open their own
`SearchIndex` on the same folder. A reader checks `meta.generation` at every query and
reloads what changed. Worker processes never open the index.

Not fork-safe: open a `SearchIndex` in the process that uses it. Thread-safe: one lock per
object serialises its calls.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.search.keyword_index import SCHEMA as KEYWORD_SCHEMA
from core.search.keyword_index import KeywordIndex
from core.search.filters import SearchFilters
from core.search.passage import IndexHit
from core.models.passage import DIM, MODALITIES, Passage, VideoFacts
from core.search.index_tables import (ROW, SCHEMA, VERSION, IndexWriter, VideoTable, json_keys, modality_mask,
                                     transaction)
from core.search.vector_index import (STORED, Keys, Scores, Snapshot, VectorView, remove_snapshot,
                                      snapshot_paths, to_stored, write_snapshot)

EXACT_LIMIT = 20_000  # filters leaving at most this many passages are searched exactly (numpy)
AUTO_COMPACT_AT = 50_000  # pending vectors that trigger a compaction after a write
OVERSAMPLE = 1.5  # ANN candidates per wanted hit, over the share of passages the filters keep
SYNCED_REV_FILE = "synced_rev"  # the library search revision the index holds (core.search.sync)
ANN_ROUNDS = 3  # widen the ANN search (x4) this often before an exact search of the filtered set

class SearchIndex:
    """Keyword and vector search over the passages of this host's library, in `folder`.

    Writer calls (`replace_video`, `remove_video`, `compact`, `rebuild`) come from the
    index sync of the GUI or CLI process; reader calls (`keyword`, `vector`, `stats`) from
    any process. Every call blocks (SQLite, files): call it from a worker thread in the GUI.
    """

    def __init__(self, folder: Path, *, exact_limit: int = EXACT_LIMIT, auto_compact_at: int = AUTO_COMPACT_AT,
                 threads: int = 0) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._exact_limit = exact_limit
        self._auto_compact_at = auto_compact_at
        self._threads = threads
        self._lock = threading.RLock()  # the reading connection and the reader's view
        self._wlock = threading.RLock()  # the writing connection (writes never hold up reads)
        self._conn = self._connect()
        self._keyword = KeywordIndex(self._conn)
        self._wconn: sqlite3.Connection | None = None
        if self._version() != VERSION:
            with self._file_lock("compact.lock", wait=True):  # lock order everywhere: compact.lock, then write.lock
                self._create()
                self._remove_stale_snapshots()
        # the reader's view, reloaded when meta.generation changes
        self._generation = -1
        self._vectors = VectorView()
        self._videos = VideoTable()

    def _version(self) -> int | None:
        try:
            row = self._conn.execute("SELECT version FROM meta").fetchone()
        except sqlite3.OperationalError:  # no meta table: a new folder
            return None
        return int(row[0]) if row else None

    def _create(self) -> None:
        """Create the tables, or, if they are of another version, drop them and start empty (the
        index is a cache: the sync refills it). One transaction, so other processes see all or nothing."""
        with self._write_lock() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            with transaction(conn):
                version = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0] and \
                    conn.execute("SELECT version FROM meta").fetchone()[0]
                if version == VERSION:
                    return  # another process created them meanwhile
                generation = 0
                if version:
                    generation = conn.execute("SELECT generation FROM meta").fetchone()[0] + 1
                    tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%'").fetchall()
                    for name, sql in sorted(tables, key=lambda t: "VIRTUAL" not in (t[1] or "")):
                        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone():
                            conn.execute(f'DROP TABLE "{name}"')  # a virtual table takes its shadow tables along
                (self.folder / SYNCED_REV_FILE).unlink(missing_ok=True)  # empty now: the next sync reads everything
                for statement in (SCHEMA + KEYWORD_SCHEMA).split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("UPDATE meta SET generation = ?", (generation,))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.folder / "index.sqlite3", timeout=60, isolation_level=None,
                               check_same_thread=False)
        for pragma in ("synchronous = NORMAL", "journal_size_limit = 67108864", "temp_store = MEMORY",
                       "cache_size = -32768"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def close(self) -> None:
        with self._lock, self._wlock:
            self._conn.close()
            if self._wconn is not None:
                self._wconn.close()
            self._vectors = VectorView()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writer

    def replace_video(self, facts: VideoFacts, passages: list[Passage], rev: str) -> None:
        """Make the index hold exactly `passages` for this video (one transaction)."""
        rows, vectors = self._prepared(facts, passages)
        ids = json.dumps([p.id for p in passages])
        with self._write_lock() as conn, transaction(conn):
            writer = IndexWriter(conn)
            writer.delete_passages("video_id = ?", (facts.video_id,))
            moved = conn.execute("SELECT DISTINCT video_id FROM passages WHERE id IN (SELECT value FROM json_each(?))",
                                 (ids,)).fetchall()  # ids now of this video that another one held
            for (video_id,) in moved:
                writer.delete_passages("video_id = ? AND id IN (SELECT value FROM json_each(?))", (video_id, ids))
                writer.recount(video_id)
            writer.insert_video(facts, rev, rows, vectors)
            pending = conn.execute("SELECT count(*) FROM pending").fetchone()[0]
        if pending > self._auto_compact_at:
            self.compact(wait=False)

    def remove_video(self, video_id: str) -> None:
        """Drop the video and its passages from both indexes."""
        with self._write_lock() as conn, transaction(conn):
            IndexWriter(conn).delete_passages("video_id = ?", (video_id,))
            conn.execute("DELETE FROM videos WHERE video_id = ?", (video_id,))
            conn.execute("DELETE FROM counts WHERE video_id = ?", (video_id,))
            conn.execute("UPDATE meta SET generation = generation + 1")

    def synced_rev(self) -> str | None:
        """The library search revision the index was last synced at (core.search.sync), if any."""
        try:
            return (self.folder / SYNCED_REV_FILE).read_text().strip() or None
        except FileNotFoundError:
            return None

    def set_synced_rev(self, rev: str) -> None:
        tmp = self.folder / f"{SYNCED_REV_FILE}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(rev)
        tmp.replace(self.folder / SYNCED_REV_FILE)

    def revs(self) -> dict[str, str]:
        """video_id -> the revision its passages were written with (what the sync compares)."""
        with self._lock:
            return dict(self._conn.execute("SELECT video_id, rev FROM videos"))

    def compact(self, *, wait: bool = True) -> bool:
        """Fold pending vectors and tombstones into a new main snapshot; False if there was nothing
        to fold (or, with `wait=False`, another process is compacting).

        The snapshot is built without the write lock (writers and readers go on meanwhile); the
        commit, under the lock, tombstones pending keys that were deleted during the build.
        """
        with self._file_lock("compact.lock", wait=wait) as locked:
            if not locked:
                return False
            with self._wlock:
                conn = self._writer_conn()
                with transaction(conn, "BEGIN"):
                    main_file = conn.execute("SELECT main_file FROM meta").fetchone()[0]
                    pending = conn.execute("SELECT key, vector FROM pending ORDER BY key").fetchall()
                    dead = np.array([r[0] for r in conn.execute("SELECT key FROM tombstones")], np.int64)
            if not pending and not len(dead):
                return False
            keys = np.array([r[0] for r in pending], np.int64)
            vectors = np.frombuffer(b"".join(r[1] for r in pending), STORED).reshape(-1, DIM)
            base = Snapshot.open(self.folder, main_file)
            name = ""
            if base.size - len(np.intersect1d(base.keys, dead)) + len(keys):
                name = write_snapshot(self.folder, f"main-tmp-{uuid.uuid4().hex[:8]}", base, dead, keys, vectors,
                                      threads=self._threads)
            del base
            with self._write_lock() as conn, transaction(conn):
                if conn.execute("SELECT main_file FROM meta").fetchone()[0] != main_file:
                    remove_snapshot(self.folder, name)  # a rebuild replaced everything meanwhile
                    return False
                conn.execute("INSERT OR IGNORE INTO tombstones(key) SELECT value FROM json_each(?) "
                             "WHERE value NOT IN (SELECT key FROM pending)", (json_keys(keys),))
                conn.execute("DELETE FROM pending WHERE key IN (SELECT value FROM json_each(?))", (json_keys(keys),))
                conn.execute("DELETE FROM tombstones WHERE key IN (SELECT value FROM json_each(?))", (json_keys(dead),))
                IndexWriter(conn).publish(self.folder, name)
            self._remove_stale_snapshots()
            return True

    def rebuild(self, items: Iterable[tuple[VideoFacts, list[Passage], str]]) -> None:
        """Replace the whole index with `items` (from MongoDB), in one transaction.

        Readers keep answering from the old contents until the commit and see the new ones at
        their next query. The vectors are gathered in a temporary folder and built into a
        fresh snapshot before the commit; other writers wait for the whole rebuild.
        """
        tmp = self.folder / f"rebuild-{uuid.uuid4().hex[:8]}.tmp"
        with self._file_lock("compact.lock", wait=True), self._write_lock() as conn:
            tmp.mkdir()
            try:
                with transaction(conn):
                    writer = IndexWriter(conn)
                    writer.clear()
                    keys: list[int] = []
                    words: set[str] = set()
                    with open(tmp / "vectors.f16", "wb") as out:
                        for facts, passages, rev in items:
                            rows, vectors = self._prepared(facts, passages)
                            writer.insert_video(facts, rev, rows, None, words)
                            with_vector = np.flatnonzero(vectors.any(axis=1))
                            keys.extend(rows[i][0] for i in with_vector)
                            out.write(vectors[with_vector].tobytes())
                    writer.keyword.add_words(words)
                    name = ""
                    if keys:
                        matrix = np.memmap(tmp / "vectors.f16", STORED, "r", shape=(len(keys), DIM))
                        name = write_snapshot(self.folder, f"main-tmp-{tmp.stem}", Snapshot(), np.zeros(0, np.int64),
                                              np.array(keys, np.int64), matrix, threads=self._threads)
                        del matrix
                    writer.publish(self.folder, name)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self._remove_stale_snapshots()
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    # ------------------------------------------------------------------ reader

    def keyword(self, query: str, k: int, filters: SearchFilters = SearchFilters()) -> list[IndexHit]:
        """The best `k` passages for the words of `query` (BM25, stemmed; the last word also
        as a prefix while it is typed; "phrases"; -word excludes), best first.

        Never raises on odd input: what cannot match returns []. A query matching more than
        `keyword_index.RANK_LIMIT` passages ranks the newest of them.
        """
        with self._reading():
            table, modalities = self._videos, modality_mask(filters)
            videos = table.mask(filters)
            if not videos.any() or not modalities.any():
                return []
            if np.array_equal(videos, table.alive):
                runs, share = None, 1.0
            else:
                counts = table.counts[:, modalities[:len(MODALITIES)]]
                runs, share = table.runs(videos), counts[videos].sum() / max(int(counts[table.alive].sum()), 1)
            keys, scores = self._keyword.search(query, k, filters.modalities, runs,
                                                lambda keys: table.keep(keys, videos, modalities), float(share))
            return self._hits(keys, scores)

    def vector(self, query_vector: npt.NDArray[np.float32], k: int,
               filters: SearchFilters = SearchFilters()) -> list[IndexHit]:
        """The `k` passages nearest to `query_vector` (cosine similarity as score), best first.

        Filters that leave at most `exact_limit` passages are searched exactly; otherwise the
        ANN search is oversampled by the share the filters keep and then filtered, widened
        when that found too few, and exact as a last resort: a filter never returns fewer
        hits than it matches.
        """
        query = to_stored(query_vector)[0]  # rounded as the stored vectors are
        if k <= 0 or not query.any():
            return []
        with self._reading():
            table = self._videos
            videos, modalities = table.mask(filters), modality_mask(filters)
            candidates = int(table.counts[videos][:, modalities[:len(MODALITIES)]].sum())
            if candidates == 0:
                return []
            view = self._vectors
            filtered = bool(filters.modalities) or not np.array_equal(videos, table.alive)
            keep = (lambda keys: table.keep(keys, videos, modalities)) if filtered else None
            result: tuple[Keys, Scores] | None = None
            if candidates > self._exact_limit:  # oversample by the share the filters and tombstones keep
                share = candidates / max(int(table.counts[table.alive].sum()), 1)
                alive = 1.0 - len(view.tombstones) / max(view.snapshot.size, 1)
                count = math.ceil(k * OVERSAMPLE / max(share * alive, 1e-9)) + 10
                result = view.approximate(query, k, count, keep, ANN_ROUNDS)
            if result is None:
                result = view.exact(query, k) if keep is None else view.exact_in(query, k, table.runs(videos), keep)
            return self._hits(*result)

    def stats(self) -> dict[str, Any]:
        """Counts, sizes and state of the index (for `vip index` and the GUI)."""
        with self._reading():
            one = self._conn.execute
            sizes = {p.name: p.stat().st_size for p in self.folder.iterdir() if p.is_file()}
            view = self._vectors
            snapshot = {p.name for p in snapshot_paths(self.folder, view.snapshot.name)} if view.snapshot.name else set()
            return {
                "folder": str(self.folder),
                "generation": self._generation,
                "videos": one("SELECT count(*) FROM videos").fetchone()[0],
                "passages": int(self._videos.counts[self._videos.alive].sum()),
                "vectors_main": view.snapshot.size,
                "vectors_pending": len(view.pending.keys),
                "tombstones": len(view.tombstones),
                "main_file": view.snapshot.name,
                "vector_dtype": np.dtype(STORED).name,
                "sqlite_bytes": sum(v for n, v in sizes.items() if n.startswith("index.sqlite3")),
                "vector_bytes": sum(v for n, v in sizes.items() if n in snapshot),
                "disk_bytes": sum(sizes.values()),
            }

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _file_lock(self, name: str, *, wait: bool) -> Iterator[bool]:
        """Hold an exclusive fcntl lock on `<folder>/<name>` (yields False if busy and not `wait`).

        Each call opens the file anew, so two threads of one process exclude each other too.
        """
        fd = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the lock

    def _writer_conn(self) -> sqlite3.Connection:
        if self._wconn is None:
            self._wconn = self._connect()
        return self._wconn

    @contextmanager
    def _write_lock(self) -> Iterator[sqlite3.Connection]:
        """The writing connection, held by this thread and, through write.lock, this process."""
        with self._wlock, self._file_lock("write.lock", wait=True):
            yield self._writer_conn()

    @staticmethod
    def _prepared(facts: VideoFacts, passages: list[Passage]) -> tuple[list[tuple[Any, ...]], npt.NDArray[np.float16]]:
        """Validated passage rows (key 0: assigned on insert) and their stored vectors."""
        ids = [p.id for p in passages]
        if len(set(ids)) != len(ids):
            raise ValueError(f"video {facts.video_id}: duplicate passage ids")
        for p in passages:
            if p.video_id != facts.video_id:
                raise ValueError(f"passage {p.id} belongs to video {p.video_id}, not {facts.video_id}")
            if p.modality not in MODALITIES:
                raise ValueError(f"passage {p.id}: unknown modality {p.modality!r} (not one of {MODALITIES})")
            if np.shape(p.vector) != (DIM,):
                raise ValueError(f"passage {p.id}: vector of shape {np.shape(p.vector)}, expected ({DIM},)")
        rows = [(0, p.id, p.video_id, p.modality, p.unit, float(p.start_s), float(p.end_s), p.text) for p in passages]
        vectors = to_stored([p.vector for p in passages]) if passages else np.zeros((0, DIM), STORED)
        return rows, vectors

    def _remove_stale_snapshots(self) -> None:
        """Delete snapshot files no longer referenced (call holding the compaction lock)."""
        with self._wlock:
            current = self._writer_conn().execute("SELECT main_file FROM meta").fetchone()[0]
        keep = {p.name for p in snapshot_paths(self.folder, current)} if current else set()
        for path in self.folder.glob("main-*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """One read transaction with the reader's view brought up to its snapshot."""
        with self._lock:
            for attempt in range(10):
                self._conn.execute("BEGIN")
                try:
                    self._refresh()
                    break
                except FileNotFoundError:  # a compaction replaced the snapshot we were about to map
                    self._conn.execute("ROLLBACK")
                    time.sleep(0.01 * attempt)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            else:
                raise RuntimeError(f"search index in {self.folder}: the main snapshot keeps disappearing")
            try:
                yield
            finally:
                self._conn.execute("COMMIT")  # a read transaction: nothing to undo

    def _refresh(self) -> None:
        generation, main_file = self._conn.execute("SELECT generation, main_file FROM meta").fetchone()
        if generation == self._generation:
            return
        view = self._vectors
        if main_file != view.snapshot.name:
            view.snapshot = Snapshot.open(self.folder, main_file)
        self._videos.load(self._conn)
        present = np.array([r[0] for r in self._conn.execute("SELECT key FROM pending")], np.int64)
        new = self._conn.execute("SELECT key, vector FROM pending WHERE key > ? ORDER BY key",
                                 (view.pending.seen_up_to,)).fetchall()
        view.pending.update(present, np.array([r[0] for r in new], np.int64),
                            np.frombuffer(b"".join(r[1] for r in new), STORED).reshape(-1, DIM))
        view.tombstones = np.array([r[0] for r in self._conn.execute("SELECT key FROM tombstones ORDER BY key")],
                                   np.int64)
        self._generation = generation

    def _hits(self, keys: Keys, scores: Scores) -> list[IndexHit]:
        rows = {r[0]: r for r in self._conn.execute(
            f"SELECT {ROW} FROM passages WHERE key IN (SELECT value FROM json_each(?))", (json_keys(keys),))}
        return [IndexHit(r[1], r[2], r[3], r[4], r[5], r[6], r[7], float(s))
                for key, s in zip(keys.tolist(), scores.tolist(), strict=True) if (r := rows.get(key))]


