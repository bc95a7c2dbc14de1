"""The selects basket (toolbar: Selects…): search hits and shots the operator picked, exported as a
timeline of subclips with handles for editing software (OTIO, FCPXML, Premiere XML).

A view only: it shows the picks the controller hands it (`show_picks`) and emits
`remove_requested(index)`, `clear_requested` and `export_requested(path, format, handles)`; the
controller writes the file through the export service and answers with `show_saved` or
`show_error`. Runs on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.formatting import format_duration
from ui.dialog_layout import page_layout

FORMATS = {  # format -> (combo text, file dialog filter, suffix)
    "fcpxml": ("Final Cut Pro / Resolve (FCPXML)", "FCPXML (*.fcpxml)", ".fcpxml"),
    "xmeml": ("Premiere Pro (XML)", "Final Cut Pro 7 XML (*.xml)", ".xml"),
    "otio": ("OpenTimelineIO", "OpenTimelineIO (*.otio)", ".otio"),
}
HINT_STYLE = "color: #666;"
ERROR_STYLE = "color: #b00020;"


@dataclass(frozen=True)
class Pick:
    """One range in the basket: a video's moment (times on the video's clock, as shots)."""

    video_id: str
    video_name: str
    start_s: float
    end_s: float
    label: str
    clock_origin_s: float = 0.0  # the video's first frame, for the times shown

    def text(self) -> str:
        start, end = self.start_s - self.clock_origin_s, self.end_s - self.clock_origin_s
        return f"{self.video_name}  {format_duration(start)}–{format_duration(end)}  {self.label}"


class SelectsDialog(QDialog):
    remove_requested = Signal(int)
    clear_requested = Signal()
    export_requested = Signal(str, str, int)  # path, format, handles (frames)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Selects")
        self.setMinimumSize(640, 380)
        hint = QLabel("Moments picked with Add to selects (Ctrl+B) on a search hit or a shot, in this order. "
                      "Export makes a timeline of subclips of the original files, each with handles.")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        self.list = QListWidget()
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear_requested.emit)
        self.handles = QSpinBox()
        self.handles.setRange(0, 1000)
        self.handles.setValue(12)
        self.handles.setSuffix(" frames")
        self.handles.setToolTip("Frames added before and after each pick, as far as its file allows")
        self.format = QComboBox()
        for key, (text, _filter, _suffix) in FORMATS.items():
            self.format.addItem(text, key)
        self.export_button = QPushButton("Export…")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._choose_file)
        self.message = QLabel()
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.remove_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        row.addWidget(QLabel("Handles:"))
        row.addWidget(self.handles)
        row.addWidget(self.format)
        row.addWidget(self.export_button)
        page_layout(self, hint, (self.list, 1), row, self.message)
        self._dialog: QFileDialog | None = None
        self.show_picks([])

    def show_picks(self, picks: list[Pick]) -> None:
        self.list.clear()
        self.list.addItems([f"{n}. {pick.text()}" for n, pick in enumerate(picks, start=1)])
        for button in (self.remove_button, self.clear_button, self.export_button):
            button.setEnabled(bool(picks))
        if not picks:
            self.message.setStyleSheet(HINT_STYLE)
            self.message.setText("The basket is empty.")

    def show_saved(self, path: Path) -> None:
        self.message.setStyleSheet("")
        self.message.setText(f"Saved {path.name}")
        self.message.setToolTip(str(path))

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.remove_requested.emit(row)

    def _choose_file(self) -> QFileDialog:
        fmt = str(self.format.currentData())
        _text, name_filter, suffix = FORMATS[fmt]
        dialog = QFileDialog(self, "Export selects")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.selectFile("Selects" + suffix)
        dialog.fileSelected.connect(lambda chosen: self.export_requested.emit(chosen, fmt, self.handles.value()))
        dialog.open()
        self._dialog = dialog
        return dialog
