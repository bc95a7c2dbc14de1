"""Guard against PySide6 builds that leak references to None/True (they crash the app)."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    fired = Signal(bool)


def test_qt_calls_keep_none_and_true_alive(qapp: Any) -> None:
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None per void call: after ~10^4
    calls the interpreter aborts ("none_dealloc"), e.g. after minutes of video playback."""
    label = QLabel()
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        label.setText("playing")
        label.update()
        emitter.fired.emit(True)
    assert sys.getrefcount(None) - none_before > -100
    assert sys.getrefcount(True) - true_before > -100
