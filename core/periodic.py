"""A daemon thread that calls a function every few seconds until stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    """Call `fn` every `interval_s` seconds on a daemon thread; errors are logged, not raised.

    Use as a context manager around work that must look alive (heartbeats).
    """

    def __init__(self, name: str, interval_s: float, fn: Callable[[], None]) -> None:
        self._name = name
        self._interval = interval_s
        self._fn = fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._fn()
            except Exception:  # noqa: BLE001 - a failed beat must not kill the thread
                log.warning("periodic_call_failed", periodic=self._name, exc_info=True)

    def __enter__(self) -> Periodic:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
