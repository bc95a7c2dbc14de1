"""/api/v1/costs: what the providers cost, per project, provider or day, with cache savings."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api import deps
from core.services.projects import ProjectService
from core.services.providers import ProviderService

router = APIRouter(prefix="/costs", tags=["costs"])


class CostOut(BaseModel):
    key: str  # the project id, provider name or day (YYYY-MM-DD)
    name: str  # the project's name for by=project, else the key
    cost_usd: float
    saved_usd: float  # what the response cache saved
    calls: int
    cached_calls: int
    failed_calls: int


@router.get("", response_model=list[CostOut])
async def costs(by: Literal["project", "provider", "day"] = "project", project_id: str | None = Query(None),
                providers: ProviderService = Depends(deps.providers),
                projects: ProjectService = Depends(deps.projects)) -> list[CostOut]:
    names = {p.id: p.name for p in await projects.all()} if by == "project" else {}
    return [CostOut(key=t.key, name=names.get(t.key, t.key), cost_usd=t.cost_usd, saved_usd=t.saved_usd,
                    calls=t.calls, cached_calls=t.cached_calls, failed_calls=t.failed_calls)
            for t in await providers.costs(by, project_id)]
