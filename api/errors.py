"""Every failure as `{"error": {"code", "message"}}` with the status an integrator expects."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from core.errors import Conflict, NotFound, VipError
from core.services.analysis import NothingToAnalyze, OverBudget

log = structlog.get_logger(__name__)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error(422, "invalid_request", problems)

    @app.exception_handler(HTTPException)
    async def http(_: Request, exc: HTTPException) -> JSONResponse:
        codes = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}
        response = error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(VipError)
    async def vip(_: Request, exc: VipError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return error(404, "not_found", str(exc))
        if isinstance(exc, OverBudget):
            return error(402, "over_budget", str(exc))
        if isinstance(exc, Conflict):
            return error(409, "conflict", str(exc))
        if isinstance(exc, NothingToAnalyze):
            return error(400, "no_videos", str(exc))
        return error(400, "bad_request", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("api_unexpected_error", method=request.method, path=request.url.path, exc_info=exc)
        return error(500, "internal_error", f"{type(exc).__name__}: the server's log has the details")
