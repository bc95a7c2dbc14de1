"""Paint the search page's rows: a video's header (keyframe, name, facts) and its moments.

Runs on the GUI thread. Each moment row reads "time · badge · snippet" with a small line under
it saying why it matched ("words: invoice, 4471", or "similar meaning (0.62)" for a moment the
meaning search alone found).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from core.search.results import SearchHit, VideoResult
from ui.search.model import BADGES, SearchResultsModel, snippet_html
from core.formatting import format_timestamp

THUMB = QSize(112, 63)  # like the library's posters
REASON_COLORS = {"words": "#1d5a2a", "meaning": "#6a4c93"}  # the "why it matched" line, by words / by meaning

_PAD = 8
_TEXT_X = _PAD + THUMB.width() + 12  # where names and moments start
_SNIPPET_LINES = 2


def reason_color(hit: SearchHit) -> str:
    return REASON_COLORS["words" if "keyword" in hit.matched_by else "meaning"]


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
                         format_timestamp(clock_s))
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
