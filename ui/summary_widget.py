"""The summary panel: overview, chapters and commentary of a video; every time plays from there.

Runs on the GUI thread and reads nothing: the detail view hands it the video's `Summary`.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from core.summary.model import Summary
from ui.transcript_widget import format_line_time

NOT_RUN_TEXT = "No summary yet — it is written when the analysis of this video has finished"


class SummaryWidget(QWidget):
    """Emits `seek_requested(media_s)` when a chapter or commentary line is clicked."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #555; font-style: italic;")
        self.overview = QLabel()
        self.overview.setWordWrap(True)
        self.overview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.sections = QListWidget()
        self.sections.setWordWrap(True)
        self.sections.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the player
        self.sections.itemClicked.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.overview)
        layout.addWidget(self.sections, 1)
        self.set_summary(None)

    def set_summary(self, summary: Summary | None, start_s: float = 0.0) -> None:
        """Show `summary` (None: not written yet); times count from the first frame (`start_s`)."""
        self.sections.clear()
        if summary is None:
            self.label.setText(NOT_RUN_TEXT)
            self.overview.clear()
            self.sections.hide()
            return
        self.label.setText(summary.label)
        self.overview.setText(f"<b>Overview</b><br>{escape(summary.overview)}")
        for chapter in summary.chapters:
            text = f"{format_line_time(chapter.start_s - start_s)}  {chapter.title}"
            self._add(text + (f"\n{chapter.text}" if chapter.text else ""), chapter.start_s, "Chapter")
        for line in summary.commentary:
            self._add(f"{format_line_time(line.start_s - start_s)}  {line.text}", line.start_s, "Commentary")
        self.sections.show()

    def section_texts(self) -> list[str]:
        """The chapters and commentary lines as the operator reads them."""
        return [self.sections.item(i).text() for i in range(self.sections.count())]

    def _add(self, text: str, time_s: float, kind: str) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, time_s)
        item.setToolTip(f"{kind} — click to play from here")
        self.sections.addItem(item)

    def _on_clicked(self, item: QListWidgetItem) -> None:
        self.seek_requested.emit(float(item.data(Qt.ItemDataRole.UserRole)))
