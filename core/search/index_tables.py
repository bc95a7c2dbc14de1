"""The index folder's SQLite layout and what reads and writes it row by row.

`SCHEMA` (the tables `core.search.index.SearchIndex` keeps next to its vector snapshots), the
passage keys (serial << MODALITY_BITS | modality), `VideoTable` (a reader's in-memory copy of
the videos for filtering without SQL) and `IndexWriter` (the write steps inside one
transaction). Only `core.search.index` uses this module.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.search.filters import SearchFilters
from core.search.keyword_index import KeywordIndex
from core.models.passage import MODALITIES, VideoFacts
from core.search.vector_index import Keys, rename_snapshot

MODALITY_BITS = 3  # a passage key is serial << MODALITY_BITS | modality: filters read the modality off the key
MODALITY_MASK = (1 << MODALITY_BITS) - 1
VERSION = 2  # of the folder's layout: another version is dropped and rebuilt by the sync

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL,
    main_file TEXT NOT NULL, version INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES (1, 0, '', {version});
CREATE TABLE IF NOT EXISTS videos(video_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, duration_s REAL NOT NULL,
    imported_at REAL NOT NULL, rev TEXT NOT NULL, first_key INTEGER NOT NULL, last_key INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS passages(key INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    video_id TEXT NOT NULL, modality TEXT NOT NULL, unit TEXT NOT NULL, start_s REAL NOT NULL,
    end_s REAL NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS passages_by_video ON passages(video_id, modality);
CREATE TABLE IF NOT EXISTS pending(key INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tombstones(key INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS counts(video_id TEXT NOT NULL, modality TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (video_id, modality)) WITHOUT ROWID;
""".format(version=VERSION)

ROW = "key, id, video_id, modality, unit, start_s, end_s, text"
assert len(MODALITIES) <= 1 << MODALITY_BITS


def epoch(moment: datetime) -> float:
    """Seconds since the epoch; a naive datetime counts as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def json_keys(keys: Iterable[int]) -> str:
    return json.dumps([int(k) for k in keys])


def modality_mask(filters: SearchFilters) -> npt.NDArray[np.bool_]:
    """Which modality codes the filters keep (indexed by `key & MODALITY_MASK`)."""
    mask = np.zeros(1 << MODALITY_BITS, bool)
    mask[:len(MODALITIES)] = [not filters.modalities or m in filters.modalities for m in MODALITIES]
    return mask


class VideoTable:
    """The reader's copy of the videos table as arrays (one row per video, in key order), for
    filtering without SQL. Each video's passages have the consecutive keys first_key..last_key
    (they are inserted together), so a set of videos is a set of key ranges."""

    def __init__(self) -> None:
        self.alive = np.zeros(0, bool)
        self.counts = np.zeros((0, len(MODALITIES)), np.int64)
        self._projects: dict[str, int] = {}
        self._project = np.zeros(0, np.int64)
        self._duration = np.zeros(0)
        self._imported = np.zeros(0)
        self._first = np.zeros(0, np.int64)
        self._last = np.zeros(0, np.int64)
        self._position: dict[str, int] = {}

    def load(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("SELECT video_id, project_id, duration_s, imported_at, first_key, last_key FROM videos "
                            "ORDER BY first_key").fetchall()
        self._projects = {project: i for i, project in enumerate(sorted({r[1] for r in rows}))}
        self.alive = np.ones(len(rows), bool)
        self._project = np.array([self._projects[r[1]] for r in rows], np.int64)
        self._duration = np.array([r[2] for r in rows], np.float64)
        self._imported = np.array([r[3] for r in rows], np.float64)
        self._first = np.array([r[4] for r in rows], np.int64)
        self._last = np.array([r[5] for r in rows], np.int64)
        self.counts = np.zeros((len(rows), len(MODALITIES)), np.int64)
        position = self._position = {r[0]: i for i, r in enumerate(rows)}
        for video_id, modality, count in conn.execute("SELECT video_id, modality, n FROM counts"):
            if video_id in position and modality in MODALITIES:
                self.counts[position[video_id], MODALITIES.index(modality)] = count

    def mask(self, filters: SearchFilters) -> npt.NDArray[np.bool_]:
        """Which videos the filters keep."""
        mask = self.alive.copy()
        if filters.project_id is not None:
            mask &= self._project == self._projects.get(filters.project_id, -1)
        if filters.min_duration_s is not None:
            mask &= self._duration >= filters.min_duration_s
        if filters.max_duration_s is not None:
            mask &= self._duration <= filters.max_duration_s
        if filters.imported_after is not None:
            mask &= self._imported >= epoch(filters.imported_after)
        if filters.imported_before is not None:
            mask &= self._imported < epoch(filters.imported_before)
        if filters.video_ids is not None:
            wanted = np.zeros(len(mask), bool)
            wanted[[self._position[v] for v in filters.video_ids if v in self._position]] = True
            mask &= wanted
        return mask

    def runs(self, videos: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
        """The keys of the kept videos as (first, last) ranges, newest first; neighbours in key
        order merge into one range."""
        edges = np.diff(np.concatenate([[0], videos.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
        return list(zip(self._first[starts].tolist(), self._last[ends].tolist(), strict=True))[::-1]

    def keep(self, keys: Keys, videos: npt.NDArray[np.bool_], modalities: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Which `keys` belong to a kept video and a kept modality."""
        if not len(self._first):
            return np.zeros(len(keys), bool)
        at = np.maximum(np.searchsorted(self._first, keys, side="right") - 1, 0)
        kept: npt.NDArray[np.bool_] = (keys >= self._first[at]) & (keys <= self._last[at]) & videos[at] \
            & modalities[keys & MODALITY_MASK]
        return kept


