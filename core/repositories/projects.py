"""Projects collection (async: GUI and CLI; sync: the budget check in worker processes)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase
from pymongo.errors import DuplicateKeyError

from core.errors import NotFound
from core.models import Project


class ProjectRepository:
    """Sync reads for worker processes (the provider gateway's budget check)."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["projects"]

    def get(self, project_id: str) -> Project | None:
        doc = self._coll.find_one({"_id": project_id})
        return Project.from_doc(doc) if doc else None

    def set_budget(self, project_id: str, budget_usd: float | None) -> None:
        """Set (or, with None, remove) the project's budget for paid provider calls."""
        if self._coll.update_one({"_id": project_id}, {"$set": {"budget_usd": budget_usd}}).matched_count == 0:
            raise NotFound(f"No project with id {project_id}")


class AsyncProjectRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["projects"]

    async def all(self) -> list[Project]:
        docs = await self._coll.find({}).to_list(None)
        return sorted((Project.from_doc(d) for d in docs), key=lambda p: p.name.lower())

    async def get(self, project_id: str) -> Project | None:
        doc = await self._coll.find_one({"_id": project_id})
        return Project.from_doc(doc) if doc else None

    async def get_by_name(self, name: str) -> Project | None:
        doc = await self._coll.find_one({"name": name})
        return Project.from_doc(doc) if doc else None

    async def add(self, project: Project) -> Project:
        """Insert `project`; if one with the same name exists, return that one instead."""
        try:
            await self._coll.insert_one(project.to_doc())
            return project
        except DuplicateKeyError:
            existing = await self.get_by_name(project.name)
            assert existing is not None
            return existing

    async def set_budget(self, project_id: str, budget_usd: float | None) -> None:
        """Set (or, with None, remove) the project's budget for paid provider calls."""
        result = await self._coll.update_one({"_id": project_id}, {"$set": {"budget_usd": budget_usd}})
        if result.matched_count == 0:
            raise NotFound(f"No project with id {project_id}")
