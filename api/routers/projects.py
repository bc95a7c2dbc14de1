"""/api/v1/projects: list and create projects."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api import deps
from api.schemas import ProjectIn, ProjectOut
from core.errors import Conflict
from core.services.projects import ProjectService

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("", response_model=list[ProjectOut])
async def list_projects(projects: ProjectService = Depends(deps.projects)) -> list[ProjectOut]:
    return [ProjectOut.of(p) for p in await projects.all()]


@router.post("", response_model=ProjectOut, status_code=201)
async def create_project(body: ProjectIn, projects: ProjectService = Depends(deps.projects)) -> ProjectOut:
    if await projects.find(body.name):
        raise Conflict(f"A project named {body.name!r} exists already")
    return ProjectOut.of(await projects.create(body.name, body.description))
