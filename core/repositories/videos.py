"""Videos collection: async for the GUI/CLI, sync for workers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase
from pymongo.errors import DuplicateKeyError

from core.models import MediaInfo, Segment, StageStatus, Timeline, Video, VideoStatus
from core.repositories.search_revs import SEARCH_STAGE, bump_search_rev, bump_search_rev_async, search_rev
from core.models.passage import SearchState, VideoFacts
from core.timeutil import as_utc, utc_now


class AsyncVideoRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["videos"]

    async def add(self, video: Video) -> tuple[Video, bool]:
        """Insert `video` unless the project has the same content; return (video, created)."""
        existing = await self.find_by_fingerprint(video.project_id, video.fingerprint)
        if existing:
            return existing, False
        try:
            await self._coll.insert_one(video.to_doc())
            return video, True
        except DuplicateKeyError:
            again = await self.find_by_fingerprint(video.project_id, video.fingerprint)
            assert again is not None
            return again, False

    async def find_by_fingerprint(self, project_id: str, fingerprint: str) -> Video | None:
        doc = await self._coll.find_one({"project_id": project_id, "fingerprint": fingerprint})
        return Video.from_doc(doc) if doc else None

    async def get(self, video_id: str) -> Video | None:
        doc = await self._coll.find_one({"_id": video_id})
        return Video.from_doc(doc) if doc else None

    async def find(self, path: str | None = None, name: str | None = None,
                   fingerprint: str | None = None) -> list[Video]:
        """Videos (in any project) with this exact path, file name or content fingerprint."""
        query = {k: v for k, v in (("path", path), ("name", name), ("fingerprint", fingerprint)) if v}
        if not query:
            return []
        docs = await self._coll.find(query).to_list(None)
        return [Video.from_doc(d) for d in docs]

    async def get_many(self, video_ids: list[str]) -> list[Video]:
        if not video_ids:
            return []
        docs = await self._coll.find({"_id": {"$in": video_ids}}).to_list(None)
        return [Video.from_doc(d) for d in docs]

    async def in_project(self, project_id: str | None = None) -> list[Video]:
        query = {"project_id": project_id} if project_id else {}
        docs = await self._coll.find(query).to_list(None)
        return sorted((Video.from_doc(d) for d in docs), key=lambda v: v.imported_at)

    async def pages_in_project(self, project_id: str | None = None, first: int = 100,
                               page: int = 250) -> AsyncIterator[list[Video]]:
        """The project's videos, `first` then `page` at a time, in the order the server keeps them
        (the order they were added), each page as soon as it is read.

        A caller shows the first page while the rest is still being read: the embedded FerretDB
        spends ~0.6 ms per video document whatever the projection, so a 5,000-video project
        takes seconds to read whole, while its first 100 come in ~60 ms. No sort: FerretDB
        sorts in memory, after reading every document."""
        query = {"project_id": project_id} if project_id else {}
        batch: list[Video] = []
        size = first
        async with self._coll.find(query, batch_size=first) as cursor:
            async for doc in cursor:
                batch.append(Video.from_doc(doc))
                if len(batch) >= size:
                    yield batch
                    batch, size = [], page
        if batch:
            yield batch

    async def count(self) -> int:
        return await self._coll.count_documents({})

    async def search_states(self) -> list[SearchState]:
        """Every video's search-relevant facts (for the index sync): small documents only."""
        docs = await self._coll.find({}, {"project_id": 1, "imported_at": 1, "media.duration_s": 1,
                                          "stages": 1}).to_list(None)
        states = []
        for doc in docs:
            embed = (doc.get("stages") or {}).get(SEARCH_STAGE) or {}
            finished = as_utc(embed.get("finished_at"))
            rev = (f"{embed.get('version')}@{finished.isoformat()}"
                   if embed.get("status") == "succeeded" and finished else None)
            states.append(SearchState(
                facts=VideoFacts(video_id=str(doc["_id"]), project_id=str(doc.get("project_id", "")),
                                 duration_s=float((doc.get("media") or {}).get("duration_s") or 0.0),
                                 imported_at=as_utc(doc.get("imported_at")) or utc_now()),
                rev=rev))
        return states

    async def name_speaker(self, video_id: str, label: str, name: str | None, person_id: str | None) -> None:
        """Give speaker `label` of one video a display name (None: back to "Speaker N") and/or a person."""
        await self._coll.update_one({"_id": video_id},
                                    {"$set": {f"speakers.{label}": {"name": name, "person_id": person_id}}})

    async def set_status(self, video_id: str, status: VideoStatus) -> None:
        await self._coll.update_one({"_id": video_id}, {"$set": {"status": str(status)}})

    async def delete(self, video_id: str) -> None:
        await self._coll.delete_one({"_id": video_id})
        await bump_search_rev_async(self._coll.database)

    async def search_rev(self) -> str:
        """Moves whenever any video's search state does (see repositories/search_revs.py)."""
        return await search_rev(self._coll.database)


# FerretDB 1.x rewrites the whole document on every update: two `$set`s on one video at the same
# time can undo each other (measured: 751 of 1,600 concurrent field writes lost). A job's stages
# run side by side in one worker process (core.pipeline.runner's lanes), so this process writes
# one video at a time; other processes write other videos (a job has one owner).
_WRITES = threading.Lock()


class VideoRepository:
    """Sync access for worker processes; writes are serialised within the process (`_WRITES`)."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["videos"]

    def get(self, video_id: str) -> Video | None:
        doc = self._coll.find_one({"_id": video_id})
        return Video.from_doc(doc) if doc else None

    def set_status(self, video_id: str, status: VideoStatus, error: str | None = None) -> None:
        with _WRITES:
            self._coll.update_one(
                {"_id": video_id}, {"$set": {"status": str(status), "error": error}}
            )

    def save_probe(self, video_id: str, media: MediaInfo, poster_path: str | None) -> None:
        with _WRITES:
            self._coll.update_one(
                {"_id": video_id},
                {"$set": {"media": media.to_doc(), "poster_path": poster_path}},
            )

    def save_speakers(self, video_id: str, labels: list[str]) -> None:
        """The speakers stage found `labels`; names the operator gave to labels still present stay."""
        with _WRITES:
            doc = self._coll.find_one({"_id": video_id}, {"speakers": 1}) or {}
            old = doc.get("speakers") or {}
            speakers = {label: old.get(label) or {"name": None, "person_id": None} for label in labels}
            self._coll.update_one({"_id": video_id}, {"$set": {"speakers": speakers}})

    def save_visual(self, video_id: str, timeline: Timeline | None, black: list[Segment]) -> None:
        with _WRITES:
            self._coll.update_one(
                {"_id": video_id},
                {"$set": {"timeline": timeline.to_doc() if timeline else None,
                          "black_segments": [s.to_doc() for s in black]}},
            )

    def set_cost(self, video_id: str, cost_usd: float) -> None:
        with _WRITES:
            self._coll.update_one({"_id": video_id}, {"$set": {"cost_usd": cost_usd}})

    def record_stage(self, video_id: str, stage: str, status: StageStatus, version: int) -> None:
        """Store which analyzer version produced (or failed to produce) a stage's output."""
        with _WRITES:
            self._coll.update_one(
                {"_id": video_id},
                {
                    "$set": {
                        f"stages.{stage}": {
                            "status": str(status),
                            "version": version,
                            "finished_at": utc_now(),
                        }
                    }
                },
            )
            if stage == SEARCH_STAGE:
                bump_search_rev(self._coll.database)
