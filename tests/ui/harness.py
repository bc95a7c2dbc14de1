"""The main window on real services and the test database, as the app wires it (tests only)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import fields
from typing import Any, TypeVar

from app.api_server import InProcessApiServer
from app.settings import Settings
from app.wiring import Services, build_services
from app.worker_pool import WorkerPool
from core.repositories import DatabaseAddress
from core.services import ClientServices
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView

T = TypeVar("T")


@asynccontextmanager
async def running_app(qtbot: Any, vip_env: dict[str, str], workers: int = 0,
                      local_workers: Callable[[], int] | None = None, people: bool = False,
                      profiles: bool = False, watch: bool = False, api: bool = False, exports: bool = False,
                      ) -> AsyncIterator[tuple[MainView, MainController, Services]]:
    """A shown MainView with its controller started; `workers` real worker processes run
    beside it (stopped afterwards). `local_workers` stands in for the pool's count; `people`,
    `profiles`, `watch`, `api` and `exports` give the controller those services (the People page,
    speakers linked to people; the Analysis profile page; watch folders; the REST API page; the
    selects basket)."""
    settings = Settings.load(vip_env)
    pool = WorkerPool(settings, workers, env=vip_env) if workers else None
    services = await build_services(settings, DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    count = pool.check if pool else (local_workers or (lambda: 0))
    chosen = controller_services(services, people=services.people if people else None,
                                 profiles=services.profiles if profiles else None,
                                 watch=services.watch if watch else None,
                                 exports=services.exports if exports else None)
    controller = MainController(
        view, chosen,
        ControllerConfig(samples_dir=settings.data_dir / "samples", database_text="test server",
                         offer_samples=False, local_workers=count),
        api_server=InProcessApiServer(settings, services) if api else None)
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


def controller_services(services: ClientServices, **changes: Any) -> ClientServices:
    """The client services the controller gets: `services` with `changes` (a page's service
    left out with None); providers are left out unless given, as analysis keeps its own."""
    return ClientServices(**{**{f.name: getattr(services, f.name) for f in fields(ClientServices)},
                             "providers": None, **changes})


def run_gui_session(qloop: asyncio.AbstractEventLoop, qapp: Any, settings: Settings, view: MainView,
                    body: Callable[[], Awaitable[T]], exit_code: int) -> T:
    """Run the app's whole session (app.gui_session.gui_main: lease, migrations, services,
    controller) on `view`, with no workers, while `body` looks at the window; then close the
    window as the operator would and check the session ended with `exit_code`."""
    from app.embedded_db import DatabaseLease
    from app.gui_session import gui_main

    qapp.setQuitOnLastWindowClosed(False)  # closing the window ends gui_main, not the test's loop
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    handlers = [signal.getsignal(s) for s in signals]  # gui_main sets its own

    async def scenario() -> T:
        session = asyncio.ensure_future(gui_main(settings, DatabaseLease(settings), WorkerPool(settings, 0),
                                                 offer_samples=False, view=view))
        try:
            return await body()
        finally:
            view.close()
            assert await asyncio.wait_for(session, 30) == exit_code

    try:
        return qloop.run_until_complete(scenario())
    finally:
        for signum, handler in zip(signals, handlers):
            signal.signal(signum, handler)
        qapp.setQuitOnLastWindowClosed(True)
