"""Segments: written by analysis stages (sync, worker processes), read by the GUI/CLI (async).

Each stage's output is stored as segment sets (core.repositories.segment_sets: one compact
document per video, stage and kind in `segment_sets`). A (video, kind) without a set is read
from the old layout (one `segments` document per segment) until `migrate_segment_sets` runs;
writes and deletes remove the old-layout documents of what they replace.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.segment import TextSegment
from core.repositories import segment_sets as sets
from core.repositories.passages import PassageRepository
from core.repositories.summaries import AsyncSummaryRepository, SummaryRepository


def _sorted(segments: list[TextSegment]) -> list[TextSegment]:
    return sorted(segments, key=lambda s: (s.start_s, s.end_s))


def _from_sets(found: dict[sets.SetKey, list[dict[str, Any]]]) -> list[TextSegment]:
    return [s for key in sorted(found) for s in sets.decode_segments(found[key])]


class SegmentRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._sets = db[sets.COLLECTION]
        self._coll = db[sets.OLD_COLLECTION]
        self.passages = PassageRepository(db)
        self.summaries = SummaryRepository(db)  # summary sections stay in `segments`

    def replace_for_stage(self, video_id: str, stage: str, segments: list[TextSegment]) -> None:
        """Store a stage's segments for a video, replacing that stage's earlier output."""
        sets.write_sets(self._sets, sets.encode_segments(video_id, stage, segments),
                        {"video_id": video_id, "stage": stage})
        self._coll.delete_many({"video_id": video_id, "stage": stage})

    def for_video(self, video_id: str, kind: str | None = None) -> list[TextSegment]:
        """The video's segments of `kind` (None: of every kind the stages write) in time order."""
        for _ in range(sets.READ_ATTEMPTS):
            found = sets.complete_sets(self._sets.find(sets.segment_sets_query(video_id, kind)).to_list(None))
            if found is not None:
                break
            time.sleep(sets.RETRY_DELAY_S)
        else:
            raise sets.SetBeingRewrittenError(f"the segments of video {video_id} are being rewritten; try again")
        segments = _from_sets(found)
        old = sets.old_segments_query(video_id, kind, (k for _, k in found))
        if old is not None:
            segments += [TextSegment.from_doc(d) for d in self._coll.find(old).to_list(None)]
        return _sorted(segments)


class AsyncSegmentRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._sets = db[sets.COLLECTION]
        self._coll = db[sets.OLD_COLLECTION]
        self.summaries = AsyncSummaryRepository(db)

    async def for_video(self, video_id: str, kind: str | None = None) -> list[TextSegment]:
        """The video's segments of `kind` (None: of every kind the stages write) in time order."""
        for _ in range(sets.READ_ATTEMPTS):
            docs = await self._sets.find(sets.segment_sets_query(video_id, kind)).to_list(None)
            found = sets.complete_sets(docs)
            if found is not None:
                break
            await asyncio.sleep(sets.RETRY_DELAY_S)
        else:
            raise sets.SetBeingRewrittenError(f"the segments of video {video_id} are being rewritten; try again")
        segments = _from_sets(found)
        old = sets.old_segments_query(video_id, kind, (k for _, k in found))
        if old is not None:
            segments += [TextSegment.from_doc(d) for d in await self._coll.find(old).to_list(None)]
        return _sorted(segments)

    async def delete_for_video(self, video_id: str) -> None:
        """Every segment of the video: transcript, text, faces, search passages and summaries."""
        await self._sets.delete_many({"video_id": video_id})
        await self._coll.delete_many({"video_id": video_id})
