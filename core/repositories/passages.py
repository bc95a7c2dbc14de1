"""Search passages: one segment set per video (kind "passage", vectors as float32 bytes).

Written by the embed stage (sync, worker processes); read by the index sync in the GUI or
CLI (async) to fill the local search indexes, which are caches of these sets. A video
without a passage set is read from the old layout (one `segments` document per passage,
embedding as BSON binary) until `migrate_segment_sets` converts it; see segment_sets.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.repositories import segment_sets as sets
from core.models.passage import Passage

KIND = sets.PASSAGE_KIND
_FIELDS = {"_id": 1, "video_id": 1, "modality": 1, "unit": 1, "start_s": 1, "end_s": 1, "text": 1, "embedding": 1}


def _query(video_id: str) -> dict[str, Any]:
    return {"video_id": video_id, "kind": KIND}


def _sorted(passages: list[Passage]) -> list[Passage]:
    return sorted(passages, key=lambda p: (p.start_s, p.unit, p.id))


def _from_sets(found: dict[sets.SetKey, list[dict[str, Any]]]) -> list[Passage]:
    return [p for key in sorted(found) for p in sets.decode_passages(found[key])]


def _being_rewritten(video_id: str) -> sets.SetBeingRewrittenError:
    return sets.SetBeingRewrittenError(f"the search passages of video {video_id} are being rewritten; try again")


class PassageRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._sets = db[sets.COLLECTION]
        self._coll = db[sets.OLD_COLLECTION]

    def replace_for_video(self, video_id: str, passages: list[Passage], stage: str, version: int) -> None:
        """Store the video's passages, replacing all earlier ones (whichever stage wrote them)."""
        sets.write_sets(self._sets, sets.encode_passages(video_id, stage, version, passages), _query(video_id))
        self._coll.delete_many(_query(video_id))

    def for_video(self, video_id: str) -> list[Passage]:
        for _ in range(sets.READ_ATTEMPTS):
            found = sets.complete_sets(self._sets.find(_query(video_id)).to_list(None))
            if found is not None:
                break
            time.sleep(sets.RETRY_DELAY_S)
        else:
            raise _being_rewritten(video_id)
        if found:
            return _sorted(_from_sets(found))
        return _sorted([sets.passage_from_old_doc(d) for d in self._coll.find(_query(video_id), _FIELDS).to_list(None)])


class AsyncPassageRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._sets = db[sets.COLLECTION]
        self._coll = db[sets.OLD_COLLECTION]

    async def for_video(self, video_id: str) -> list[Passage]:
        for _ in range(sets.READ_ATTEMPTS):
            found = sets.complete_sets(await self._sets.find(_query(video_id)).to_list(None))
            if found is not None:
                break
            await asyncio.sleep(sets.RETRY_DELAY_S)
        else:
            raise _being_rewritten(video_id)
        if found:
            return _sorted(_from_sets(found))
        docs = await self._coll.find(_query(video_id), _FIELDS).to_list(None)
        return _sorted([sets.passage_from_old_doc(d) for d in docs])
