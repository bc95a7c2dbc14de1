"""The library's poster grid: a QListView in icon mode over the list's model and selection.

Runs on the GUI thread. The grid is built and owned by LibraryWidget (ui/library_widget.py),
which handles what the grid's context menu, Delete key and drops ask for; MainView places it
under the list and the List/Grid toggle shows one or the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ui.library_model import (
    DURATION,
    FAILED_COLOR,
    FAILED_ROLE,
    GRID_POSTER,
    GRID_POSTER_ROLE,
    NO_POSTER_ROLE,
    RESOLUTION,
    STATUS_ROLE,
    placeholder,
)

if TYPE_CHECKING:
    from ui.library_widget import LibraryWidget

GRID_CELL = QSize(GRID_POSTER.width() + 20, GRID_POSTER.height() + 54)


def accept_drops(view: QAbstractItemView) -> None:
    """Let a library view take dropped files and folders (and never drag its own items)."""
    view.setAcceptDrops(True)
    view.viewport().setAcceptDrops(True)
    view.setDragEnabled(False)
    view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)


class LibraryGridView(QListView):
    """The library as a grid of posters, each with the name and a line of facts or status below."""

    def __init__(self, owner: LibraryWidget) -> None:
        super().__init__()
        self._owner = owner
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setGridSize(GRID_CELL)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(GridDelegate(self))
        accept_drops(self)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt API)
        self._owner.show_menu(self, event.pos(), event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Delete:
            self._owner.request_remove()
        else:
            super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if not self._owner.accept_drag(event):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt API)
        if not self._owner.accept_drag(event):
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        if not self._owner.accept_drop(event):
            super().dropEvent(event)


class GridDelegate(QStyledItemDelegate):
    """Paints one grid cell: the poster (or a grey frame), the name, then duration · resolution
    for a ready video or its status (in red, with the reason, for a failed one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = placeholder(GRID_POSTER)
        self._no_poster = placeholder(GRID_POSTER, "No poster")

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt API)
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return GRID_CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        rect: QRect = option.rect
        palette = option.palette
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(rect.adjusted(3, 2, -3, -2), palette.highlight())
        poster = index.data(GRID_POSTER_ROLE) or (self._no_poster if index.data(NO_POSTER_ROLE) else self._loading)
        x = rect.x() + (rect.width() - GRID_POSTER.width()) // 2
        y = rect.y() + 8
        painter.drawPixmap(x, y, poster)
        width = GRID_POSTER.width()
        font = QFont(option.font)
        metrics = painter.fontMetrics()
        line = metrics.height()
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        name = metrics.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole)), Qt.TextElideMode.ElideMiddle, width)
        name_rect = QRect(x, y + GRID_POSTER.height() + 4, width, line)
        painter.drawText(name_rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter), name)
        status = str(index.data(STATUS_ROLE))
        if status == "Ready":
            model = index.model()
            facts = [model.index(index.row(), c).data(Qt.ItemDataRole.DisplayRole) for c in (DURATION, RESOLUTION)]
            detail = " · ".join(str(f) for f in facts if f and f != "—")
        else:
            detail = status
        font.setPointSizeF(font.pointSizeF() * 0.9)
        painter.setFont(font)
        small = painter.fontMetrics()
        if not selected:
            painter.setPen(FAILED_COLOR if index.data(FAILED_ROLE) else palette.placeholderText().color())
        detail_rect = QRect(x, name_rect.bottom() + 2, width, small.height())
        painter.drawText(detail_rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
                         small.elidedText(detail, Qt.TextElideMode.ElideRight, width))
        painter.restore()
