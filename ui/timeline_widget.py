"""The timeline bar: shot boundaries, black stretches, playhead, hover preview, click to seek.

Runs on the GUI thread. It never reads files: the sprite sheet arrives as a QPixmap through
`set_sprite` (the detail view decodes it with asyncio.to_thread). Times are media time
(PTS seconds, as on shots); the bar spans `start_s` .. `start_s + duration_s`.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QPolygon
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core.models import Segment, Shot, Timeline
from ui.player_widget import format_clock

TRANSITION_COLORS = {
    "cut": QColor("#f2f2f2"),
    "fade": QColor("#f5a623"),
    "dissolve": QColor("#4fc3f7"),
}
BLACK_COLOR = QColor(0, 0, 0, 200)
SHOT_TINTS = (QColor("#3a4250"), QColor("#48515f"))  # alternate so neighbouring shots differ
PLAYHEAD_COLOR = QColor("#e53935")
PREVIEW_WIDTH = 192


class TimelineLegendWidget(QWidget):
    """The colour key of the timeline: swatches with a border, so light and black both show."""

    ITEMS = (("Cut", TRANSITION_COLORS["cut"]), ("Fade", TRANSITION_COLORS["fade"]),
             ("Dissolve", TRANSITION_COLORS["dissolve"]), ("Black frames", QColor("#000000")),
             ("Playhead", PLAYHEAD_COLOR))
    HINT = "Hover the bar for a preview, click or drag to jump"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 4)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        metrics = self.fontMetrics()
        box = metrics.height() - 6
        x, y = 4, (self.height() - box) // 2
        for text, color in self.ITEMS:
            painter.fillRect(QRect(x, y, box, box), QColor("#2b2f36"))
            painter.fillRect(QRect(x + 2, y + 2, box - 4, box - 4), color)
            x += box + 4
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(QRect(x, 0, metrics.horizontalAdvance(text) + 2, self.height()),
                             Qt.AlignmentFlag.AlignVCenter, text)
            x += metrics.horizontalAdvance(text) + 16
        painter.setPen(QColor("#666666"))
        painter.drawText(QRect(x + 8, 0, max(0, self.width() - x - 8), self.height()),
                         Qt.AlignmentFlag.AlignVCenter, self.HINT)
        painter.end()


class _PreviewPopup(QFrame):
    """A frameless tooltip window: the sprite tile for the hovered time, and the time."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.ToolTip)
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("background: #202225; color: #f0f0f0; border: 1px solid #888;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setStyleSheet("border: none;")
        self.text = QLabel()
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setStyleSheet("border: none; font-family: monospace;")
        layout.addWidget(self.image)
        layout.addWidget(self.text)


class TimelineWidget(QWidget):
    """Paints the video's shots and black stretches; emits `seek_requested(media_s)`."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._start_s = 0.0
        self._duration_s = 0.0
        self._shots: list[Shot] = []
        self._black: list[Segment] = []
        self._timeline: Timeline | None = None
        self._sprite: QPixmap | None = None
        self._position_s = 0.0
        self.popup = _PreviewPopup(self)
        self.hovered_s: float | None = None

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(400, 34)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(100, 34)

    # -- content ------------------------------------------------------------------------------
    def set_video(self, start_s: float, duration_s: float, shots: list[Shot],
                  black_segments: list[Segment], timeline: Timeline | None) -> None:
        self._start_s = start_s
        self._duration_s = max(0.0, duration_s)
        self._shots = list(shots)
        self._black = list(black_segments)
        self._timeline = timeline
        self._sprite = None
        self._position_s = start_s
        self.popup.hide()
        self.update()

    def set_sprite(self, sprite: QPixmap | None) -> None:
        """The decoded sprite sheet of `timeline` (None: hover shows the time only)."""
        self._sprite = sprite if sprite is not None and not sprite.isNull() else None

    def has_sprite(self) -> bool:
        return self._sprite is not None

    def set_position(self, media_s: float) -> None:
        old_x = self.x_for_time(self._position_s)
        self._position_s = media_s
        new_x = self.x_for_time(media_s)
        if old_x != new_x:
            self.update(QRect(min(old_x, new_x) - 6, 0, abs(new_x - old_x) + 13, self.height()))

    def position_s(self) -> float:
        return self._position_s

    # -- geometry -----------------------------------------------------------------------------
    def _bar(self) -> QRect:
        return self.rect().adjusted(4, 6, -4, -4)

    def x_for_time(self, media_s: float) -> int:
        bar = self._bar()
        if self._duration_s <= 0:
            return bar.left()
        fraction = (media_s - self._start_s) / self._duration_s
        return bar.left() + round(max(0.0, min(1.0, fraction)) * bar.width())

    def time_at_x(self, x: float) -> float:
        bar = self._bar()
        fraction = (x - bar.left()) / max(1, bar.width())
        return self._start_s + max(0.0, min(1.0, fraction)) * self._duration_s

    # -- sprite tiles -------------------------------------------------------------------------
    def tile_index(self, media_s: float) -> int | None:
        """Index of the sprite tile for `media_s` (tiles count from the first frame)."""
        if self._timeline is None:
            return None
        return self._timeline.tile_at(max(0.0, media_s - self._start_s))

    def tile_rect(self, media_s: float) -> QRect | None:
        """The tile's rectangle in the sprite sheet (row-major tiles)."""
        index = self.tile_index(media_s)
        if index is None or self._timeline is None:
            return None
        t = self._timeline
        columns = max(1, t.columns)
        return QRect((index % columns) * t.tile_width, (index // columns) * t.tile_height,
                     t.tile_width, t.tile_height)

    def preview_pixmap(self, media_s: float) -> QPixmap | None:
        rect = self.tile_rect(media_s)
        if rect is None or self._sprite is None:
            return None
        tile = self._sprite.copy(rect)
        if tile.width() < PREVIEW_WIDTH:
            tile = tile.scaledToWidth(PREVIEW_WIDTH, Qt.TransformationMode.SmoothTransformation)
        return tile

    def shot_at(self, media_s: float) -> Shot | None:
        for shot in self._shots:
            if shot.start_s <= media_s < shot.end_s:
                return shot
        return self._shots[-1] if self._shots and media_s >= self._shots[-1].start_s else None

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        bar = self._bar()
        painter.fillRect(bar, QColor("#2b2f36"))
        for i, shot in enumerate(self._shots):
            x0, x1 = self.x_for_time(shot.start_s), self.x_for_time(shot.end_s)
            painter.fillRect(QRect(x0, bar.top(), max(1, x1 - x0), bar.height()), SHOT_TINTS[i % 2])
        for segment in self._black:
            x0, x1 = self.x_for_time(segment.start_s), self.x_for_time(segment.end_s)
            painter.fillRect(QRect(x0, bar.top(), max(2, x1 - x0), bar.height()), BLACK_COLOR)
        for shot in self._shots:
            color = TRANSITION_COLORS.get(shot.transition)
            if color is None:
                continue
            x = self.x_for_time(shot.start_s)
            painter.fillRect(QRect(x - 1, bar.top(), 3, bar.height()), color)
        painter.setPen(QPen(QColor("#6b7280")))
        painter.drawRect(bar.adjusted(0, 0, -1, -1))
        if self._duration_s > 0:
            x = self.x_for_time(self._position_s)
            painter.fillRect(QRect(x - 1, 1, 2, self.height() - 2), PLAYHEAD_COLOR)
            painter.setBrush(PLAYHEAD_COLOR)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPolygon(QPolygon([QPoint(x - 5, 0), QPoint(x + 5, 0), QPoint(x, 6)]))
        if self.hovered_s is not None:
            painter.setPen(QPen(QColor(255, 255, 255, 140)))
            x = self.x_for_time(self.hovered_s)
            painter.drawLine(x, bar.top(), x, bar.bottom())
        painter.end()

    # -- mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton and self._duration_s > 0:
            self.seek_requested.emit(self.time_at_x(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._duration_s <= 0:
            return
        media_s = self.time_at_x(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seek_requested.emit(media_s)
        self.show_preview(media_s)

    def leaveEvent(self, _event: object) -> None:  # noqa: N802 (Qt API)
        self.hide_preview()

    def hideEvent(self, _event: object) -> None:  # noqa: N802 (Qt API)
        self.hide_preview()

    def show_preview(self, media_s: float) -> None:
        """Show the hover popup for `media_s` above the bar."""
        self.hovered_s = media_s
        pixmap = self.preview_pixmap(media_s)
        if pixmap is not None:
            self.popup.image.setPixmap(pixmap)
        self.popup.image.setVisible(pixmap is not None)
        text = format_clock(media_s - self._start_s)
        shot = self.shot_at(media_s)
        if shot is not None:
            text += f"  ·  shot {shot.index + 1}"
        self.popup.text.setText(text)
        self.popup.adjustSize()
        x = self.x_for_time(media_s)
        anchor = self.mapToGlobal(QPoint(x, 0))
        self.popup.move(anchor.x() - self.popup.width() // 2, anchor.y() - self.popup.height() - 6)
        self.popup.show()
        self.update()

    def hide_preview(self) -> None:
        self.hovered_s = None
        self.popup.hide()
        self.update()

    def preview_text(self) -> str:
        return self.popup.text.text() if self.popup.isVisible() else ""

    def boundary_rects(self) -> dict[int, QRectF]:
        """Where each shot boundary tick is painted, by shot index (for tests)."""
        bar = self._bar()
        return {s.index: QRectF(self.x_for_time(s.start_s) - 1, bar.top(), 3, bar.height())
                for s in self._shots if s.transition in TRANSITION_COLORS}
