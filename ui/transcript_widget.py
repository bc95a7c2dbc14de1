"""The transcript panel: what was said, line by line, searchable, following playback.

Runs on the GUI thread and reads nothing: the detail view hands it the video's speech
segments (`TextSegment`, kind "speech", times in PTS seconds like shots). Following playback
is a binary search over the lines' start times, so it stays cheap for hours of speech.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from core.models import TextSegment

NOT_RUN_TEXT = "No transcript yet — the speech stage has not run"
NO_SPEECH_TEXT = "No speech in this video"
FAILED_TEXT = "No transcript — the speech stage failed (see the job's error in the library)"
_SPOKEN = QBrush(QColor("#d6e6fb"))
_SPOKEN_TEXT = QBrush(QColor("#0b3d91"))


def format_line_time(seconds: float) -> str:
    """Return 'm:ss' (or 'h:mm:ss'), rounded down so it never runs ahead of the player's clock."""
    total = int(math.floor(max(0.0, seconds) + 1e-6))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def empty_text(speech_status: str | None) -> str:
    """What the panel says when there are no lines, given the speech stage's status."""
    if speech_status == "succeeded":
        return NO_SPEECH_TEXT
    if speech_status == "failed":
        return FAILED_TEXT
    return NOT_RUN_TEXT


