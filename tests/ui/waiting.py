"""Waiting inside a qasync test: poll a condition while the loop keeps running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def wait_until(condition: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    """Return the condition's first truthy value; fail naming `what` after `timeout` seconds.

    qtbot.waitUntil would spin a nested Qt event loop that runs other asyncio tasks while
    the test's own task is mid-step, so async tests wait with this instead.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
