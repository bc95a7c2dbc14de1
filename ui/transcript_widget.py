"""Timed text panels: lines with their times, searchable, following playback; the transcript.

Runs on the GUI thread and reads nothing: the detail view hands a panel the video's segments
(`TextSegment`, times in PTS seconds like shots). `TimedTextWidget` is the list itself;
`TranscriptWidget` shows speech segments with it, `ui.onscreen_text_widget` on-screen text.
Following playback is a binary search over the lines' start times, so it stays cheap for
hours of speech.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from core.formatting import format_timestamp
from core.subtitles import align_tracks, language_name, speaker_name

if TYPE_CHECKING:
    from core.models import TextSegment

NOT_RUN_TEXT = "No transcript yet — the speech stage has not run"
NO_SPEECH_TEXT = "No speech in this video"
FAILED_TEXT = "No transcript — the speech stage failed (see the job's error in the library)"
_SPOKEN = QBrush(QColor("#d6e6fb"))
_SPOKEN_TEXT = QBrush(QColor("#0b3d91"))

@dataclass(frozen=True)
class PanelTexts:
    """What a timed text panel says: its search box, its count line and why it is empty."""

    search_placeholder: str
    noun: str  # one line, e.g. "line"
    nouns: str  # several, e.g. "lines"
    not_run: str
    none_found: str
    failed: str

    def empty(self, stage_status: str | None) -> str:
        """Why there are no lines, given the stage's status in `video.stages`."""
        if stage_status == "succeeded":
            return self.none_found
        if stage_status == "failed":
            return self.failed
        return self.not_run


TRANSCRIPT_TEXTS = PanelTexts("Search the transcript", "line", "lines", NOT_RUN_TEXT, NO_SPEECH_TEXT,
                              FAILED_TEXT)


def empty_text(speech_status: str | None) -> str:
    """What the transcript panel says when there are no lines, given the speech stage's status."""
    return TRANSCRIPT_TEXTS.empty(speech_status)


class _LinesModel(QAbstractListModel):
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


