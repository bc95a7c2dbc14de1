"""The search page: the library's matching moments, grouped per video, as the operator types.

Runs on the GUI thread and searches nothing itself: it owns the query box (which the main
window puts in its toolbar), waits until typing pauses (DEBOUNCE_MS) and asks for a search
with `search_requested(query)`; the controller runs it on the asyncio loop and hands back
`show_results` / `show_error`. Keyframes arrive as QImages decoded off the loop
(`read_thumbnails` through asyncio.to_thread) and become QPixmaps here, on the GUI thread.
Choosing a moment (click, or Enter) emits `moment_activated(VideoResult, SearchHit)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from core.formatting import format_duration
from core.search.filters import SearchFilters
from core.search.results import SearchHit, VideoResult
from ui.thumbnails import read_thumbnail
from ui.transcript_widget import format_line_time

DEBOUNCE_MS = 250
RESULT_LIMIT = 20  # videos per search
THUMB = QSize(112, 63)  # like the library's posters
BADGES = {  # modality -> (text, background, foreground)
    "speech": ("spoken", "#dbe8fb", "#163f7a"),
    "text": ("on screen", "#fbecc8", "#6b4200"),
    "visual": ("visual", "#d9f0dc", "#1d5a2a"),
}
SCOPES = (("This project", "project"), ("All projects", "all"))
KINDS = (("All kinds", ()), ("Spoken words", ("speech",)), ("On-screen text", ("text",)),
         ("Captions", ("visual",)))
LENGTHS = (("Any length", (None, None)), ("Under 1 min", (None, 60.0)), ("1–10 min", (60.0, 600.0)),
           ("Over 10 min", (600.0, None)))
IMPORTED = (("Imported any time", None), ("Imported today", 1), ("In the last 7 days", 7),
            ("In the last 30 days", 30))
PLACEHOLDER = "Search spoken words, on-screen text, meaning…  (Ctrl+F)"

_PAD = 8
_TEXT_X = _PAD + THUMB.width() + 12  # where names and moments start
_SNIPPET_LINES = 2


def read_thumbnails(items: list[tuple[str, str]], size: QSize) -> list[tuple[str, QImage]]:
    """Decode (video_id, keyframe path) pairs scaled to fit `size` (worker thread: QImage only)."""
    return [(video_id, read_thumbnail(path, size)) for video_id, path in items]


def badge_text(modality: str) -> str:
    return BADGES.get(modality, (modality, "", ""))[0]


def snippet_html(hit: SearchHit, max_chars: int = 160, muted: str = "#6b7078") -> str:
    """The hit's snippet with its matching words in bold; a hit found by meaning alone says so."""
    html = hit.snippet_html(max_chars)
    if hit.matched_by == ("meaning",):
        html += f" <span style='color:{muted}'>·\u00a0similar\u00a0meaning</span>"  # kept on one line
    return html


def moment_count_text(count: int) -> str:
    return f"{count} moment{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class _Row:
    result: int  # index into the results
    hit: int | None  # None: the video's header row


