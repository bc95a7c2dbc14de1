"""Shots collection: written by the visual stage (sync), read by the GUI/CLI (async)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models import Shot


class ShotRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["shots"]

    def replace_for_video(self, video_id: str, shots: list[Shot]) -> None:
        """Store `shots` as the video's shot list (idempotent: a re-run replaces the old list)."""
        self._coll.delete_many({"video_id": video_id})
        if shots:
            self._coll.insert_many([s.to_doc() for s in shots], ordered=False)

    def for_video(self, video_id: str) -> list[Shot]:
        docs = self._coll.find({"video_id": video_id}).to_list(None)
        return sorted((Shot.from_doc(d) for d in docs), key=lambda s: s.index)


class AsyncShotRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["shots"]

    async def for_video(self, video_id: str) -> list[Shot]:
        docs = await self._coll.find({"video_id": video_id}).to_list(None)
        return sorted((Shot.from_doc(d) for d in docs), key=lambda s: s.index)

    async def delete_for_video(self, video_id: str) -> None:
        await self._coll.delete_many({"video_id": video_id})
