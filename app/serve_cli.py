"""`vip serve`: the local REST API (api/) under uvicorn, with local workers for what it queues."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from api.token import load_or_create_token
from app.settings import Settings
from app.wiring import Services, services_for
from app.worker_pool import WorkerPool

DEFAULT_PORT = 8770
POOL_CHECK_S = 5.0


def run_serve(settings: Settings, host: str, port: int, show_token: bool, workers: int | None) -> int:
    """Serve until Ctrl+C or SIGTERM; `show_token` prints the token and returns."""
    token = load_or_create_token(settings.data_dir)
    if show_token:
        print(token)
        return 0
    import uvicorn

    from api.app import create_app

    count = settings.workers if workers is None else workers

    @contextlib.asynccontextmanager
    async def open_services() -> AsyncIterator[Services]:
        async with services_for(settings) as services:
            pool = WorkerPool(settings, count) if count > 0 else None
            watch: asyncio.Task[None] | None = None
            if pool:
                await asyncio.to_thread(pool.start)
                watch = asyncio.create_task(_keep_alive(pool))
            try:
                yield services
            finally:
                if watch:
                    watch.cancel()
                if pool:
                    await asyncio.to_thread(pool.stop)

    print(f"vip serve: http://{host}:{port}/api/v1 (OpenAPI: http://{host}:{port}/docs), {count} local "
          f"worker{'s' if count != 1 else ''}; every request needs `Authorization: Bearer TOKEN` "
          f"(`vip serve --show-token`)", file=sys.stderr, flush=True)
    uvicorn.run(create_app(open_services, token), host=host, port=port, log_level="warning")
    return 0


async def _keep_alive(pool: WorkerPool) -> None:
    """Restart workers that died, as the GUI and `vip analyze` do."""
    while True:
        await asyncio.sleep(POOL_CHECK_S)
        await asyncio.to_thread(pool.check)
