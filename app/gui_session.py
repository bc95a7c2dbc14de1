"""The desktop app's session: the qasync loop, the database, local workers, the controller.

`app.gui.run_gui` shows the main window first and then calls `run_session` with it; the
imports here (asyncio, structlog, PyMongo, NumPy, the search index, ~0.3 s) happen while the
operator already sees the window saying "Starting…".
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog

from app.embedded_db import DatabaseLease
from app.settings import Settings
from app.watchdog import BEAT_S, MainThreadWatchdog
from app.api_server import InProcessApiServer
from app.wiring import build_services
from app.worker_pool import WorkerPool
from ui.main_controller import ControllerConfig, MainController

if TYPE_CHECKING:
    from ui.main_view import MainView

log = structlog.get_logger(__name__)


def run_session(settings: Settings, view: MainView | None = None) -> int:
    """Run the app on a qasync loop until its window closes; `view`: the already shown window."""
    import qasync
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication(sys.argv)
    lease = DatabaseLease(settings)
    pool = WorkerPool(settings, settings.workers)
    # Left armed after the session: a shutdown that hangs in Qt's or Python's teardown is ended too.
    watchdog = MainThreadWatchdog(settings.log_dir, enabled=os.environ.get("VIP_WATCHDOG", "1") != "0")
    try:
        return int(qasync.run(gui_main(settings, lease, pool, view=view, watchdog=watchdog)) or 0)
    except RuntimeError as exc:  # Qt's loop stopped under us, e.g. the display went away
        log.error("gui_loop_stopped", error=str(exc))
        print(f"vip: the window system went away ({exc}); shutting down", file=sys.stderr)
        return 1
    finally:
        # Normally done already by gui_main; after a crash of the loop this stops the
        # workers and lets the last user stop the embedded database. Both are idempotent.
        pool.stop()
        lease.release()


def settle_garbage_collector() -> None:
    """Move everything start-up created out of the collector's reach (gc.freeze).

    A full collection over PySide6, PyMongo and friends takes ~40 ms on a small machine: a
    visible hitch. Objects made after start-up are still collected as usual.
    """
    gc.collect()
    gc.freeze()


def database_problem(settings: Settings, exc: BaseException) -> str:
    """What the operator reads when the database cannot be used: damage found after the server
    started (SQLite through FerretDB) names the file and the backup to restore."""
    from app.db_backup import corruption_message, is_corruption_error

    if settings.mongo_uri is None and is_corruption_error(exc):
        return corruption_message(settings.data_dir, exc)
    return str(exc)


def database_text(settings: Settings, uri: str) -> str:
    if settings.mongo_uri is None:
        return "embedded FerretDB (private socket)"
    host = urlsplit(uri).hostname or uri
    return f"MongoDB at {host}"


async def _media_released(view: MainView, timeout_s: float = 3.0) -> None:
    """Let the player finish its queued stop and unload (see ui.player_widget), so nothing
    destroys it later with decoder threads still running."""
    view.close_media()
    deadline = time.monotonic() + timeout_s
    while not view.media_released() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def gui_main(settings: Settings, lease: DatabaseLease, pool: WorkerPool,
                   offer_samples: bool = True, view: MainView | None = None,
                   watchdog: MainThreadWatchdog | None = None) -> int:
    """Run until the main window closes (or SIGTERM, Ctrl+C, SIGHUP), then shut everything down
    in order. `watchdog` (app.watchdog) ends the process if the main thread stops answering."""
    from PySide6.QtCore import QTimer

    if view is None:
        from ui.main_view import MainView

        view = MainView()
        view.show()
    view.statusBar().showMessage("Starting the database…")
    watchdog = watchdog or MainThreadWatchdog(settings.log_dir, enabled=False)
    stop = asyncio.Event()

    def ask_to_stop(*_: object) -> None:  # the window closed, SIGTERM, SIGINT, SIGHUP
        watchdog.stopping()
        stop.set()

    view.closed.connect(ask_to_stop)
    if view.was_closed:
        ask_to_stop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, ask_to_stop)
    # A child of the window, stopped and deleted here: left to the garbage collector, a QTimer
    # can be collected on another thread (a PyMongo or keeper thread that happened to allocate),
    # and Qt then fires it at a deleted object.
    wakeup = QTimer(view)  # lets Python run signal handlers while Qt waits, and feeds the watchdog
    wakeup.timeout.connect(watchdog.beat)
    wakeup.start(int(BEAT_S * 1000))
    watchdog.beat()
    try:
        return await _serve(settings, lease, pool, offer_samples, view, stop)
    finally:
        wakeup.stop()
        wakeup.deleteLater()


async def _serve(settings: Settings, lease: DatabaseLease, pool: WorkerPool, offer_samples: bool,
                 view: MainView, stop: asyncio.Event) -> int:
    """gui_main's session: the database, the services, the controller, until `stop`."""
    loop = asyncio.get_running_loop()

    def migration_progress(text: str, done: int, total: int) -> None:  # from build_services' thread
        loop.call_soon_threadsafe(view.show_progress, text, done, total)

    try:
        database = await asyncio.to_thread(lease.acquire)  # may start FerretDB
        services = await build_services(settings, database, migration_progress)
    except Exception as exc:  # noqa: BLE001 - shown to the operator, then exit
        log.error("database_unavailable", error=str(exc))
        view.show_progress("", -1, -1)
        view.show_error("Database unavailable", database_problem(settings, exc))
        view.statusBar().showMessage("Database unavailable — close the window")
        view.db_label.setText("Database: unavailable")
        view.workers_label.setText("Workers: not started")
        await stop.wait()
        await asyncio.to_thread(lease.release)
        return 3
    await asyncio.to_thread(pool.start)
    controller = MainController(
        view, services,
        ControllerConfig(
            samples_dir=settings.data_dir / "samples",
            database_text=database_text(settings, database.uri),
            offer_samples=offer_samples,
            local_workers=pool.check,
        ),
        api_server=InProcessApiServer(settings, services),
    )
    try:
        await controller.start()
        settle_garbage_collector()
        view.statusBar().showMessage("Ready", 4000)
        log.info("gui_ready", workers=pool.pids)
        await stop.wait()
    finally:
        view.hide()
        try:  # each step runs even if one before it failed: the lease last, always
            await _media_released(view)
            await controller.stop()
        finally:
            try:
                await asyncio.to_thread(pool.stop)
                await services.close()
            finally:
                await asyncio.to_thread(lease.release)
        log.info("gui_stopped")
    return 0
