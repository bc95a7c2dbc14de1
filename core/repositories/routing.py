"""Per-project provider routing (`project_settings` collection, one document per project)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.routing import Routing


class RoutingRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["project_settings"]

    def get(self, project_id: str) -> Routing:
        doc = self._coll.find_one({"_id": project_id})
        return Routing.from_doc((doc or {}).get("routes"))


class AsyncRoutingRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["project_settings"]

    async def get(self, project_id: str) -> Routing:
        doc = await self._coll.find_one({"_id": project_id})
        return Routing.from_doc((doc or {}).get("routes"))

    async def set(self, project_id: str, routing: Routing) -> None:
        await self._coll.update_one({"_id": project_id}, {"$set": {"routes": routing.to_doc()}}, upsert=True)