class TimedTextWidget(QWidget):
    """Timed lines of one video; emits `seek_requested(start_s)` when a line is clicked.

    `set_position(media_s)` (from the player's position signal) highlights the line on at the
    playhead and keeps it in view. Lines may overlap (on-screen text): the one that began
    last among those still on is highlighted.
    """

    seek_requested = Signal(float)

    def __init__(self, texts: PanelTexts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = texts
        self._segments: list[TextSegment] = []
        self._starts: list[float] = []
        self._reach: list[float] = []  # latest end among lines 0..i: where a backward scan may stop
        self._folded: list[str] = []
        self._needle = ""
        self._offset = 0.0

        self.search = QLineEdit()
        self.search.setPlaceholderText(texts.search_placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(f"Show only the {texts.nouns} that contain this text (Esc clears)")
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: #555;")
        self.count_label.setWordWrap(True)
        self.empty_label = QLabel(texts.not_run)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_label.setStyleSheet("color: #555; padding: 16px 4px;")
        self.model = _LinesModel(self)
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

        self.box = layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.count_label)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.empty_label)
        layout.addStretch(0)

        self.search.textChanged.connect(self._apply_search)
        self.search.installEventFilter(self)
        self.lines.clicked.connect(self._on_clicked)
        self.set_segments([])

    # -- public API ------------------------------------------------------------------------------
    def set_segments(self, segments: list[TextSegment], start_s: float = 0.0,
                     stage_status: str | None = None) -> None:
        """Show `segments` (times shown from the video's first frame at PTS `start_s`).

        With no segments the panel explains why, from `stage_status` (the producing stage's
        status in `video.stages`): not run yet, failed, or ran and found nothing.
        """
        self._segments = sorted(segments, key=lambda s: s.start_s)
        self._starts = [s.start_s for s in self._segments]
        self._reach = []
        for segment in self._segments:
            self._reach.append(max(segment.end_s, self._reach[-1] if self._reach else segment.end_s))
        self._offset = start_s or 0.0
        self._render_lines()
        has_lines = bool(self._segments)
        self.empty_label.setText(self.texts.empty(stage_status))
        self.empty_label.setVisible(not has_lines)
        self.lines.setVisible(has_lines)
        self.search.setVisible(has_lines)
        self.count_label.setVisible(has_lines)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._apply_search("")

    def refresh_lines(self) -> None:
        """Write the lines' text again (after `line_body` changes); keeps the search and the highlight."""
        spoken = self.model.spoken
        self._render_lines()
        self.model.set_spoken(spoken)
        self._apply_search(self.search.text())

    def line_body(self, index: int, segment: TextSegment) -> str:
        """What line `index` (0-based, in time order) shows after its time; the search looks in it."""
        return " ".join(segment.text.split())

    def tip(self, segment: TextSegment, start: str, end: str) -> str:
        """The tooltip of one line; `start` and `end` are its times as shown."""
        return f"{start} – {end}: click to play from here"

    def line_count(self) -> int:
        return len(self._segments)

    def line_text(self, segment: int) -> str:
        """Line `segment` (0-based, search or not) as the operator reads it: 'm:ss  text'."""
        return self.model.lines[segment]

    def line_tip(self, segment: int) -> str:
        return self.model.tips[segment]

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
        """The line (0-based) marked as on at the playhead, if any."""
        return self.model.spoken

    def line_at(self, media_s: float) -> int | None:
        """The line on at media time `media_s` (None before, after or between lines).

        Of overlapping lines, the one that began last; the backward scan stops at the first
        line before which nothing reaches `media_s`.
        """
        i = bisect.bisect_right(self._starts, media_s + 1e-6) - 1
        while i >= 0 and self._reach[i] > media_s:
            if self._segments[i].end_s > media_s:
                return i
            i -= 1
        return None

    def set_position(self, media_s: float) -> None:
        """Highlight the line on at `media_s` and scroll it into view (no signal)."""
        index = self.line_at(media_s)
        if index == self.model.spoken:
            return
        self.model.set_spoken(index)
        self.lines.viewport().update()
        self._scroll_to_spoken()

    # -- internals --------------------------------------------------------------------------
    def _render_lines(self) -> None:
        texts = [self.line_body(i, s) for i, s in enumerate(self._segments)]
        self._folded = [t.casefold() for t in texts]
        lines, tips = [], []
        for segment, text in zip(self._segments, texts):
            clock = format_timestamp(segment.start_s - self._offset)
            lines.append(f"{clock}  {text}")
            tips.append(self.tip(segment, clock, format_timestamp(segment.end_s - self._offset)))
        self.model.set_lines(lines, tips)

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
        noun, nouns = self.texts.noun, self.texts.nouns
        if not key:
            self.count_label.setText(f"{total} {noun if total == 1 else nouns} · click a {noun} to play from there")
        elif rows:
            self.count_label.setText(f"{len(rows)} of {total} {nouns}")
        else:
            self.count_label.setText(f"No {noun} contains “{self._needle}”")
        self._scroll_to_spoken()

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < len(self.model.rows):
            self.seek_requested.emit(self._starts[self.model.rows[index.row()]])


