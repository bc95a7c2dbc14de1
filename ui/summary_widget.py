"""The summary panel: overview, chapters and commentary of a video; every time plays from there.

Runs on the GUI thread and reads nothing: the detail view hands it the video's `Summary`.
The overview is shown once: an LLM's prose above the list, or a local summary's picked
sentences as the list's first rows, each at the time it was said or shown. The chapters follow,
each with what else was said and shown in it at its own time (never an overview sentence
again), then the commentary. A click on any timed row plays from there.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QTextDocument
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from core.models.summary import ON_SCREEN, Moment, Summary
from core.formatting import format_timestamp

NOT_RUN_TEXT = "No summary yet — it is written when the analysis of this video has finished"
POINT_INDENT = "\u2003\u2003"  # two em spaces: a chapter's sentences sit under its title
ON_SCREEN_COLOUR = "#8a5a00"
HEADING_COLOUR = "#555555"
HEADINGS = ("Overview", "Chapters", "Commentary")


class SummaryWidget(QWidget):
    """Emits `seek_requested(media_s)` when a timed row (sentence, chapter, commentary line) is clicked."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start_s = 0.0
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #555; font-style: italic;")
        self.overview = QLabel()
        self.overview.setWordWrap(True)
        self.overview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.sections = QListWidget()
        self.sections.setWordWrap(True)
        self.sections.setSpacing(1)
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
        self._start_s = start_s
        self.sections.clear()
        if summary is None:
            self.label.setText(NOT_RUN_TEXT)
            self.overview.clear()
            self.overview.hide()
            self.sections.hide()
            return
        self.label.setText(summary.label)
        # prose (an LLM's) sits above the list; picked sentences are rows of it, each at its time
        self.overview.setText(f"<b>Overview</b><br>{escape(summary.overview)}")
        self.overview.setVisible(not summary.overview_points)
        headed = bool(summary.overview_points) or bool(summary.commentary)
        if summary.overview_points:
            silent = all(m.kind == ON_SCREEN for m in summary.overview_points)
            self._heading("Overview — no speech" if silent else "Overview")
            for point in summary.overview_points:
                self._add_point(point, "")
        if summary.chapters and headed:
            self._heading("Chapters")
        for chapter in summary.chapters:
            text = f"{self._clock(chapter.start_s)}  {chapter.title}"
            self._add(text + (f"\n{chapter.text}" if chapter.text else ""), chapter.start_s, "Chapter", bold=True)
            for point in chapter.points:
                self._add_point(point, POINT_INDENT)
        if summary.commentary:
            self._heading("Commentary")
        for line in summary.commentary:
            self._add(f"{self._clock(line.start_s)}  {line.text}", line.start_s, "Commentary")
        self.sections.setVisible(self.sections.count() > 0)

    def overview_text(self) -> str:
        """The overview as the operator reads it: the prose, or the picked sentences with their times."""
        if self.overview.isVisibleTo(self):
            doc = QTextDocument()
            doc.setHtml(self.overview.text())
            return doc.toPlainText()
        texts = self.section_texts()
        if not texts or not texts[0].startswith("Overview"):
            return ""
        end = next((i for i, t in enumerate(texts) if i and t in HEADINGS), len(texts))
        return "\n".join(texts[:end])

    def section_texts(self) -> list[str]:
        """The chapters, their sentences and the commentary lines as the operator reads them."""
        return [self.sections.item(i).text() for i in range(self.sections.count())]

    def _clock(self, media_s: float) -> str:
        return format_timestamp(media_s - self._start_s)

    def _heading(self, text: str) -> None:
        item = QListWidgetItem(text)
        font = QFont(item.font())
        font.setBold(True)
        font.setCapitalization(QFont.Capitalization.SmallCaps)
        item.setFont(font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: read, not clicked or selected
        item.setForeground(QColor(HEADING_COLOUR))
        if self.sections.count():  # air above every heading but the first
            item.setSizeHint(QSize(0, QFontMetrics(font).height() + 12))
            item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.sections.addItem(item)

    def _add_point(self, point: Moment, indent: str) -> None:
        self._add(f"{indent}{self._clock(point.start_s)}  {point.display_text}", point.start_s,
                  "On-screen text" if point.kind == ON_SCREEN else "Said", on_screen=point.kind == ON_SCREEN)

    def _add(self, text: str, time_s: float, kind: str, bold: bool = False, on_screen: bool = False) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, time_s)
        item.setToolTip(f"{kind} — click to play from here")
        if bold:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
        if on_screen:
            item.setForeground(QColor(ON_SCREEN_COLOUR))
        self.sections.addItem(item)

    def _on_clicked(self, item: QListWidgetItem) -> None:
        time_s = item.data(Qt.ItemDataRole.UserRole)
        if time_s is not None:
            self.seek_requested.emit(float(time_s))
