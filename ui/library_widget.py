"""The video library: poster, name, duration, resolution and status of each video."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QDragEnterEvent, QDropEvent, QIcon, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableWidget, QTableWidgetItem, QWidget

from core.formatting import format_duration
from core.models import VideoStatus

if TYPE_CHECKING:
    from core.models import Video

COLUMNS = ("", "Name", "Duration", "Resolution", "Status")
POSTER_SIZE = QSize(112, 63)

_STATUS_TEXT = {
    VideoStatus.NEW: "New",
    VideoStatus.QUEUED: "Queued",
    VideoStatus.ANALYZING: "Analyzing…",
    VideoStatus.READY: "Ready",
    VideoStatus.FAILED: "Failed",
    VideoStatus.CANCELED: "Canceled",
}


class LibraryWidget(QTableWidget):
    """Lists a project's videos; accepts dropped files and folders for import.

    `remove_requested(video_ids)` is called for "Remove from library…" (context menu or Delete).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(POSTER_SIZE.height() + 8)
        self.setIconSize(POSTER_SIZE)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setColumnWidth(0, POSTER_SIZE.width() + 12)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col in (2, 3, 4):
            self.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.paths_dropped: Callable[[list[Path]], None] = lambda paths: None
        self.remove_requested: Callable[[list[str]], None] = lambda video_ids: None
        self.analyze_requested: Callable[[list[str], bool], None] = lambda video_ids, force: None
        self.analyze_action = QAction("Analyze", self)
        self.analyze_action.setToolTip("Queue analysis; stages that are up to date are skipped")
        self.analyze_action.triggered.connect(lambda: self._request_analyze(False))
        self.reanalyze_action = QAction("Re-analyze (all stages)", self)
        self.reanalyze_action.triggered.connect(lambda: self._request_analyze(True))
        self.remove_action = QAction("Remove from library…", self)
        self.remove_action.triggered.connect(lambda: self._request_remove())
        self._rows: dict[str, int] = {}

    def set_videos(self, videos: list[Video]) -> None:
        self.setRowCount(0)
        self._rows.clear()
        for video in videos:
            self.show_video(video)

    def show_video(self, video: Video) -> None:
        """Add or update the row of `video`."""
        row = self._rows.get(video.id)
        if row is None:
            row = self.rowCount()
            self.insertRow(row)
            self._rows[video.id] = row
            for col in range(len(COLUMNS)):
                self.setItem(row, col, QTableWidgetItem())
        media = video.media
        self.item(row, 1).setText(video.name)
        self.item(row, 1).setToolTip(video.path)
        self.item(row, 2).setText(format_duration(media.duration_s) if media else "—")
        self.item(row, 3).setText(media.resolution if media else "—")
        status = _STATUS_TEXT[video.status]
        self.item(row, 4).setText(status)
        self.item(row, 4).setToolTip(video.error or status)
        self.item(row, 0).setData(Qt.ItemDataRole.UserRole, video.id)

    def remove_video(self, video_id: str) -> None:
        """Drop the row of `video_id` (no-op when it is not listed)."""
        row = self._rows.pop(video_id, None)
        if row is None:
            return
        self.removeRow(row)
        self._rows = {vid: r - 1 if r > row else r for vid, r in self._rows.items()}

    def video_ids(self) -> list[str]:
        """The listed videos, top to bottom."""
        return sorted(self._rows, key=self._rows.__getitem__)

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [str(self.item(row, 0).data(Qt.ItemDataRole.UserRole)) for row in rows]

    def _request_analyze(self, force: bool) -> None:
        ids = self.selected_ids()
        if ids:
            self.analyze_requested(ids, force)

    def _request_remove(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.remove_requested(ids)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt API)
        row = self.rowAt(event.pos().y())
        if row < 0:
            return
        if row not in {index.row() for index in self.selectedIndexes()}:
            self.selectRow(row)
        menu = QMenu(self)
        menu.addAction(self.analyze_action)
        menu.addAction(self.reanalyze_action)
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.popup(event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Delete:
            self._request_remove()
        else:
            super().keyPressEvent(event)

    def set_poster(self, video_id: str, image: QImage) -> None:
        row = self._rows.get(video_id)
        if row is not None and not image.isNull():
            scaled = image.scaled(POSTER_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            self.item(row, 0).setIcon(QIcon(QPixmap.fromImage(scaled)))

    def row_text(self, video_id: str) -> dict[str, str]:
        """What the operator reads in a video's row (used by tests and benchmarks)."""
        row = self._rows[video_id]
        return {COLUMNS[c] or "poster": self.item(row, c).text() for c in range(1, len(COLUMNS))}

    def has_poster(self, video_id: str) -> bool:
        return not self.item(self._rows[video_id], 0).icon().isNull()

    # -- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.paths_dropped(paths)
        else:
            super().dropEvent(event)
