"""A visible focus ring around the control that has the keyboard (GUI thread).

Qt's Fusion style marks a focused button or box with a faint outline that an operator
tabbing through a dialog cannot follow. One `FocusRing` per top-level window follows
`QApplication.focusChanged` and draws a 2 px highlight-coloured frame around small
controls (buttons, boxes, combo boxes, sliders, tab bars); item views mark their current
item themselves and are left alone.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFocusFrame,
    QLineEdit,
    QTabBar,
    QWidget,
)

RING_TYPES = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider, QTabBar)
RING_WIDTH = 2


class FocusRing(QFocusFrame):
    """Draws the ring; QFocusFrame keeps it on top of its widget and follows moves and resizes."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().highlight().color(), RING_WIDTH)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = RING_WIDTH / 2
        painter.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 3, 3)


class _Follower(QObject):
    """Moves one ring per window to the widget that gets the focus."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._rings: dict[int, FocusRing] = {}
        app.focusChanged.connect(self._on_focus)

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        for ring in self._rings.values():
            ring.setWidget(None)
        if new is None or not isinstance(new, RING_TYPES):
            return
        window = new.window()
        ring = self._rings.get(id(window))
        if ring is None:
            ring = FocusRing(window)
            ring.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self._rings[id(window)] = ring
            ring.destroyed.connect(lambda *_args, key=id(window): self._rings.pop(key, None))
        ring.setWidget(new)


def install_focus_ring(app: QApplication) -> None:
    """Show a focus ring in every window of `app` (once per application)."""
    if app.property("vip_focus_ring"):
        return
    app.setProperty("vip_focus_ring", True)
    _Follower(app)
