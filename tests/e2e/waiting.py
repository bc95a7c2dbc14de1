"""Polling for the end-to-end tests, which watch real processes from the outside."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1,
             tolerate: tuple[type[BaseException], ...] = ()) -> T:
    """Call `predicate` until it returns something truthy and return that; fail saying `what`
    after `timeout` s. Exceptions of the `tolerate` types count as "not yet" (a server starting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except tolerate:
            pass  # not yet
        else:
            if value:
                return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
