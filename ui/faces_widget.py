"""The faces panel: one thumbnail per face appearance; a click plays the video from there.

Runs on the GUI thread and reads nothing: the detail view hands it the video's face segments
and, later, the crops decoded off the loop (`set_thumbnail`). Per-shot counts (faces on
each shot's keyframe) are shown in the header and on each thumbnail's tooltip.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from core.faces import FaceAppearance, face_appearances, faces_per_shot
from core.models import Shot, TextSegment
from ui.transcript_widget import format_line_time

NOT_RUN_TEXT = "No faces yet — the faces stage has not run"
NO_FACES_TEXT = "No faces found in this video"
FAILED_TEXT = "No faces — the faces stage failed (see the job's error in the library)"
THUMB = QSize(72, 72)


def empty_text(faces_status: str | None) -> str:
    """What the panel says when there are no faces, given the faces stage's status."""
    if faces_status == "succeeded":
        return NO_FACES_TEXT
    if faces_status == "failed":
        return FAILED_TEXT
    return NOT_RUN_TEXT


class FacesWidget(QWidget):
    """Face thumbnails in time order; emits `seek_requested(media_s)` when one is clicked."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setStyleSheet("color: #555;")
        self.empty_label = QLabel(NOT_RUN_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_label.setStyleSheet("color: #555; padding: 16px 4px;")
        self.grid = QListWidget()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(THUMB)
        self.grid.setGridSize(QSize(THUMB.width() + 16, THUMB.height() + 30))
        self.grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the player
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.itemClicked.connect(lambda item: self.seek_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.grid, 1)
        self._appearances: list[FaceAppearance] = []

    def set_faces(self, segments: list[TextSegment], shots: list[Shot], start_s: float = 0.0,
                  faces_status: str | None = None) -> list[FaceAppearance]:
        """Show the appearances of `segments`; returns them so the caller can load their crops."""
        self._appearances = face_appearances(segments)
        counts = faces_per_shot(shots, segments)
        starts = [s.start_s for s in shots]
        self.grid.clear()
        placeholder = QPixmap(THUMB)
        placeholder.fill(QColor("#5a5f66"))
        for appearance in self._appearances:
            item = QListWidgetItem(QIcon(placeholder), format_line_time(appearance.start_s - start_s))
            item.setData(Qt.ItemDataRole.UserRole, appearance.start_s)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            tip = (f"{format_line_time(appearance.start_s - start_s)} – {format_line_time(appearance.end_s - start_s)}"
                   f", seen {appearance.detections}×")
            shot = bisect.bisect_right(starts, appearance.start_s + 1e-6) - 1
            if 0 <= shot < len(shots):
                n = counts.get(shots[shot].index, 0)
                tip += f"\nShot {shots[shot].index + 1}: {n} face{'s' if n != 1 else ''} on its keyframe"
            item.setToolTip(tip + "\nClick to play from here")
            self.grid.addItem(item)
        with_faces = sum(1 for n in counts.values() if n)
        self.header.setText(f"{len(self._appearances)} appearance{'s' if len(self._appearances) != 1 else ''}"
                            f" · faces on {with_faces} of {len(shots)} shot keyframes" if self._appearances else "")
        self.header.setVisible(bool(self._appearances))
        self.empty_label.setText(empty_text(faces_status))
        self.empty_label.setVisible(not self._appearances)
        self.grid.setVisible(bool(self._appearances))
        return list(self._appearances)

    def set_thumbnail(self, index: int, image: QImage) -> None:
        """Show a face crop decoded off the loop (GUI thread: converts to QPixmap here)."""
        item = self.grid.item(index)
        if item is not None and not image.isNull():
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def count(self) -> int:
        return self.grid.count()

    def labels(self) -> list[str]:
        """The time under each thumbnail, as the operator reads it."""
        return [self.grid.item(i).text() for i in range(self.grid.count())]

    def item_rect(self, index: int) -> QRect:
        """Where thumbnail `index` is drawn, in the grid's viewport coordinates."""
        return self.grid.visualItemRect(self.grid.item(index))
