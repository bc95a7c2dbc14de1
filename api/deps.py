"""What a route may ask for with `Depends`: the caller checked against the token, core's services."""

from __future__ import annotations

import secrets

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.wiring import Services
from core.services.analysis import AnalysisService
from core.services.exports import ExportService
from core.services.jobs import JobService
from core.services.library import LibraryService
from core.services.projects import ProjectService
from core.services.providers import ProviderService
from core.search.service import SearchService

bearer = HTTPBearer(auto_error=False, description="the token `vip serve --show-token` prints")


def require_token(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    expected: str = request.app.state.token
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(401, "A bearer token is required: `Authorization: Bearer TOKEN` "
                                 "(`vip serve --show-token` prints it)")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def projects(s: Services = Depends(services)) -> ProjectService:
    return s.projects


def library(s: Services = Depends(services)) -> LibraryService:
    return s.library


def jobs(s: Services = Depends(services)) -> JobService:
    return s.jobs


def analysis(s: Services = Depends(services)) -> AnalysisService:
    return s.analysis


def providers(s: Services = Depends(services)) -> ProviderService:
    return s.providers


def exports(s: Services = Depends(services)) -> ExportService:
    return s.exports


def search(s: Services = Depends(services)) -> SearchService:
    return s.search
