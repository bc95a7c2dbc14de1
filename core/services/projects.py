"""Create, find and list projects (async; GUI loop or CLI)."""

from __future__ import annotations

import math

from core.errors import VipError
from core.models import Project
from core.repositories import AsyncProjectRepository

DEFAULT_PROJECT = "Default"


class ProjectService:
    """Create, find and list projects, and the default project. Used by the GUI, the CLI commands, the
    REST API and the analysis and watch services (async)."""

    def __init__(self, projects: AsyncProjectRepository) -> None:
        self._projects = projects

    async def all(self) -> list[Project]:
        return await self._projects.all()

    async def get(self, project_id: str) -> Project | None:
        return await self._projects.get(project_id)

    async def find(self, name: str) -> Project | None:
        """The project called `name`, or None."""
        return await self._projects.get_by_name(name.strip())

    async def create(self, name: str, description: str = "") -> Project:
        """Create a project, or return the existing one with that name."""
        name = name.strip()
        if not name:
            raise VipError("A project needs a name")
        return await self._projects.add(Project(name=name, description=description))

    async def set_budget(self, project_id: str, budget_usd: float | None) -> Project:
        """Cap what the project's paid provider calls may cost (USD); None removes the cap."""
        if budget_usd is not None and not (math.isfinite(budget_usd) and budget_usd >= 0):
            raise VipError("A budget is an amount of US dollars, 0 or more")
        await self._projects.set_budget(project_id, budget_usd)
        project = await self._projects.get(project_id)
        assert project is not None
        return project

    async def ensure(self, name: str | None = None) -> Project:
        """Return the project called `name` (default: "Default"), creating it if needed."""
        name = name or DEFAULT_PROJECT
        return await self._projects.get_by_name(name) or await self.create(name)
