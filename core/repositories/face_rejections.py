"""The face_rejections collection: faces the operator marked "Not a face" (GUI/CLI, async).

One small document per mark, keyed by its own id and carrying the video id, the appearance's
time range and box; the face segments themselves are never touched, so a re-analysis that
replaces them leaves the marks in force (core.faces.rejections matches them again). Inserts
and deletes only, no read-modify-write: safe on FerretDB. Few documents per video, so the
per-video read stays small even though FerretDB scans the collection for it.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from core.faces.rejections import FaceRejection


class AsyncFaceRejectionRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["face_rejections"]

    async def add(self, rejection: FaceRejection) -> None:
        """Store a mark; adding the same mark again (same id) is harmless."""
        try:
            await self._coll.insert_one(rejection.to_doc())
        except DuplicateKeyError:
            pass  # stored already (a retried save)

    async def remove(self, rejection_id: str) -> None:
        await self._coll.delete_one({"_id": rejection_id})

    async def for_video(self, video_id: str) -> list[FaceRejection]:
        docs = await self._coll.find({"video_id": video_id}).to_list(None)
        return sorted((FaceRejection.from_doc(d) for d in docs), key=lambda r: (r.start_s, r.box.x))

    async def delete_for_video(self, video_id: str) -> None:
        await self._coll.delete_many({"video_id": video_id})