class TranscriptWidget(TimedTextWidget):
    """The transcript of one video: its speech segments, line by line, with their speakers.

    When the video has a translation track, a toggle shows it below each line or instead of it
    (each translated line under the original line it overlaps most). Right-clicking a line with
    a speaker offers "Rename Speaker 2…"; the new name shows at once and
    `speaker_rename_requested(label, name)` asks the owner to store it.
    """

    speaker_rename_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TRANSCRIPT_TEXTS, parent)
        self._names: dict[str, str] = {}
        self._translation: list[TextSegment] = []
        self._matched: list[str] = []  # the translation shown with each line ("" where none matches)
        self.context_menu: QMenu | None = None
        self.rename_dialog: QInputDialog | None = None

        self.translation_toggle = QCheckBox("Show the translation")
        self.translation_toggle.setToolTip("Show the translated line below each line of the transcript")
        self.translation_only = QCheckBox("instead of the original")
        self.translation_only.setToolTip("Show only the translation")
        self.translation_only.setEnabled(False)
        toggles = QHBoxLayout()
        toggles.setContentsMargins(0, 0, 0, 0)
        toggles.addWidget(self.translation_toggle)
        toggles.addWidget(self.translation_only)
        toggles.addStretch(1)
        self.translation_bar = QWidget()
        self.translation_bar.setLayout(toggles)
        self.translation_bar.setVisible(False)
        self.box.insertWidget(1, self.translation_bar)

        self.translation_toggle.toggled.connect(self._on_translation_toggled)
        self.translation_only.toggled.connect(lambda _checked: self.refresh_lines())
        self.lines.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.lines.customContextMenuRequested.connect(self._on_context_menu)

    def set_transcript(self, segments: list[TextSegment], start_s: float = 0.0,
                       speech_status: str | None = None, speakers: Mapping[str, str] | None = None,
                       translation: list[TextSegment] | None = None) -> None:
        """Show the speech `segments`; with none, say why from the speech stage's status.

        `speakers`: display names by speaker label (`Video.speaker_names()`; a label without one
        shows as "Speaker N"). `translation`: the video's translation segments, if any."""
        self._names = dict(speakers or {})
        ordered = sorted(segments, key=lambda s: s.start_s)  # the order set_segments keeps
        self._translation = sorted(translation or [], key=lambda s: s.start_s)
        self._matched = [" ".join(" ".join(m.text.split()) for m in matched)
                         for matched in align_tracks(ordered, self._translation)]
        has_translation = bool(ordered) and any(self._matched)
        languages = {t.language for t in self._translation if t.language}
        which = language_name(languages.pop()) if len(languages) == 1 else ""
        self.translation_toggle.setText(f"Show the {which} translation" if which else "Show the translation")
        self.translation_bar.setVisible(has_translation)
        self.set_segments(ordered, start_s, speech_status)

    def speaker_names(self) -> dict[str, str]:
        """The names the panel shows, by label (including names given here since the last set)."""
        return dict(self._names)

    def translation_shown(self) -> bool:
        return self.translation_bar.isVisibleTo(self) and self.translation_toggle.isChecked()

    def line_body(self, index: int, segment: TextSegment) -> str:
        text = " ".join(segment.text.split())
        translated = self._matched[index] if index < len(self._matched) else ""
        if translated and self.translation_toggle.isChecked() and any(self._matched):
            text = translated if self.translation_only.isChecked() else f"{text}\n{translated}"
        if segment.speaker:
            return f"{speaker_name(segment.speaker, self._names)}: {text}"
        return text

    def tip(self, segment: TextSegment, start: str, end: str) -> str:
        tip = super().tip(segment, start, end)
        if segment.speaker:
            tip += f"\nRight-click to rename {speaker_name(segment.speaker, self._names)}"
        return tip

    def speaker_menu(self, segment: int) -> QMenu | None:
        """The context menu of line `segment` (0-based): rename its speaker; None without a speaker."""
        label = self._segments[segment].speaker if 0 <= segment < len(self._segments) else None
        if not label:
            return None
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        menu = QMenu(self)
        action = menu.addAction(f"Rename {speaker_name(label, self._names)}…")
        action.triggered.connect(lambda: self.rename_speaker(label))
        self.context_menu = menu
        return menu

    def rename_speaker(self, label: str) -> QInputDialog:
        """Ask for a new name for speaker `label` (window-modal, not blocking); see the class doc."""
        current = speaker_name(label, self._names)
        if self.rename_dialog is not None:
            self.rename_dialog.deleteLater()
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename speaker")
        dialog.setLabelText(f"Name for {current}, on every line of theirs in this video:")
        dialog.setTextValue(self._names.get(label, ""))
        dialog.textValueSelected.connect(lambda text: self._rename(label, text))
        dialog.open()
        self.rename_dialog = dialog
        return dialog

    # -- internals --------------------------------------------------------------------------
    def _rename(self, label: str, text: str) -> None:
        name = " ".join(text.split())
        if not name or name == speaker_name(label, self._names):
            return
        self._names[label] = name
        self.refresh_lines()
        self.speaker_rename_requested.emit(label, name)

    def _on_translation_toggled(self, checked: bool) -> None:
        self.translation_only.setEnabled(checked)
        self.refresh_lines()

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.lines.indexAt(pos)
        if not index.isValid() or index.row() >= len(self.model.rows):
            return
        menu = self.speaker_menu(self.model.rows[index.row()])
        if menu is not None:
            menu.popup(self.lines.viewport().mapToGlobal(pos))
