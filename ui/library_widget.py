"""The video library: a sortable, filterable list and a poster grid over one model.

Runs on the GUI thread. `LibraryWidget` is the list (a QTableView: poster, name, duration,
resolution, size, codec, import date, status); it owns the model, the sort/filter proxy, the
grid (`grid`, a QListView in icon mode sharing the list's selection) and the controls that
MainView places above them (`controls`: the video count, the filter box, the List/Grid
toggle). Both views accept dropped files and folders, open a video on Enter or double-click
(`activated`), and offer Analyze / Re-analyze / Remove in their context menu and on Delete.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QWidget,
)

from ui.library_grid import LibraryGridView, accept_drops
from ui.library_model import (
    CODEC,
    COLUMNS,
    DURATION,
    GRID_POSTER,
    IMPORTED,
    LIST_POSTER,
    NAME,
    RESOLUTION,
    SIZE,
    STATUS,
    VIDEO_ID_ROLE,
    LibraryFilterModel,
    LibraryModel,
)

if TYPE_CHECKING:
    from core.models import Video

ROW_HEIGHT = LIST_POSTER.height() + 4
POSTER_SIZE = GRID_POSTER  # what the controller decodes posters to (the grid's size; the list scales down)


class LibraryWidget(QTableView):
    """Lists a project's videos; accepts dropped files and folders for import.

    Signals: `remove_requested(video_ids)` for "Remove from library…" (context menu or Delete),
    `analyze_requested(video_ids, force)` for Analyze / Re-analyze, `paths_dropped(paths)` for
    a drop, `posters_wanted(video_ids)` when rows whose poster is not loaded come into view.
    """

    paths_dropped = Signal(list)  # list[Path]
    remove_requested = Signal(list)  # video ids
    analyze_requested = Signal(list, bool)  # video ids, force (all stages again)
    posters_wanted = Signal(list)  # video ids (the model's, passed on)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library_model = LibraryModel(self)
        self.library_model.posters_wanted.connect(self.posters_wanted)
        self.proxy = LibraryFilterModel(self.library_model, self)
        self.setModel(self.proxy)
        self.setIconSize(LIST_POSTER)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(ROW_HEIGHT)
        self._size_columns()
        header = self.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the order they were added
        self.setSortingEnabled(True)
        accept_drops(self)

        self.grid = LibraryGridView(self)
        self.grid.setModel(self.proxy)
        self.grid.setModelColumn(NAME)
        self.grid.setSelectionModel(self.selectionModel())
        self.grid.activated.connect(self.activated.emit)
        self.grid.hide()

        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter by name, folder or codec")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setMinimumWidth(240)
        self.filter_box.textChanged.connect(self._on_filter)
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: palette(mid);")
        self.list_button = QToolButton()
        self.list_button.setText("List")
        self.list_button.setToolTip("Show the videos as a list with details")
        self.grid_button = QToolButton()
        self.grid_button.setText("Grid")
        self.grid_button.setToolTip("Show the videos as a grid of posters")
        self._view_buttons = QButtonGroup(self)
        for button in (self.list_button, self.grid_button):
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self._view_buttons.addButton(button)
        self.list_button.setChecked(True)
        self.list_button.clicked.connect(lambda: self.show_grid(False))
        self.grid_button.clicked.connect(lambda: self.show_grid(True))
        self.controls = QWidget()
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.count_label)
        controls.addWidget(self.filter_box)
        controls.addSpacing(6)
        controls.addWidget(self.list_button)
        controls.addWidget(self.grid_button)
        # The source's rowsRemoved too: the proxy drops its rows while the source is still
        # about to remove them (the total would count the row being removed).
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged, self.library_model.rowsRemoved):
            signal.connect(self._update_count)
        self._update_count()

        self.analyze_action = QAction("Analyze", self)
        self.analyze_action.setToolTip("Queue analysis; stages that are up to date are skipped")
        self.analyze_action.triggered.connect(lambda: self._request_analyze(False))
        self.reanalyze_action = QAction("Re-analyze (all stages)", self)
        self.reanalyze_action.triggered.connect(lambda: self._request_analyze(True))
        self.remove_action = QAction("Remove from library…", self)
        self.remove_action.triggered.connect(lambda: self.request_remove())

    def _size_columns(self) -> None:
        """Name takes the room left; the others fit their longest usual value."""
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        metrics = self.fontMetrics()
        samples = {DURATION: "88:88:88", RESOLUTION: "8888×8888", SIZE: "888.8 MB", CODEC: "mpeg2video",
                   IMPORTED: "2026-12-31 23:59", STATUS: "Failed — probe: not a readable video"}
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column, sample in samples.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(COLUMNS[column]) + 16)
            self.setColumnWidth(column, width + 18)

    # -- videos -------------------------------------------------------------------------------
    def set_videos(self, videos: list[Video]) -> None:
        self.library_model.set_videos(videos)

    def add_videos(self, videos: list[Video]) -> None:
        """Add a page of videos read in after the first (new rows at the end; listed ones updated)."""
        self.library_model.add_videos(videos)

    def show_video(self, video: Video) -> None:
        """Add or update the row of `video`."""
        self.library_model.show_video(video)

    def remove_video(self, video_id: str) -> None:
        """Drop the row of `video_id` (no-op when it is not listed)."""
        self.library_model.remove_video(video_id)

    def video_ids(self) -> list[str]:
        """The listed videos as the operator sees them: sorted and filtered, top to bottom."""
        return [self._id_of(self.proxy.index(r, 0)) for r in range(self.proxy.rowCount())]

    def video_id_at(self, index: QModelIndex | QPersistentModelIndex) -> str | None:
        """The video of a view index (list or grid)."""
        return self._id_of(index) if index.isValid() else None

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.selectionModel().selectedIndexes()})
        return [self._id_of(self.proxy.index(row, 0)) for row in rows]

    def row_text(self, video_id: str) -> dict[str, str]:
        """What the operator reads in a video's row (used by tests and benchmarks)."""
        row = self.library_model.row_of(video_id)
        if row is None:
            raise KeyError(video_id)
        return dict(zip(COLUMNS, self.library_model.texts(row), strict=True))

    def row_tooltip(self, video_id: str, column: str) -> str:
        """The tooltip of one cell of a video's row (the full text of a cut-off cell)."""
        row = self.library_model.row_of(video_id)
        if row is None:
            raise KeyError(video_id)
        return str(self.library_model.index(row, COLUMNS.index(column)).data(Qt.ItemDataRole.ToolTipRole))

    def set_poster(self, video_id: str, image: QImage) -> None:
        self.library_model.set_poster(video_id, image)

    def reload_posters(self, video_ids: list[str]) -> None:
        """These videos' poster files were written again: reload them when on screen."""
        self.library_model.reload_posters(video_ids)

    def has_poster(self, video_id: str) -> bool:
        return self.library_model.has_poster(video_id)

    def _id_of(self, index: QModelIndex | QPersistentModelIndex) -> str:
        return str(index.model().index(index.row(), NAME).data(VIDEO_ID_ROLE))

    # -- list or grid, filter -------------------------------------------------------------------
    def show_grid(self, grid: bool) -> None:
        """Show the poster grid (True) or the list (False); the selection stays."""
        focused = self.hasFocus() or self.grid.hasFocus()
        (self.grid_button if grid else self.list_button).setChecked(True)
        self.setVisible(not grid)
        self.grid.setVisible(grid)
        shown = self.current_view()
        current = self.currentIndex()
        if current.isValid():
            shown.scrollTo(current)
        if focused:
            shown.setFocus()

    def showing_grid(self) -> bool:
        return self.grid_button.isChecked()

    def current_view(self) -> QAbstractItemView:
        return self.grid if self.showing_grid() else self

    def focus_view(self) -> None:
        self.current_view().setFocus()

    def _on_filter(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), len(self.library_model)
        noun = "video" if total == 1 else "videos"
        self.count_label.setText(f"{shown:,} of {total:,} {noun}" if self.proxy.filter_text() else f"{total:,} {noun}")

    # -- actions --------------------------------------------------------------------------------
    def _request_analyze(self, force: bool) -> None:
        ids = self.selected_ids()
        if ids:
            self.analyze_requested.emit(ids, force)

    def request_remove(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.remove_requested.emit(ids)

    def show_menu(self, view: QAbstractItemView, pos: QPoint, global_pos: QPoint) -> None:
        """The context menu of the video under `pos` (selected first unless already selected)."""
        index = view.indexAt(pos)
        if not index.isValid():
            return
        selection = self.selectionModel()
        if not selection.isRowSelected(index.row(), QModelIndex()):
            selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
        menu = QMenu(view)
        menu.addAction(self.analyze_action)
        menu.addAction(self.reanalyze_action)
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.popup(global_pos)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt API)
        self.show_menu(self, event.pos(), event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Delete:
            self.request_remove()
        else:
            super().keyPressEvent(event)

    # -- drag and drop (both views) ---------------------------------------------------------------
    def accept_drag(self, event: QDragEnterEvent | QDragMoveEvent) -> bool:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            return True
        return False

    def accept_drop(self, event: QDropEvent) -> bool:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return False
        event.acceptProposedAction()
        self.paths_dropped.emit(paths)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if not self.accept_drag(event):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt API)
        if not self.accept_drag(event):
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        if not self.accept_drop(event):
            super().dropEvent(event)
