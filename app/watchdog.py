"""A native watchdog for the GUI's main thread: if it stops answering, the process ends.

A Python signal handler runs only when the main thread gets back to Python. A main thread stuck
inside a C call that holds the GIL never does: SIGTERM and Ctrl+C set a flag that nothing reads.
The player deadlock did that (see ui.player_widget). Only a thread that needs no GIL can still act.
faulthandler's timer thread is such a thread: `dump_traceback_later(..., exit=True)` writes every
thread's Python stack and calls `_exit(1)` when it is not re-armed in time.

- While the app runs, the event loop re-arms it every `BEAT_S`. A main thread that stalls for
  `stall_s` ends the process, whether or not anyone asked it to stop.
- Once a stop is asked for (SIGTERM, Ctrl+C, the window closed), it is armed one last time
  for `shutdown_s`, so an orderly shutdown that hangs is ended as well.

What the process leaves behind is then cleaned up without it:
- Its workers get SIGTERM from the kernel (`PR_SET_PDEATHSIG`, app.worker_pool). They hand their
  jobs back, and the last of them to leave stops the embedded database (app.embedded_db).
- The stacks go to `<log dir>/watchdog.log`.
"""

from __future__ import annotations

import faulthandler
from pathlib import Path
from typing import IO

import structlog

log = structlog.get_logger(__name__)

BEAT_S = 0.5
STALL_S = 8.0  # a stuck main thread ends the app this long after it stopped answering
SHUTDOWN_S = 9.0  # an asked-for stop ends the app this long after it was asked for, at worst


class MainThreadWatchdog:
    def __init__(self, log_dir: Path, stall_s: float = STALL_S, shutdown_s: float = SHUTDOWN_S,
                 enabled: bool = True) -> None:
        """`enabled=False`: every method does nothing (in-process tests; VIP_WATCHDOG=0 to debug)."""
        self.enabled = enabled
        self._stall_s = stall_s
        self._shutdown_s = shutdown_s
        self._path = log_dir / "watchdog.log"
        self._file: IO[str] | None = None
        self._stopping = False

    def beat(self) -> None:
        """The main thread is alive: push the deadline `stall_s` further (from the event loop)."""
        if self.enabled and not self._stopping:
            self._arm(self._stall_s)

    def stopping(self) -> None:
        """A stop was asked for: the process must be gone within `shutdown_s` from now."""
        if not self.enabled or self._stopping:
            return
        self._stopping = True
        self._arm(self._shutdown_s)
        log.info("watchdog_shutdown_deadline", seconds=self._shutdown_s)

    def cancel(self) -> None:
        if self.enabled:
            faulthandler.cancel_dump_traceback_later()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _arm(self, seconds: float) -> None:
        if self._file is None:  # written to only when it fires ("Timeout (0:00:08)!", then the stacks)
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("a", encoding="utf-8")
        faulthandler.dump_traceback_later(seconds, exit=True, file=self._file)
