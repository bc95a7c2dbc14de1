"""The main window on real services and the test database, as the app wires it (tests only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from app.settings import Settings
from app.wiring import Services, build_services
from app.worker_pool import WorkerPool
from core.repositories import Database
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView


@asynccontextmanager
async def running_app(qtbot: Any, vip_env: dict[str, str], workers: int = 0,
                      local_workers: Callable[[], int] | None = None,
                      ) -> AsyncIterator[tuple[MainView, MainController, Services]]:
    """A shown MainView with its controller started; `workers` real worker processes run
    beside it (stopped afterwards). `local_workers` stands in for the pool's count."""
    settings = Settings.load(vip_env)
    pool = WorkerPool(settings, workers, env=vip_env) if workers else None
    services = await build_services(settings, Database(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    count = pool.check if pool else (local_workers or (lambda: 0))
    controller = MainController(
        view, services.projects, services.imports, services.library, services.jobs,
        ControllerConfig(samples_dir=settings.data_dir / "samples", database_text="test server",
                         offer_samples=False, local_workers=count), search=services.search)
    if pool:
        pool.start()
    try:
        await controller.start()
        yield view, controller, services
    finally:
        await controller.stop()
        if pool:
            await asyncio.to_thread(pool.stop)
        await services.close()
