"""Bring this host's search indexes up to date with MongoDB (the source of truth).

Runs in the GUI or CLI process (asyncio). Workers never touch the index files: they store
passages in MongoDB and record the embed stage on the video; the sync compares each video's
embed revision with the one the index holds and replaces, adds or removes that video's
passages. So the indexes stay right with any number of workers on any number of hosts, and
`rebuild()` recreates them from MongoDB alone. Index writes run on a worker thread (SQLite,
vector files) and are serialised between processes by the index's own file lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import structlog

from core.repositories.passages import AsyncPassageRepository
from core.repositories.videos import AsyncVideoRepository
from core.models.passage import SearchState
from core.models.passage import Passage, VideoFacts

log = structlog.get_logger(__name__)


class SyncedIndex(Protocol):
    """What the sync writes to: this host's search index (core.search.index.SearchIndex)."""

    def revs(self) -> dict[str, str]: ...

    def replace_video(self, facts: VideoFacts, passages: list[Passage], rev: str) -> None: ...

    def remove_video(self, video_id: str) -> None: ...

    def rebuild(self, items: Iterable[tuple[VideoFacts, list[Passage], str]]) -> None: ...

    def synced_rev(self) -> str | None: ...

    def set_synced_rev(self, rev: str) -> None: ...


@dataclass(frozen=True)
class SyncReport:
    updated: int  # videos added or replaced
    removed: int
    passages: int  # passages written

    @property
    def changed(self) -> bool:
        return bool(self.updated or self.removed)


class IndexSync:
    def __init__(self, videos: AsyncVideoRepository, passages: AsyncPassageRepository, index: SyncedIndex) -> None:
        self._videos = videos
        self._passages = passages
        self._index = index
        self._lock = asyncio.Lock()  # one sync at a time per process

    async def sync(self) -> SyncReport:
        """Apply what changed in MongoDB since the index was last brought up to date."""
        async with self._lock:
            library_rev = await self._videos.search_rev()  # before the states: a change after it moves it on
            if library_rev == await asyncio.to_thread(self._index.synced_rev):
                return SyncReport(0, 0, 0)  # nothing changed since the last sync (one _id lookup)
            states = {s.facts.video_id: s for s in await self._videos.search_states() if s.rev}
            known = await asyncio.to_thread(self._index.revs)
            removed = [video_id for video_id in known if video_id not in states]
            for video_id in removed:
                await asyncio.to_thread(self._index.remove_video, video_id)
            updated = written = 0
            for video_id, state in states.items():
                if known.get(video_id) == state.rev:
                    continue
                passages = await self._passages.for_video(video_id)
                assert state.rev is not None
                await asyncio.to_thread(self._index.replace_video, state.facts, passages, state.rev)
                updated += 1
                written += len(passages)
            report = SyncReport(updated, len(removed), written)
            await asyncio.to_thread(self._index.set_synced_rev, library_rev)
            if report.changed:
                log.info("index_synced", updated=updated, removed=len(removed), passages=written)
            return report

    async def rebuild(self) -> SyncReport:
        """Recreate the indexes from MongoDB alone (`vip index rebuild`).

        The index consumes videos on a worker thread while their passages are fetched on
        this loop, one video at a time, so memory holds one video's passages, not the library's.
        """
        async with self._lock:
            library_rev = await self._videos.search_rev()
            states: list[SearchState] = [s for s in await self._videos.search_states() if s.rev]
            loop = asyncio.get_running_loop()
            written = 0

            def items() -> Iterator[tuple[VideoFacts, list[Passage], str]]:
                nonlocal written
                for state in states:
                    assert state.rev is not None
                    fetch = asyncio.run_coroutine_threadsafe(self._passages.for_video(state.facts.video_id), loop)
                    passages = fetch.result()
                    written += len(passages)
                    yield state.facts, passages, state.rev

            await asyncio.to_thread(self._index.rebuild, items())
            await asyncio.to_thread(self._index.set_synced_rev, library_rev)
            log.info("index_rebuilt", videos=len(states), passages=written)
            return SyncReport(len(states), 0, written)
