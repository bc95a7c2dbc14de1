"""The shot strip: one keyframe thumbnail per shot, its number and start time (m:ss, the
review screen's list clock, `core.formatting.format_timestamp`).

Runs on the GUI thread and reads no files: keyframes arrive as QImages decoded on a worker
thread (`ui.thumbnails.read_thumbnail`, called through asyncio.to_thread by the detail view) and become
QPixmaps here, on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from core.formatting import format_timestamp
from core.models import Shot

THUMB_HEIGHT = 90
MAX_THUMB_WIDTH = 200


class ShotStripWidget(QListWidget):
    """A horizontal strip of shots; emits `shot_clicked(index)`; `highlight` marks the shot playing."""

    shot_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the player
        self.setSpacing(4)
        self.setStyleSheet(
            "QListWidget::item { border: 3px solid transparent; border-radius: 4px; padding: 2px; }"
            "QListWidget::item:selected { border: 3px solid #2f80ed; background: #d6e6fb;"
            " color: black; }")
        self._shots: list[Shot] = []
        self._highlighted: int | None = None
        self._thumbs: set[int] = set()
        self.set_thumb_size(QSize(160, THUMB_HEIGHT))
        self.itemClicked.connect(lambda item: self.shot_clicked.emit(self.row(item)))

    def set_thumb_size(self, size: QSize) -> None:
        self.setIconSize(size)
        self.setGridSize(QSize(size.width() + 16, size.height() + 34))
        scroll = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(size.height() + 34 + scroll + 2 * self.frameWidth() + 6)

    def set_shots(self, shots: list[Shot], start_s: float = 0.0, aspect: float = 16 / 9) -> None:
        """Show `shots` with colour placeholders; thumbnails come later via `set_thumbnail`."""
        width = max(48, min(MAX_THUMB_WIDTH, round(THUMB_HEIGHT * aspect)))
        self.set_thumb_size(QSize(width, THUMB_HEIGHT))
        self.clear()
        self._shots = list(shots)
        self._highlighted = None
        self._thumbs.clear()
        for shot in shots:
            item = QListWidgetItem(f"#{shot.index + 1}  {format_timestamp(shot.start_s - start_s)}")
            item.setIcon(QIcon(self._placeholder(shot)))
            item.setToolTip(
                f"Shot {shot.index + 1}: {format_timestamp(shot.start_s - start_s)} – "
                f"{format_timestamp(shot.end_s - start_s)} ({shot.duration_s:.2f} s), "
                f"begins with a {shot.transition if shot.transition != 'start' else 'video start'}"
                "\nClick to play from here")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(item)

    def _placeholder(self, shot: Shot) -> QPixmap:
        """The shot's mean colour until its keyframe is loaded ("no keyframe" if it has none)."""
        pixmap = QPixmap(self.iconSize())
        r, g, b = (list(shot.mean_rgb) + [0, 0, 0])[:3]
        pixmap.fill(QColor(r, g, b) if any((r, g, b)) else QColor("#5a5f66"))
        painter = QPainter(pixmap)
        painter.setPen(QColor("#d0d0d0"))
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter,
                         "…" if shot.keyframe_path else "no keyframe")
        painter.end()
        return pixmap

    def set_thumbnail(self, index: int, image: QImage) -> None:
        """Show a keyframe decoded off the loop (GUI thread: converts to QPixmap here)."""
        item = self.item(index)
        if item is None or image.isNull():
            return
        item.setIcon(QIcon(QPixmap.fromImage(image)))
        self._thumbs.add(index)

    def has_thumbnail(self, index: int) -> bool:
        return index in self._thumbs

    def highlight(self, index: int | None) -> None:
        """Select the shot that is playing and scroll it into view (no signal)."""
        if index == self._highlighted:
            return
        self._highlighted = index
        self.blockSignals(True)
        if index is None or self.item(index) is None:
            self.clearSelection()
        else:
            self.setCurrentRow(index)
            self.scrollToItem(self.item(index), QAbstractItemView.ScrollHint.EnsureVisible)
        self.blockSignals(False)
        self.viewport().update()

    def highlighted(self) -> int | None:
        """The index of the highlighted (selected) shot, as the operator sees it."""
        rows = [self.row(item) for item in self.selectedItems()]
        return rows[0] if rows else None

