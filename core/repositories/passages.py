"""Search passages in the `segments` collection (kind "passage", embedding as BSON binary).

Written by the embed stage (sync, worker processes); read by the index sync in the GUI or
CLI (async) to fill the local search indexes, which are caches of this collection.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bson.binary import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.search.passage import DIM, Passage

KIND = "passage"
_FIELDS = {"_id": 1, "video_id": 1, "modality": 1, "unit": 1, "start_s": 1, "end_s": 1, "text": 1, "embedding": 1}


def _to_doc(p: Passage, stage: str, version: int) -> dict[str, Any]:
    vector = np.ascontiguousarray(p.vector, dtype="<f4")
    return {"_id": p.id, "video_id": p.video_id, "kind": KIND, "stage": stage, "version": version,
            "modality": p.modality, "unit": p.unit, "start_s": p.start_s, "end_s": p.end_s, "text": p.text,
            "embedding": Binary(vector.tobytes())}


def _from_doc(doc: dict[str, Any]) -> Passage:
    vector = np.frombuffer(bytes(doc["embedding"]), dtype="<f4").astype(np.float32)
    if vector.shape != (DIM,):
        raise ValueError(f"passage {doc['_id']} has a {vector.shape[0]}-d embedding, expected {DIM}")
    return Passage(id=str(doc["_id"]), video_id=str(doc["video_id"]), modality=str(doc["modality"]),
                   unit=str(doc["unit"]), start_s=float(doc["start_s"]), end_s=float(doc["end_s"]),
                   text=str(doc["text"]), vector=vector)


class PassageRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["segments"]

    def replace_for_video(self, video_id: str, passages: list[Passage], stage: str, version: int) -> None:
        self._coll.delete_many({"video_id": video_id, "kind": KIND})
        if passages:
            self._coll.insert_many([_to_doc(p, stage, version) for p in passages], ordered=False)

    def for_video(self, video_id: str) -> list[Passage]:
        docs = self._coll.find({"video_id": video_id, "kind": KIND}, _FIELDS).to_list(None)
        return sorted((_from_doc(d) for d in docs), key=lambda p: (p.start_s, p.unit, p.id))


class AsyncPassageRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["segments"]

    async def for_video(self, video_id: str) -> list[Passage]:
        docs = await self._coll.find({"video_id": video_id, "kind": KIND}, _FIELDS).to_list(None)
        return sorted((_from_doc(d) for d in docs), key=lambda p: (p.start_s, p.unit, p.id))