class _ResultsModel(QAbstractListModel):
    """One header row per video, then one row per matching moment; painted by `_ResultDelegate`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.results: list[VideoResult] = []
        self.rows: list[_Row] = []
        self.project_names: dict[str, str] = {}
        self.show_projects = False

    def set_results(self, results: list[VideoResult]) -> None:
        self.beginResetModel()
        self.results = list(results)
        self.rows = [row for i, result in enumerate(self.results)
                     for row in [_Row(i, None)] + [_Row(i, h) for h in range(len(result.hits))]]
        self.endResetModel()

    def row_of(self, result: int, hit: int | None) -> int | None:
        try:
            return self.rows.index(_Row(result, hit))
        except ValueError:
            return None

    def entry(self, row: int) -> tuple[VideoResult, SearchHit | None]:
        at = self.rows[row]
        result = self.results[at.result]
        return result, (result.hits[at.hit] if at.hit is not None else None)

    def header_meta(self, result: VideoResult) -> str:
        parts = [moment_count_text(len(result.hits))]
        if result.duration_s:
            parts.append(f"{format_duration(result.duration_s)} long")
        project = self.project_names.get(result.project_id)
        if self.show_projects and project:
            parts.append(f"in {project}")
        return " · ".join(parts)

    def row_text(self, row: int) -> str:
        """Row `row` as the operator reads it (snippets keep their <b> marks)."""
        result, hit = self.entry(row)
        if hit is None:
            return f"{result.name} — {self.header_meta(result)}"
        return f"{format_line_time(result.clock_s(hit.start_s))} · {badge_text(hit.modality)} · {snippet_html(hit)}"

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        result, hit = self.entry(index.row())
        if role == Qt.ItemDataRole.DisplayRole:  # plain text, for accessibility and keyboard search
            if hit is None:
                return result.name
            return f"{format_line_time(result.clock_s(hit.start_s))} {badge_text(hit.modality)} {hit.text}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if hit is None:
                return f"{result.path}\nClick (or Enter) to play its best moment"
            how = " and ".join("its words" if m == "keyword" else "its meaning" for m in hit.matched_by)
            return (f"{format_line_time(result.clock_s(hit.start_s))} – {format_line_time(result.clock_s(hit.end_s))}"
                    f", matched by {how}"
                    "\nClick (or Enter) to play from a second before")
        return None


class _ResultDelegate(QStyledItemDelegate):
    """Paints a video's header (keyframe, name, facts) and its moments (time, badge, snippet)."""

    def __init__(self, model: _ResultsModel, view: QListView, thumbs: dict[str, QPixmap]) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._thumbs = thumbs

    # -- geometry ---------------------------------------------------------------------------
    @staticmethod
    def _badge_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.85)
        return small

    def _columns(self, font: QFont) -> tuple[int, int]:
        """Widths of the time column (room for h:mm:ss) and the badge column."""
        badge = QFontMetrics(self._badge_font(font))
        return (QFontMetrics(font).horizontalAdvance("0:00:00") + 10,
                max(badge.horizontalAdvance(text) for text, _bg, _fg in BADGES.values()) + 24)

    def _snippet(self, hit: SearchHit, font: QFont, selected: bool = False) -> QTextDocument:
        time_w, badge_w = self._columns(font)
        width = max(120, self._view.viewport().width() - _TEXT_X - time_w - badge_w - 2 * _PAD)
        chars = int(_SNIPPET_LINES * width / max(1, QFontMetrics(font).averageCharWidth()) * 0.85)
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        muted = self._view.palette().color(QPalette.ColorRole.HighlightedText).name() if selected else "#6b7078"
        doc.setHtml(snippet_html(hit, max(40, min(240, chars)), muted))
        doc.setTextWidth(width)
        return doc

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        if not index.isValid() or index.row() >= len(self._model.rows):
            return QSize(0, 0)
        _result, hit = self._model.entry(index.row())
        width = self._view.viewport().width()
        if hit is None:
            return QSize(width, THUMB.height() + 2 * _PAD + (6 if index.row() else 0))
        line = QFontMetrics(option.font).lineSpacing()
        height = min(self._snippet(hit, option.font).size().height(), _SNIPPET_LINES * line)
        return QSize(width, int(max(height, line)) + 10)

    # -- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        if not index.isValid() or index.row() >= len(self._model.rows):
            return
        result, hit = self._model.entry(index.row())
        painter.save()
        rect = QRect(option.rect)
        if hit is None and index.row():
            painter.setPen(QColor("#d4d7dc"))
            painter.drawLine(rect.left() + _PAD, rect.top() + 2, rect.right() - _PAD, rect.top() + 2)
            rect.setTop(rect.top() + 6)
        panel = QStyleOptionViewItem(option)
        panel.rect = QRect(rect.left() + (_PAD if hit is None else _TEXT_X - 6), rect.top(),
                           rect.width() - (_PAD if hit is None else _TEXT_X - 6) - _PAD // 2, rect.height())
        style = self._view.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, self._view)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Active if option.state & QStyle.StateFlag.State_Active \
            else QPalette.ColorGroup.Inactive
        text = option.palette.color(group, QPalette.ColorRole.HighlightedText if selected
                                    else QPalette.ColorRole.Text)
        if hit is None:
            self._paint_header(painter, option, rect, result, text, selected)
        else:
            self._paint_moment(painter, option, rect, result.clock_s(hit.start_s), hit, text, selected)
        painter.restore()

    def _paint_header(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect,
                      result: VideoResult, text: QColor, selected: bool) -> None:
        thumb_rect = QRect(rect.left() + _PAD + 4, rect.top() + _PAD, THUMB.width(), THUMB.height())
        pixmap = self._thumbs.get(result.video_id)
        if pixmap is not None:
            target = pixmap.size().scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio)
            at = QRect(QPoint(0, 0), target)
            at.moveCenter(thumb_rect.center())
            painter.fillRect(thumb_rect, QColor("#202225"))
            painter.drawPixmap(at, pixmap)
        else:
            painter.fillRect(thumb_rect, QColor("#5a5f66"))
            painter.setPen(QColor("#d0d0d0"))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter,
                             "…" if result.keyframe_path else "no keyframe")
        x = rect.left() + _TEXT_X
        width = rect.right() - x - _PAD
        name_font = QFont(option.font)
        name_font.setBold(True)
        name_font.setPointSizeF(option.font.pointSizeF() * 1.1)
        fm = QFontMetrics(name_font)
        painter.setFont(name_font)
        painter.setPen(text)
        top = rect.top() + _PAD + 6
        painter.drawText(QRect(x, top, width, fm.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(result.name, Qt.TextElideMode.ElideMiddle, width))
        painter.setFont(option.font)
        small = QFontMetrics(option.font)
        painter.setPen(text if selected else QColor("#555a60"))
        painter.drawText(QRect(x, top + fm.height() + 4, width, small.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         small.elidedText(self._model.header_meta(result), Qt.TextElideMode.ElideRight, width))

    def _paint_moment(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, clock_s: float,
                      hit: SearchHit, text: QColor, selected: bool) -> None:
        fm = QFontMetrics(option.font)
        line = fm.lineSpacing()
        top = rect.top() + 5
        x = rect.left() + _TEXT_X
        time_w, badge_w = self._columns(option.font)
        painter.setFont(option.font)
        painter.setPen(text)
        painter.drawText(QRect(x, top, time_w - 10, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         format_line_time(clock_s))
        label, background, foreground = BADGES.get(hit.modality, (hit.modality, "#e4e6e9", "#33363a"))
        badge_font = self._badge_font(option.font)
        badge_fm = QFontMetrics(badge_font)
        badge = QRect(x + time_w, top + (line - badge_fm.height() - 2) // 2, badge_w - 10, badge_fm.height() + 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(QRectF(badge), badge.height() / 2, badge.height() / 2)
        painter.setFont(badge_font)
        painter.setPen(QColor(foreground))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        doc = self._snippet(hit, option.font, selected)
        painter.translate(x + time_w + badge_w, top)
        clip = QRectF(0, 0, doc.textWidth(), _SNIPPET_LINES * line)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        context.palette.setColor(QPalette.ColorRole.Text, text)
        painter.setClipRect(clip)
        doc.documentLayout().draw(painter, context)


class _ResultsView(QListView):
    """The results list: Enter opens the current row; Up on the first row returns to the query box."""

    enter_pressed = Signal()
    leave_up = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_pressed.emit()
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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QLineEdit()
        self.box.setPlaceholderText(PLACEHOLDER)
        self.box.setClearButtonEnabled(True)
        self.box.setToolTip("Search every video by what is said, what is written on screen and what it means"
                            "\nEnter opens the first result · ↓ goes to the results · Esc clears")
        self.box.setMinimumWidth(340)
        self.box.setMaximumWidth(480)
        self.scope = QComboBox()
        for text, key in SCOPES:
            self.scope.addItem(text, key)
        self.scope.setToolTip("Search the project selected on the left, or every project")
        self.kinds = QComboBox()
        for text, modalities in KINDS:
            self.kinds.addItem(text, modalities)
        self.kinds.setToolTip("Match spoken words, on-screen text, keyframe captions, or all (and meaning)")
        self.lengths = QComboBox()
        for text, bounds in LENGTHS:
            self.lengths.addItem(text, bounds)
        self.lengths.setToolTip("Only videos of this length")
        self.imported = QComboBox()
        for text, days in IMPORTED:
            self.imported.addItem(text, days)
        self.imported.setToolTip("Only videos imported in this period")
        self.title = QLabel("<b>Search</b>")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555;")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.message.setStyleSheet("color: #555; padding: 24px 8px; font-size: 11pt;")
        self.message.hide()

        self._thumbs: dict[str, QPixmap] = {}
        self.model = _ResultsModel(self)
        self.list = _ResultsView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(_ResultDelegate(self.model, self.list, self._thumbs))
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
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addStretch(0)

        self._query = ""  # the query the results on screen answer
        self._open_first = False  # Enter was pressed before the results came
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
        if self._open_first:
            self._open_first = False
            self.open_first()

    def show_error(self, query: str, message: str) -> None:
        """Say the search for `query` failed; the page and the rest of the app keep working."""
        if query != self.query():
            return
        self._open_first = False
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

    def open_first(self) -> bool:
        """Open the first result's best moment (what Enter in the box does); False when there is none."""
        if not self.model.results:
            return False
        first = self.model.results[0]
        self.moment_activated.emit(first, first.best)
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
                    self.open_first()
                else:  # the results for this text are not in yet: open the first when they come
                    self._open_first = True
                    self._request()
                return True
            if key == Qt.Key.Key_Down and self.model.rows and self.list.isVisible():
                self.list.setFocus(Qt.FocusReason.TabFocusReason)
                self.list.setCurrentIndex(self.model.index(1))
                return True
            if key == Qt.Key.Key_Escape and self.box.text():
                self.box.clear()
                return True
        return super().eventFilter(watched, event)

    def _on_text(self, _text: str) -> None:
        self._open_first = False
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

    def _activate(self, index: QModelIndex) -> None:
        if not index.isValid() or index.row() >= len(self.model.rows):
            return
        result, hit = self.model.entry(index.row())
        self.moment_activated.emit(result, hit if hit is not None else result.best)
