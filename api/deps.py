"""What a route may ask for with `Depends`: the caller checked against the token, core's services."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.wiring import Services

bearer = HTTPBearer(auto_error=False, description="the token `vip serve --show-token` prints")


def require_token(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    expected: str = request.app.state.token
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(401, "A bearer token is required: `Authorization: Bearer TOKEN` "
                                 "(`vip serve --show-token` prints it)")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _service(attribute: str) -> Callable[..., Any]:
    """A dependency giving one of core's services (the route's parameter names its type)."""
    def get(s: Services = Depends(services)) -> Any:
        return getattr(s, attribute)
    get.__name__ = attribute
    return get


projects = _service("projects")
library = _service("library")
jobs = _service("jobs")
analysis = _service("analysis")
providers = _service("providers")
exports = _service("exports")
search = _service("search")
