"""The REST API inside a running process (the GUI session, the self-test): uvicorn on this
process's asyncio loop over services it already has. `vip serve` (app/serve_cli.py) is the headless
form."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import structlog

from api.token import load_or_create_token
from app.settings import Settings
from app.wiring import Services

if TYPE_CHECKING:
    import uvicorn

log = structlog.get_logger(__name__)
START_TIMEOUT_S = 20.0


class InProcessApiServer:
    """Start and stop the API on this loop; `url` is None while stopped."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self._settings, self._services = settings, services
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self.url: str | None = None

    @property
    def token(self) -> str:
        return load_or_create_token(self._settings.data_dir)

    async def start(self, host: str, port: int) -> str:
        """Serve on host:port; the base URL. OSError (the port in use) or RuntimeError when it cannot."""
        import uvicorn

        from api.app import create_app

        if self.url is not None:
            return self.url
        services = self._services

        @contextlib.asynccontextmanager
        async def these_services() -> AsyncIterator[Services]:
            yield services

        server = uvicorn.Server(uvicorn.Config(create_app(these_services, self.token), host=host, port=port,
                                               log_level="warning"))
        # The process's SIGINT/SIGTERM stay the app's (uvicorn would take them while it serves).
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        listening = _bind(host, port)  # OSError here when the port is taken (uvicorn would sys.exit)

        async def serve() -> None:
            try:
                await server.serve(sockets=[listening])
            except SystemExit as exc:  # uvicorn's way of failing at start
                raise RuntimeError(f"the API stopped at start (exit {exc.code})") from None
            finally:
                listening.close()

        serving = asyncio.create_task(serve())
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if serving.done() or time.monotonic() > deadline:
                server.should_exit = True
                await asyncio.gather(serving, return_exceptions=True)
                raise RuntimeError(f"the API could not listen on {host}:{port} (is the port in use?)")
            await asyncio.sleep(0.05)
        self._server, self._serving = server, serving
        self.url = f"http://{host}:{port}/api/v1"
        log.info("api_started", url=self.url)
        return self.url

    async def stop(self) -> None:
        if self._serving is None or self._server is None:
            return
        self._server.should_exit = True
        await asyncio.gather(self._serving, return_exceptions=True)
        self._server, self._serving, self.url = None, None, None
        log.info("api_stopped")


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (IPv4 or IPv6, as the address says)."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
    except OSError:
        listening.close()
        raise
    return listening
