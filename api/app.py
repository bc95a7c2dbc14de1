"""The FastAPI application: the routers under /api/v1, the token on every route, OpenAPI at /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI

from api import deps
from api.errors import install_error_handlers
from api.routers import costs, exports, jobs, projects, providers, search, videos
from api.schemas import ErrorOut
from app.wiring import Services

PREFIX = "/api/v1"
ERRORS = {code: {"model": ErrorOut} for code in (400, 401, 402, 404, 409, 422, 500)}


def create_app(open_services: Callable[[], AbstractAsyncContextManager[Services]], token: str) -> FastAPI:
    """`open_services` gives the services for the app's lifetime (app.wiring.services_for);
    every route under /api/v1 needs `Authorization: Bearer <token>`. /docs and /openapi.json
    describe the API and hold no data: they are open, so a browser can show them."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services() as services:
            app.state.services = services
            yield

    app = FastAPI(title="VIP Desktop API", version="1", lifespan=lifespan, responses=ERRORS)  # type: ignore[arg-type]
    app.state.token = token
    install_error_handlers(app)
    for module in (projects, videos, exports, jobs, search, costs, providers):
        app.include_router(module.router, prefix=PREFIX, dependencies=[Depends(deps.require_token)])
    return app
