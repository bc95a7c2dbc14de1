"""The search page: the library's matching moments, grouped per video, as the operator types.

Runs on the GUI thread and searches nothing itself: it owns the query box (which the main
window puts in its toolbar), waits until typing pauses (DEBOUNCE_MS) and asks for a search
with `search_requested(query)`; the controller runs it on the asyncio loop and hands back
`show_results` / `show_error`. Keyframes arrive as QImages decoded off the loop
(`read_thumbnails` through asyncio.to_thread) and become QPixmaps here, on the GUI thread.
Enter (or ↓) in the box moves the keyboard to the results, onto the first video's best moment;
choosing a moment there (click, or Enter) emits `moment_activated(VideoResult, SearchHit)`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.models.segment import Modality
from core.search.filters import SearchFilters
from core.search.results import VideoResult
from ui.search.delegate import SearchResultDelegate
from ui.search.model import SearchResultsModel, moment_count_text
from ui.thumbnails import read_thumbnail

DEBOUNCE_MS = 250
RESULT_LIMIT = 20  # videos per search
SCOPES = (("This project", "project"), ("All projects", "all"))
KINDS = (("All kinds", ()), ("Spoken words", (str(Modality.SPEECH),)), ("On-screen text", (str(Modality.TEXT),)),
         ("Captions", (str(Modality.VISUAL),)))
LENGTHS = (("Any length", (None, None)), ("Under 1 min", (None, 60.0)), ("1–10 min", (60.0, 600.0)),
           ("Over 10 min", (600.0, None)))
IMPORTED = (("Imported any time", None), ("Imported today", 1), ("In the last 7 days", 7),
            ("In the last 30 days", 30))
PLACEHOLDER = "Search spoken words, on-screen text, meaning…  (Ctrl+F)"


def _choices(items: tuple[tuple[str, object], ...], tip: str) -> QComboBox:
    """A filter menu: each item's text, with its value as the item's data."""
    combo = QComboBox()
    for text, value in items:
        combo.addItem(text, value)
    combo.setToolTip(tip)
    return combo


def read_thumbnails(items: list[tuple[str, str]], size: QSize) -> list[tuple[str, QImage]]:
    """Decode (video_id, keyframe path) pairs scaled to fit `size` (worker thread: QImage only)."""
    return [(video_id, read_thumbnail(path, size)) for video_id, path in items]


class SearchResultsView(QListView):
    """The results list: Enter opens the current row, Ctrl+B puts it in the selects basket; Up on the
    first row and Esc return to the query box."""

    enter_pressed = Signal()
    leave_up = Signal()
    select_pressed = Signal()  # Ctrl+B: the current row into the selects basket

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_pressed.emit()
            return
        if event.key() == Qt.Key.Key_B and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.select_pressed.emit()
            return
        if (event.key() == Qt.Key.Key_Up and self.currentIndex().row() <= 0) or event.key() == Qt.Key.Key_Escape:
            self.leave_up.emit()
            return
        super().keyPressEvent(event)


class SearchWidget(QWidget):
    """The search results page plus its query box (`box`, placed in the window's toolbar).

    Emits `search_requested(query)` when typing pauses or a filter changes (an empty query:
    the operator cleared the box) and `moment_activated(result, hit)` when a moment is chosen.
    """

    search_requested = Signal(str)
    moment_activated = Signal(object, object)  # VideoResult, SearchHit
    person_activated = Signal(str)  # a person whose name matched the query: show them on the People page
    select_added = Signal(object, object)  # VideoResult, SearchHit: "Add to selects" (Ctrl+B, right-click)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QLineEdit()
        self.box.setPlaceholderText(PLACEHOLDER)
        self.box.setClearButtonEnabled(True)
        self.box.setToolTip("Search every video by what is said, what is written on screen and what it means"
                            "\nEnter or ↓ goes to the results (Enter again plays the moment) · Esc clears")
        self.box.setMinimumWidth(340)
        self.box.setMaximumWidth(480)
        self.scope = _choices(SCOPES, "Search the project selected on the left, or every project")
        self.kinds = _choices(KINDS, "Match spoken words, on-screen text, keyframe captions, or all (and meaning)")
        self.lengths = _choices(LENGTHS, "Only videos of this length")
        self.imported = _choices(IMPORTED, "Only videos imported in this period")
        self.title = QLabel("<b>Search</b>")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555;")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.message.setStyleSheet("color: #555; padding: 24px 8px; font-size: 11pt;")
        self.message.hide()

        # People whose names match the query, above the videos: one button each.
        self.people_bar = QWidget()
        self._people_layout = QHBoxLayout(self.people_bar)
        self._people_layout.setContentsMargins(0, 2, 0, 2)
        self.people_bar.hide()

        self._thumbs: dict[str, QPixmap] = {}
        self.model = SearchResultsModel(self)
        self.list = SearchResultsView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(SearchResultDelegate(self.model, self.list, self._thumbs))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        self.list.setMouseTracking(True)
        self.list.setCursor(Qt.CursorShape.PointingHandCursor)

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(12)
        header.addWidget(self.scope)
        header.addWidget(self.kinds)
        header.addWidget(self.lengths)
        header.addWidget(self.imported)
        header.addSpacing(12)
        header.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.people_bar)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addStretch(0)

        self._query = ""  # the query the results on screen answer
        self._to_list = False  # Enter was pressed before the results came: go to them when they do
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._request)
        self.box.textChanged.connect(self._on_text)
        self.box.installEventFilter(self)
        self.scope.currentIndexChanged.connect(lambda _i: self._refilter())
        self.kinds.currentIndexChanged.connect(lambda _i: self._refilter())
        self.lengths.currentIndexChanged.connect(lambda _i: self._refilter())
        self.imported.currentIndexChanged.connect(lambda _i: self._refilter())
        self.list.clicked.connect(self._activate)
        self.list.enter_pressed.connect(lambda: self._activate(self.list.currentIndex()))
        self.list.leave_up.connect(self.focus_box)
        # "Add to selects" on the chosen moment: the basket exported as a timeline (Selects…).
        self.add_select_action = QAction("Add to selects\tCtrl+B", self.list)
        self.add_select_action.triggered.connect(lambda: self._add_select(self.list.currentIndex()))
        self.list.addAction(self.add_select_action)
        self.list.select_pressed.connect(lambda: self._add_select(self.list.currentIndex()))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    # -- public API ------------------------------------------------------------------------------
    def query(self) -> str:
        """The query in the box (stripped)."""
        return self.box.text().strip()

    def filters(self, project_id: str | None) -> SearchFilters:
        """The filters the scope and kind choices ask for (`project_id`: the selected project)."""
        in_project = self.scope.currentData() == "project"
        shortest, longest = self.lengths.currentData() or (None, None)
        days = self.imported.currentData()
        since = None
        if days:
            today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
            since = (today - timedelta(days=days - 1)).astimezone(timezone.utc)
        return SearchFilters(project_id=project_id if in_project else None,
                             modalities=tuple(self.kinds.currentData() or ()),
                             min_duration_s=shortest, max_duration_s=longest, imported_after=since)

    def set_project_names(self, names: dict[str, str]) -> None:
        """Name each result's project when searching all projects."""
        self.model.project_names = dict(names)
        self.list.viewport().update()

    def focus_box(self) -> None:
        self.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.box.selectAll()

    def set_searching(self, query: str) -> None:
        """Say a search for `query` is running (the previous results stay until it answers)."""
        if not self.model.rows:
            self.status.setText(f"Searching for “{query}”…")

    def show_results(self, query: str, results: list[VideoResult]) -> None:
        """Show the answer to `query` (ignored when the box has moved on to another query)."""
        if query != self.query():
            return
        self._query = query
        self.model.show_projects = self.scope.currentData() == "all"
        self._thumbs.clear()
        self.model.set_results([r for r in results if r.hits])
        results = self.model.results
        moments = sum(len(r.hits) for r in results)
        if results:
            self.status.setText(f"{len(results)} video{'s' if len(results) != 1 else ''} · "
                                f"{moment_count_text(moments)} for “{query}” — click a moment to play it")
        else:
            self.status.setText("")
            self._show_message(f"No results for “{query}”" + self._hint())
        self.list.setVisible(bool(results))
        self.message.setVisible(not results)
        if results:
            self.list.scrollToTop()
        if self._to_list:
            self._to_list = False
            self.go_to_results()

    def show_people(self, query: str, people: list[tuple[str, str]]) -> None:
        """Show the people (id, label) whose names match `query` as buttons above the videos."""
        if query != self.query():
            return
        while self._people_layout.count():
            item = self._people_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if people:
            self._people_layout.addWidget(QLabel("People:"))
        for person_id, label in people:
            button = QPushButton(label)
            button.setToolTip("Show this person and all their appearances on the People page")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _checked=False, pid=person_id: self.person_activated.emit(pid))
            self._people_layout.addWidget(button)
        self._people_layout.addStretch(1)
        self.people_bar.setVisible(bool(people))
        if people and not self.model.results:  # no video matched, but someone did: say where to look
            self.message.setText(f"No videos for “{query}” — the person above has their appearances")

    def people_buttons(self) -> list[QPushButton]:
        items = (self._people_layout.itemAt(i) for i in range(self._people_layout.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), QPushButton)]

    def show_error(self, query: str, message: str) -> None:
        """Say the search for `query` failed; the page and the rest of the app keep working."""
        if query != self.query():
            return
        self._to_list = False
        self._query = query
        self.model.set_results([])
        self.status.setText("")
        self.list.hide()
        self._show_message(f"Search failed: {message}\nNothing was searched for “{query}”; "
                           "try again in a moment.", error=True)
        self.message.show()

    def set_thumbnail(self, video_id: str, image: QImage) -> None:
        """Show a keyframe decoded off the loop (GUI thread: converts to QPixmap here)."""
        if image.isNull() or all(r.video_id != video_id for r in self.model.results):
            return
        self._thumbs[video_id] = QPixmap.fromImage(image)
        self.list.viewport().update()

    def has_thumbnail(self, video_id: str) -> bool:
        return video_id in self._thumbs

    def results(self) -> list[VideoResult]:
        return list(self.model.results)

    def go_to_results(self, row: int | None = None) -> bool:
        """Move the keyboard to the results list, onto `row` (default: the first video's best
        moment), so the operator sees what matched before choosing; False when there are none."""
        if not self.model.results or not self.list.isVisible():
            return False
        if row is None:
            row = self.model.best_row(0)
        index = self.model.index(row if row is not None else 0)
        self.list.setFocus(Qt.FocusReason.TabFocusReason)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index)
        return True

    # -- what the operator reads (tests) ------------------------------------------------------
    def visible_rows(self) -> list[str]:
        """Each row as read: 'name — n moments · m:ss long' or 'm:ss · badge · snippet with <b>'."""
        return [self.model.row_text(row) for row in range(len(self.model.rows))] if self.list.isVisible() else []

    def moment_rect(self, result: int, hit: int | None) -> QRect:
        """Where a moment (or with hit None, a video's header) is drawn, in the list viewport's coordinates."""
        row = self.model.row_of(result, hit)
        return self.list.visualRect(self.model.index(row)) if row is not None else QRect()

    # -- internals --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self.box and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.query():
                if self._query == self.query() and not self._debounce.isActive():
                    self.go_to_results()
                else:  # the results for this text are not in yet: go to them when they come
                    self._to_list = True
                    self._request()
                return True
            if key == Qt.Key.Key_Down and self.model.rows and self.list.isVisible():
                self.go_to_results(1)
                return True
            if key == Qt.Key.Key_Escape and self.box.text():
                self.box.clear()
                return True
        return super().eventFilter(watched, event)

    def _on_text(self, _text: str) -> None:
        self._to_list = False
        if self.query():
            self._debounce.start()
        else:
            self._debounce.stop()
            self._query = ""
            self.model.set_results([])
            self.search_requested.emit("")

    def _refilter(self) -> None:
        if self.query():
            self._debounce.stop()
            self._query = ""
            self._request()

    def _request(self) -> None:
        self._debounce.stop()
        query = self.query()
        if query:
            self.set_searching(query)
            self.search_requested.emit(query)

    def _hint(self) -> str:
        tips = []
        if self.scope.currentData() == "project":
            tips.append("All projects")
        if self.kinds.currentData():
            tips.append("All kinds")
        if self.lengths.currentIndex() or self.imported.currentIndex():
            tips.append("any length or import date")
        return ("\nTry other words, or " + " and ".join(tips) + " above.") if tips else "\nTry other words."

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {'#c0392b' if error else '#555'}; padding: 24px 8px; font-size: 11pt;")

    def _add_select(self, index: QModelIndex) -> None:
        if not index.isValid() or index.row() >= len(self.model.rows):
            return
        result, hit = self.model.entry(index.row())
        self.select_added.emit(result, hit if hit is not None else result.best)

    def _activate(self, index: QModelIndex) -> None:
        if not index.isValid() or index.row() >= len(self.model.rows):
            return
        result, hit = self.model.entry(index.row())
        self.moment_activated.emit(result, hit if hit is not None else result.best)
