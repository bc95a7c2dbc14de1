"""Segments collection: written by analysis stages (sync), read by the GUI/CLI (async)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.segment import TextSegment
from core.repositories.passages import PassageRepository
from core.repositories.summaries import AsyncSummaryRepository, SummaryRepository


class SegmentRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["segments"]
        self.passages = PassageRepository(db)  # search passages live in the same collection
        self.summaries = SummaryRepository(db)  # and so do summary sections

    def replace_for_stage(self, video_id: str, stage: str, segments: list[TextSegment]) -> None:
        """Store a stage's segments for a video, replacing that stage's earlier output."""
        self._coll.delete_many({"video_id": video_id, "stage": stage})
        if segments:
            self._coll.insert_many([s.to_doc() for s in segments], ordered=False)

    def for_video(self, video_id: str, kind: str | None = None) -> list[TextSegment]:
        query: dict[str, Any] = {"video_id": video_id}
        if kind:
            query["kind"] = kind
        docs = self._coll.find(query).to_list(None)
        return sorted((TextSegment.from_doc(d) for d in docs), key=lambda s: (s.start_s, s.end_s))


class AsyncSegmentRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["segments"]
        self.summaries = AsyncSummaryRepository(db)

    async def for_video(self, video_id: str, kind: str | None = None) -> list[TextSegment]:
        query: dict[str, Any] = {"video_id": video_id}
        if kind:
            query["kind"] = kind
        docs = await self._coll.find(query).to_list(None)
        return sorted((TextSegment.from_doc(d) for d in docs), key=lambda s: (s.start_s, s.end_s))

    async def delete_for_video(self, video_id: str) -> None:
        """Every segment of the video: transcript, text, faces and search passages."""
        await self._coll.delete_many({"video_id": video_id})
