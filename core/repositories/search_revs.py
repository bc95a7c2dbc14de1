"""The library's search revision: one counter that moves whenever any video's search state does.

A video's search state (core.search.sync) changes when its embed stage is recorded or the
video is removed. Each such write also increments `counters/search`; the index sync of a GUI
or CLI process compares the counter with the one its index was last synced at and, when they
are equal, skips reading every video's state (5,000 videos: ~4 s of the embedded server's
time, at every start and after every finished job). The counter carries a random `epoch`
set when it is created, so an index synced against another database never matches.

Writers: workers (VideoRepository.record_stage, sync) and LibraryService.remove (async).
"""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

COLLECTION = "counters"
SEARCH_STAGE = "embed"  # the stage whose record makes a video's search state (VideoRepository.search_states)
KEY = "search"


def _bump(epoch: str) -> dict[str, Any]:
    return {"$setOnInsert": {"epoch": epoch}, "$inc": {"n": 1}}


def bump_search_rev(db: SyncDatabase[dict[str, Any]]) -> None:
    """A video's search state changed (sync: workers)."""
    db[COLLECTION].update_one({"_id": KEY}, _bump(uuid.uuid4().hex), upsert=True)


async def bump_search_rev_async(db: AsyncDatabase[dict[str, Any]]) -> None:
    """A video's search state changed (async: the GUI/CLI)."""
    await db[COLLECTION].update_one({"_id": KEY}, _bump(uuid.uuid4().hex), upsert=True)


async def search_rev(db: AsyncDatabase[dict[str, Any]]) -> str:
    """The library's current search revision, `epoch:n` (created at 0 the first time asked)."""
    doc = await db[COLLECTION].find_one_and_update(
        {"_id": KEY}, {"$setOnInsert": {"epoch": uuid.uuid4().hex, "n": 0}}, upsert=True,
        return_document=ReturnDocument.AFTER)
    assert doc is not None
    return f"{doc['epoch']}:{doc['n']}"
