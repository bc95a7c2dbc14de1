"""Run the desktop app as `vip gui` does, with one fault injected for tests/e2e/test_gui_shutdown.py.

    python tests/e2e/gui_driver.py hang   # once ready, the main thread blocks in C holding the GIL

`hang` is what the player deadlock looked like from outside: a main thread waiting on a lock
while holding the GIL, so it never gets back to Python and SIGTERM's handler never runs.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import app.gui_session as gui_session  # noqa: E402
from app.cli import main  # noqa: E402


def hang_the_main_thread() -> None:
    from PySide6.QtCore import QTimer

    def hang() -> None:
        (Path(os.environ["VIP_DATA_DIR"]) / "hanging").touch()
        # Lock a mutex twice through PyDLL, which keeps the GIL: a wait that signals do not
        # interrupt (unlike sleep()), so no Python runs in this process any more.
        libc = ctypes.PyDLL(None)
        mutex = ctypes.create_string_buffer(64)
        libc.pthread_mutex_init(mutex, None)
        libc.pthread_mutex_lock(mutex)
        libc.pthread_mutex_lock(mutex)

    QTimer.singleShot(200, hang)


if __name__ == "__main__":
    fault = sys.argv[1]
    settle = gui_session.settle_garbage_collector
    if fault == "hang":
        def settle_then_hang() -> None:
            settle()
            hang_the_main_thread()
        gui_session.settle_garbage_collector = settle_then_hang
    sys.exit(main(["gui"]))
