"""/api/v1/providers: the cloud providers and where their keys come from (never the keys), and a
project's routing (which provider does each capability). Keys are set on the machine itself
(`vip providers set-key`), never over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api import deps
from core.errors import NotFound
from core.models.routing import CAPABILITIES
from core.services.projects import ProjectService
from core.services.providers import ProviderService

router = APIRouter(tags=["providers"])


class ProviderOut(BaseModel):
    name: str
    key: str | None  # where its key comes from: "keyring", "environment", or None (not set)
    base_url: str


class RouteOut(BaseModel):
    capability: str
    provider: str  # "local" or a provider's name
    model: str | None


@router.get("/providers", response_model=list[ProviderOut])
async def list_providers(providers: ProviderService = Depends(deps.providers)) -> list[ProviderOut]:
    return [ProviderOut(name=s.name, key=s.key_source, base_url=s.base_url) for s in await providers.statuses()]


@router.get("/projects/{project_id}/routing", response_model=list[RouteOut])
async def routing(project_id: str, providers: ProviderService = Depends(deps.providers),
                  projects: ProjectService = Depends(deps.projects)) -> list[RouteOut]:
    if await projects.get(project_id) is None:
        raise NotFound(f"No project with id {project_id}")
    table = await providers.routing(project_id)
    return [RouteOut(capability=capability, provider=table.route(capability).provider,
                     model=table.route(capability).model or None) for capability in CAPABILITIES]
