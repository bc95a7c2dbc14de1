"""Open the desktop app: the main window first, then everything else.

`run_gui` shows (and paints) the main window before it imports asyncio, structlog, the
services and the controller, so the operator sees the app at once; the session
(`app.gui_session`: the database, local workers, the controller on a qasync loop) then starts
behind a status bar saying "Starting…". Keep this module's imports, and those of
`ui.main_view` up to its first paint, light: `benchmarks/bench_startup.py` measures them.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.settings import Settings


def run_gui(settings: Settings) -> int:
    from PySide6.QtWidgets import QApplication

    from ui.main_view import MainView

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("VIP Desktop")
    app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]  # QApplication's, not QCoreApplication's
    view = MainView()
    if os.environ.get("VIP_STARTUP_PROBE"):
        report_first_expose(view)
    view.show()
    view.statusBar().showMessage("Starting…")
    app.processEvents()  # paint it now, before the imports below

    from app.logs import configure_logging

    configure_logging("gui", settings.log_dir)
    from app.gui_session import run_session

    return run_session(settings, view)


def report_first_expose(view: Any) -> None:
    """VIP_STARTUP_PROBE=1 (benchmarks/bench_startup.py): print `window_shown <s>` on stderr when the
    main window is first exposed, s = seconds since this process started (Linux; else since import)."""
    from PySide6.QtCore import QEvent, QObject

    class Probe(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Expose and watched.isExposed():
                print(f"window_shown {process_age_s():.3f}", file=sys.stderr, flush=True)
                watched.removeEventFilter(self)
            return False

    view.winId()  # creates the native window, so its QWindow exists before show()
    probe = Probe(view)
    view.windowHandle().installEventFilter(probe)


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
