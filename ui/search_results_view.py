"""The search page's results list: one header per video, then its matching moments in time order.

Runs on the GUI thread. Each moment row reads "time · badge · snippet" with a small line under
it saying why it matched ("words: invoice, 4471", or "similar meaning (0.62)" for a moment the
meaning search alone found). The model holds what the page was given; the delegate paints it;
`SearchResultsView` handles the keys (Enter opens, Up from the top and Esc go back to the box).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from core.formatting import format_duration
from core.search.results import SearchHit, VideoResult
from ui.transcript_widget import format_line_time

THUMB = QSize(112, 63)  # like the library's posters
BADGES = {  # modality -> (text, background, foreground)
    "speech": ("spoken", "#dbe8fb", "#163f7a"),
    "text": ("on screen", "#fbecc8", "#6b4200"),
    "visual": ("visual", "#d9f0dc", "#1d5a2a"),
    "person": ("person", "#f3dbe8", "#6d1a47"),  # `person:NAME` alone: their appearances
}
REASON_COLORS = {"words": "#1d5a2a", "meaning": "#6a4c93"}  # the "why it matched" line, by words / by meaning

_PAD = 8
_TEXT_X = _PAD + THUMB.width() + 12  # where names and moments start
_SNIPPET_LINES = 2


def badge_text(modality: str) -> str:
    return BADGES.get(modality, (modality, "", ""))[0]


def snippet_html(hit: SearchHit, max_chars: int = 160) -> str:
    """The hit's snippet with its matching words in bold; text read off the screen in quotes
    (so an on-screen "07.00 s" reads as something shown, not as a time of ours)."""
    html = hit.snippet_html(max_chars)
    return f"“{html}”" if hit.modality == "text" else html


def reason_color(hit: SearchHit) -> str:
    return REASON_COLORS["words" if "keyword" in hit.matched_by else "meaning"]


def moment_count_text(count: int) -> str:
    return f"{count} moment{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class _Row:
    result: int  # index into the results
    hit: int | None  # None: the video's header row


class SearchResultsModel(QAbstractListModel):
    """One header row per video, then one row per matching moment; painted by `SearchResultDelegate`."""

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

    def best_row(self, result: int) -> int | None:
        """The row of the video's best moment."""
        hits = self.results[result].hits
        return self.row_of(result, hits.index(self.results[result].best)) if hits else None

    def entry(self, row: int) -> tuple[VideoResult, SearchHit | None]:
        at = self.rows[row]
        result = self.results[at.result]
        return result, (result.hits[at.hit] if at.hit is not None else None)

    def header_meta(self, result: VideoResult) -> str:
        parts = [moment_count_text(len(result.hits))]
        if len(result.hits) > 1:
            parts.append(f"best at {format_line_time(result.clock_s(result.best.start_s))}")
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
        return (f"{format_line_time(result.clock_s(hit.start_s))} · {badge_text(hit.modality)} · "
                f"{snippet_html(hit)} · {hit.reason()}")

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
                return (f"{result.path}\nClick (or Enter) to play its best moment, at "
                        f"{format_line_time(result.clock_s(result.best.start_s))}")
            how = " and ".join("its words" if m == "keyword" else "its meaning" for m in hit.matched_by)
            return (f"{format_line_time(result.clock_s(hit.start_s))} – {format_line_time(result.clock_s(hit.end_s))}"
                    f", matched by {how} ({hit.reason()})"
                    "\nClick (or Enter) to play from a second before")
        return None


class SearchResultDelegate(QStyledItemDelegate):
    """Paints a video's header (keyframe, name, facts) and its moments (time, badge, snippet, why)."""

    def __init__(self, model: SearchResultsModel, view: QListView, thumbs: dict[str, QPixmap]) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._thumbs = thumbs

    # -- geometry ---------------------------------------------------------------------------
    @staticmethod
    def _small_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.85)
        return small

    def _columns(self, font: QFont) -> tuple[int, int]:
        """Widths of the time column (room for h:mm:ss) and the badge column."""
        badge = QFontMetrics(self._small_font(font))
        return (QFontMetrics(font).horizontalAdvance("0:00:00") + 10,
                max(badge.horizontalAdvance(text) for text, _bg, _fg in BADGES.values()) + 24)

    def _snippet(self, hit: SearchHit, font: QFont) -> QTextDocument:
        time_w, badge_w = self._columns(font)
        width = max(120, self._view.viewport().width() - _TEXT_X - time_w - badge_w - 2 * _PAD)
        chars = int(_SNIPPET_LINES * width / max(1, QFontMetrics(font).averageCharWidth()) * 0.85)
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(snippet_html(hit, max(40, min(240, chars))))
        doc.setTextWidth(width)
        return doc

    def _snippet_height(self, doc: QTextDocument, font: QFont) -> int:
        line = QFontMetrics(font).lineSpacing()
        return int(max(min(doc.size().height(), _SNIPPET_LINES * line), line))

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        if not index.isValid() or index.row() >= len(self._model.rows):
            return QSize(0, 0)
        _result, hit = self._model.entry(index.row())
        width = self._view.viewport().width()
        if hit is None:
            return QSize(width, THUMB.height() + 2 * _PAD + (6 if index.row() else 0))
        reason = QFontMetrics(self._small_font(option.font)).lineSpacing()
        return QSize(width, self._snippet_height(self._snippet(hit, option.font), option.font) + reason + 12)

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
        small_font = self._small_font(option.font)
        small = QFontMetrics(small_font)
        badge = QRect(x + time_w, top + (line - small.height() - 2) // 2, badge_w - 10, small.height() + 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(QRectF(badge), badge.height() / 2, badge.height() / 2)
        painter.setFont(small_font)
        painter.setPen(QColor(foreground))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        doc = self._snippet(hit, option.font)
        snippet_h = self._snippet_height(doc, option.font)
        left = x + time_w + badge_w
        # why it matched, small, under the snippet
        painter.setFont(small_font)
        painter.setPen(text if selected else QColor(reason_color(hit)))
        reason_w = int(doc.textWidth())
        painter.drawText(QRect(left, top + snippet_h + 2, reason_w, small.lineSpacing()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         small.elidedText(hit.reason(), Qt.TextElideMode.ElideRight, reason_w))
        painter.translate(left, top)
        clip = QRectF(0, 0, doc.textWidth(), snippet_h)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        context.palette.setColor(QPalette.ColorRole.Text, text)
        painter.setClipRect(clip)
        doc.documentLayout().draw(painter, context)


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
