"""Start the desktop app: Qt + qasync loop, database, local workers, main window.

Window first: the main window is shown (and painted) before the services, repositories and
the controller are imported, and while the embedded database starts; those imports (PyMongo,
NumPy, the search index, ~0.3 s) happen while the operator already sees the window saying
"Starting…". Keep this module's own imports light (benchmarks/bench_startup.py measures it).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import structlog

from app.settings import Settings
from app.embedded_db import DatabaseLease
from app.worker_pool import WorkerPool

log = structlog.get_logger(__name__)


def run_gui(settings: Settings) -> int:
    from PySide6.QtWidgets import QApplication
    import qasync

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("VIP Desktop")
    app.setQuitOnLastWindowClosed(False)
    lease = DatabaseLease(settings)
    pool = WorkerPool(settings, settings.workers)
    try:
        return int(qasync.run(gui_main(settings, lease, pool)) or 0)
    except RuntimeError as exc:  # Qt's loop stopped under us, e.g. the display went away
        log.error("gui_loop_stopped", error=str(exc))
        print(f"vip: the window system went away ({exc}); shutting down", file=sys.stderr)
        return 1
    finally:
        # Normally done already by gui_main; after a crash of the loop this stops the
        # workers and lets the last user stop the embedded database. Both are idempotent.
        pool.stop()
        lease.release()


def first_exposed(view: Any) -> asyncio.Event:
    """An event set when `view`'s window is first exposed (on screen, painted). With
    VIP_STARTUP_PROBE=1 (benchmarks/bench_startup.py) it also prints `window_shown <s>` on stderr,
    s = seconds since this process started (Linux; else since this module was imported)."""
    from PySide6.QtCore import QEvent, QObject

    exposed = asyncio.Event()
    report = bool(os.environ.get("VIP_STARTUP_PROBE"))

    class Probe(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Expose and watched.isExposed():
                if report:
                    print(f"window_shown {process_age_s():.3f}", file=sys.stderr, flush=True)
                exposed.set()
                watched.removeEventFilter(self)
            return False

    view.winId()  # creates the native window, so its QWindow exists before show()
    probe = Probe(view)
    view.windowHandle().installEventFilter(probe)
    return exposed


def process_age_s() -> float:
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            started_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED_AT


_IMPORTED_AT = time.perf_counter()


def settle_garbage_collector() -> None:
    """Move everything start-up created out of the collector's reach (gc.freeze).

    A full collection over PySide6, PyMongo and friends takes ~40 ms on a small machine: a
    visible hitch. Objects made after start-up are still collected as usual.
    """
    gc.collect()
    gc.freeze()


def database_text(settings: Settings, uri: str) -> str:
    if settings.mongo_uri is None:
        return f"embedded FerretDB ({urlsplit(uri).netloc})"
    host = urlsplit(uri).hostname or uri
    return f"MongoDB at {host}"


async def gui_main(settings: Settings, lease: DatabaseLease, pool: WorkerPool,
                   offer_samples: bool = True) -> int:
    """Run until the main window closes (or Ctrl+C), then shut everything down in order."""
    from PySide6.QtCore import QTimer

    from ui.main_view import MainView

    view = MainView()
    exposed = first_exposed(view)
    view.show()
    view.statusBar().showMessage("Starting the database…")
    stop = view.closed
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    wakeup = QTimer()  # lets Python run signal handlers while Qt waits
    wakeup.start(200)
    wakeup.timeout.connect(lambda: None)

    try:
        await asyncio.wait_for(exposed.wait(), 2.0)
    except TimeoutError:
        pass  # a window system that never exposes it (unusual); carry on regardless
    # Imported here, on this thread, after the first paint (not in the database thread below:
    # two threads importing PyMongo's circular modules at once can deadlock the import locks).
    from app.wiring import build_services
    from ui.main_controller import ControllerConfig, MainController

    try:
        database = await asyncio.to_thread(lease.acquire)  # may start FerretDB
    except Exception as exc:  # noqa: BLE001 - shown to the operator, then exit
        log.error("database_unavailable", error=str(exc))
        view.show_error("Database unavailable", str(exc))
        view.statusBar().showMessage("Database unavailable — close the window")
        await stop.wait()
        return 3
    services = await build_services(settings, database)
    await asyncio.to_thread(pool.start)
    controller = MainController(
        view, services.projects, services.imports, services.library, services.jobs,
        ControllerConfig(
            samples_dir=settings.data_dir / "samples",
            database_text=database_text(settings, database.uri),
            offer_samples=offer_samples,
            local_workers=pool.check,
        ),
        search=services.search,
        providers=services.providers,
    )
    try:
        await controller.start()
        settle_garbage_collector()
        view.statusBar().showMessage("Ready", 4000)
        await stop.wait()
    finally:
        view.hide()
        await controller.stop()
        await asyncio.to_thread(pool.stop)
        await services.close()
        await asyncio.to_thread(lease.release)
        log.info("gui_stopped")
    return 0