@contextmanager
def transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    conn.execute(begin)
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class IndexWriter:
    """Write steps inside one transaction of the writing connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.keyword = KeywordIndex(conn)

    def insert_video(self, facts: VideoFacts, rev: str, rows: list[tuple[Any, ...]],
                     vectors: npt.NDArray[np.float16] | None, words: set[str] | None = None) -> None:
        """Insert the video and its passages with consecutive keys after every key ever used
        (written into `rows`); non-zero vectors go to `pending` unless `vectors` is None."""
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'passages'").fetchone()
        first = ((row[0] if row else 0) >> MODALITY_BITS) + 1
        for i, r in enumerate(rows):
            rows[i] = (((first + i) << MODALITY_BITS) | MODALITIES.index(r[3]), *r[1:])
        self.conn.executemany(f"INSERT INTO passages({ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.keyword.add([(r[0], r[3], r[7]) for r in rows], words)
        if vectors is not None:
            self.conn.executemany("INSERT INTO pending(key, vector) VALUES (?, ?)",
                                  ((rows[i][0], vectors[i].tobytes()) for i in np.flatnonzero(vectors.any(axis=1))))
        self.conn.execute("INSERT OR REPLACE INTO videos VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (facts.video_id, facts.project_id, float(facts.duration_s), epoch(facts.imported_at), rev,
                           first << MODALITY_BITS, ((first + len(rows)) << MODALITY_BITS) - 1))
        self.recount(facts.video_id)
        self.conn.execute("UPDATE meta SET generation = generation + 1")

    def recount(self, video_id: str) -> None:
        self.conn.execute("DELETE FROM counts WHERE video_id = ?", (video_id,))
        self.conn.execute("INSERT INTO counts SELECT video_id, modality, count(*) FROM passages "
                          "WHERE video_id = ? GROUP BY modality", (video_id,))

    def delete_passages(self, where: str, params: tuple[Any, ...]) -> None:
        """Delete passages: pending vectors go, vectors in the main snapshot get a tombstone."""
        self.conn.execute(f"INSERT OR IGNORE INTO tombstones(key) SELECT key FROM passages WHERE {where} "
                          "AND key NOT IN (SELECT key FROM pending)", params)
        self.conn.execute(f"DELETE FROM pending WHERE key IN (SELECT key FROM passages WHERE {where})", params)
        self.keyword.remove_where(where, params)
        self.conn.execute(f"DELETE FROM passages WHERE {where}", params)

    def clear(self) -> None:
        self.conn.execute("DELETE FROM passages")
        self.keyword.clear()
        for table in ("videos", "pending", "tombstones", "counts"):
            self.conn.execute(f"DELETE FROM {table}")

    def publish(self, folder: Path, name: str) -> None:
        """Make snapshot `name` (temporary files) the main one, as `main-<new generation>`."""
        generation = self.conn.execute("SELECT generation FROM meta").fetchone()[0] + 1
        if name:
            name = rename_snapshot(folder, name, f"main-{generation}")
        self.conn.execute("UPDATE meta SET generation = ?, main_file = ?", (generation, name))
