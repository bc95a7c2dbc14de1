"""Workers collection: who is alive, on which host, running what."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.worker import WorkerRecord
from core.repositories.database import ping_async
from core.timeutil import as_utc, utc_now


class WorkerRepository:
    """Sync access for the worker process itself."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["workers"]

    def register(self, worker_id: str, host: str, pid: int) -> None:
        now = utc_now()
        self._coll.replace_one(
            {"_id": worker_id},
            {"_id": worker_id, "host": host, "pid": pid, "heartbeat_at": now,
             "current_job": None, "started_at": now},
            upsert=True,
        )

    def heartbeat(self, worker_id: str, current_job: str | None) -> None:
        self._coll.update_one(
            {"_id": worker_id}, {"$set": {"heartbeat_at": utc_now(), "current_job": current_job}}
        )

    def remove(self, worker_id: str) -> None:
        self._coll.delete_one({"_id": worker_id})

    def prune(self, older_than: timedelta) -> None:
        """Delete records of workers that stopped without saying goodbye."""
        self._coll.delete_many({"heartbeat_at": {"$lt": utc_now() - older_than}})


class AsyncWorkerRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["workers"]

    async def database_responds(self) -> bool:
        """True when the database answers within 2 s."""
        return await ping_async(self._coll.database)

    async def list_alive(self, within: timedelta) -> list[WorkerRecord]:
        docs = await self._coll.find({"heartbeat_at": {"$gte": utc_now() - within}}).to_list(None)
        return [WorkerRecord.from_doc(d) for d in docs]