class _TranscriptModel(QAbstractListModel):
    """The lines the search leaves, as rows; painted by Qt's own delegate.

    Filtering rebuilds the row list in Python and resets the model once, instead of hiding
    rows one by one: PySide6 6.12 on Python 3.11 drops a reference to None on every call of a
    void Qt method (and to True on every signal emit), so per-row Qt calls in a loop would
    soon crash the interpreter. The spoken line changes with a repaint, not a dataChanged emit.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lines: list[str] = []  # "m:ss  text", one per segment
        self.tips: list[str] = []
        self.rows: list[int] = []  # segment index of each visible row, ascending
        self.spoken: int | None = None  # segment index

    def set_lines(self, lines: list[str], tips: list[str]) -> None:
        self.beginResetModel()
        self.lines, self.tips = lines, tips
        self.rows = list(range(len(lines)))
        self.spoken = None
        self.endResetModel()

    def set_rows(self, rows: list[int]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_of(self, segment: int) -> int | None:
        """The visible row showing segment `segment` (None when the search hides it)."""
        at = bisect.bisect_left(self.rows, segment)
        return at if at < len(self.rows) and self.rows[at] == segment else None

    def set_spoken(self, segment: int | None) -> None:
        """Mark `segment` as being spoken; the view repaints (no dataChanged: see above)."""
        self.spoken = segment

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        segment = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.lines[segment]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tips[segment]
        if segment == self.spoken:
            if role == Qt.ItemDataRole.BackgroundRole:
                return _SPOKEN
            if role == Qt.ItemDataRole.ForegroundRole:
                return _SPOKEN_TEXT
        return None


class TranscriptWidget(QWidget):
    """The transcript of one video; emits `seek_requested(start_s)` when a line is clicked.

    `set_position(media_s)` (from the player's position signal) highlights the line being
    spoken and keeps it in view.
    """

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segments: list[TextSegment] = []
        self._starts: list[float] = []
        self._folded: list[str] = []
        self._needle = ""

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the transcript")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show only the lines that contain this text (Esc clears)")
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: #555;")
        self.count_label.setWordWrap(True)
        self.empty_label = QLabel(NOT_RUN_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_label.setStyleSheet("color: #555; padding: 16px 4px;")
        self.model = _TranscriptModel(self)
        self.lines = QListView()
        self.lines.setModel(self.model)
        self.lines.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the player
        self.lines.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lines.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.lines.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lines.setWordWrap(True)
        self.lines.setSpacing(3)
        self.lines.setLayoutMode(QListView.LayoutMode.Batched)
        self.lines.setBatchSize(250)
        self.lines.setResizeMode(QListView.ResizeMode.Adjust)
        self.lines.setCursor(Qt.CursorShape.PointingHandCursor)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.count_label)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.empty_label)
        layout.addStretch(0)

        self.search.textChanged.connect(self._apply_search)
        self.search.installEventFilter(self)
        self.lines.clicked.connect(self._on_clicked)
        self.set_transcript([])

    # -- public API ------------------------------------------------------------------------------
    def set_transcript(self, segments: list[TextSegment], start_s: float = 0.0,
                       speech_status: str | None = None) -> None:
        """Show `segments` (times shown from the video's first frame at PTS `start_s`).

        With no segments the panel explains why, from `speech_status` (the speech stage's
        status in `video.stages`): not run yet, or ran and found no speech.
        """
        self._segments = sorted(segments, key=lambda s: s.start_s)
        self._starts = [s.start_s for s in self._segments]
        texts = [" ".join(s.text.split()) for s in self._segments]
        self._folded = [t.casefold() for t in texts]
        offset = start_s or 0.0
        lines, tips = [], []
        for segment, text in zip(self._segments, texts):
            clock = format_line_time(segment.start_s - offset)
            lines.append(f"{clock}  {text}")
            tips.append(f"{clock} – {format_line_time(segment.end_s - offset)}: click to play from here")
        self.model.set_lines(lines, tips)
        has_lines = bool(self._segments)
        self.empty_label.setText(empty_text(speech_status))
        self.empty_label.setVisible(not has_lines)
        self.lines.setVisible(has_lines)
        self.search.setVisible(has_lines)
        self.count_label.setVisible(has_lines)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._apply_search("")

    def line_count(self) -> int:
        return len(self._segments)

    def line_text(self, segment: int) -> str:
        """Line `segment` (0-based, search or not) as the operator reads it: 'm:ss  text'."""
        return self.model.lines[segment]

    def visible_lines(self) -> list[str]:
        """The lines the search leaves visible, in order, as 'm:ss  text'."""
        return [self.model.lines[i] for i in self.model.rows]

    def line_rect(self, segment: int) -> QRect:
        """Where line `segment` is drawn, in the list's viewport coordinates (empty if hidden)."""
        row = self.model.row_of(segment)
        return self.lines.visualRect(self.model.index(row)) if row is not None else QRect()

    def search_text(self) -> str:
        return self._needle

    def highlighted(self) -> int | None:
        """The line (0-based) marked as being spoken, if any."""
        return self.model.spoken

    def line_at(self, media_s: float) -> int | None:
        """The line being spoken at media time `media_s` (None before, after or between lines)."""
        i = bisect.bisect_right(self._starts, media_s + 1e-6) - 1
        if i < 0 or media_s >= self._segments[i].end_s:
            return None
        return i

    def set_position(self, media_s: float) -> None:
        """Highlight the line being spoken at `media_s` and scroll it into view (no signal)."""
        index = self.line_at(media_s)
        if index == self.model.spoken:
            return
        self.model.set_spoken(index)
        self.lines.viewport().update()
        self._scroll_to_spoken()

    # -- internals --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape
                and self.search.text()):
            self.search.clear()
            return True
        return super().eventFilter(watched, event)

    def _scroll_to_spoken(self) -> None:
        row = self.model.row_of(self.model.spoken) if self.model.spoken is not None else None
        if row is not None:
            self.lines.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.EnsureVisible)

    def _apply_search(self, text: str) -> None:
        self._needle = text.strip()
        key = self._needle.casefold()
        total = len(self._segments)
        rows = [i for i, folded in enumerate(self._folded) if key in folded] if key else list(range(total))
        self.model.set_rows(rows)
        if not key:
            self.count_label.setText(f"{total} line{'s' if total != 1 else ''} · click a line to play from there")
        elif rows:
            self.count_label.setText(f"{len(rows)} of {total} lines")
        else:
            self.count_label.setText(f"No line contains “{self._needle}”")
        self._scroll_to_spoken()

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < len(self.model.rows):
            self.seek_requested.emit(self._starts[self.model.rows[index.row()]])
