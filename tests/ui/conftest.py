"""Qt tests: offscreen, with a qasync event loop driving the async controller."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")


@pytest.fixture
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def window(qtbot: Any) -> Any:
    """The main window alone (no controller), shown at 1280×800."""
    from ui.main_view import MainView

    view = MainView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Collect each test's garbage here, on the GUI thread, after its widgets are closed.

    Otherwise Python's cyclic collector may run later on whichever thread happens to allocate
    (an asyncio.to_thread worker reading thumbnails, say) and delete a widget's C++ object
    there: Qt cannot stop that object's timers from a foreign thread, and a later test's event
    processing fires one on freed memory (SIGSEGV in QTimerInfoList::activateTimers)."""
    yield
    gc.collect()
