"""The Analysis profile page: which analysis stages the current project's jobs run, and the
translation's target language.

A view only: it shows what the controller hands it and emits `save_requested(project_id,
AnalysisProfile)` on Save; the controller (ui.main_controller) stores it through the profile
service and answers with `show_saved` or `show_error`. Runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.models.profile import AnalysisProfile
from core.services.profiles import StageChoice

LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "ru", "uk", "tr", "ar", "hi", "ja", "ko", "zh"]
OK_STYLE = "color: #1b6e20;"
ERROR_STYLE = "color: #b00020;"
HINT_STYLE = "color: #666;"


class ProfileDialog(QDialog):
    """Checkboxes per stage (the essential ones checked and locked), the target language, Save."""

    save_requested = Signal(str, object)  # project id, AnalysisProfile

    def __init__(self, project_id: str, choices_for: Callable[[AnalysisProfile], list[StageChoice]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Analysis profile")
        self.setMinimumWidth(520)
        self.project_id = project_id
        self._choices_for = choices_for  # pure: which stages run under a profile (shows "needs …")
        self._profile = AnalysisProfile()
        self.boxes: dict[str, QCheckBox] = {}
        self.notes: dict[str, QLabel] = {}

        self.stages_box = QGroupBox("Project: analysis stages")
        stages_layout = QVBoxLayout(self.stages_box)
        hint = QLabel("New analysis jobs of this project run the checked stages. Probe and shots always "
                      "run: the other stages read what they find. Jobs already queued keep their stages.")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        stages_layout.addWidget(hint)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        stages_layout.addLayout(self.grid)

        language_line = QHBoxLayout()
        language_line.addWidget(QLabel("Translate the transcript to:"))
        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems(LANGUAGES)
        self.language.setToolTip("A language code such as en, de or pt-BR (used when Translation is on)")
        self.language.setMaximumWidth(120)
        language_line.addWidget(self.language)
        language_line.addStretch(1)
        stages_layout.addLayout(language_line)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.save_button = QPushButton("Save")
        self.save_button.setEnabled(False)  # until the profile is shown
        self.save_button.clicked.connect(self._save)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ApplyRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stages_box)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(buttons)

    # -- shown by the controller ------------------------------------------------------------
    def show_profile(self, project_name: str, profile: AnalysisProfile) -> None:
        """Show the project's stored profile (builds the rows on the first call)."""
        self.stages_box.setTitle(f"Project “{project_name}”: analysis stages")
        self._profile = profile
        choices = self._choices_for(profile)
        if not self.boxes:
            self._add_rows(choices)
        for choice in choices:
            box = self.boxes[choice.name]
            box.blockSignals(True)
            box.setChecked(choice.on)
            box.blockSignals(False)
        self.language.setEditText(profile.translate_to)
        self._show_notes()
        self.save_button.setEnabled(True)

    def show_saved(self, profile: AnalysisProfile) -> None:
        self._profile = profile
        self.language.setEditText(profile.translate_to)
        running = [c.title for c in self._choices_for(profile) if c.runs]
        self._say(f"Saved. New jobs run: {', '.join(running)}.", ok=True)

    def show_error(self, text: str) -> None:
        self._say(text, ok=False)

    # -- what the operator chose ------------------------------------------------------------
    def chosen(self) -> AnalysisProfile:
        """The profile the page shows (not saved yet)."""
        on = [name for name, box in self.boxes.items() if box.isEnabled() and box.isChecked()]
        off = [name for name, box in self.boxes.items() if box.isEnabled() and not box.isChecked()]
        return self._profile.with_changes(on, off, self.language.currentText().strip())

    def _save(self) -> None:
        self._say("Saving…", ok=None)
        self.save_requested.emit(self.project_id, self.chosen())

    def _add_rows(self, choices: list[StageChoice]) -> None:
        for line, choice in enumerate(choices):
            box = QCheckBox(choice.title)
            box.setObjectName(f"stage_{choice.name}")
            box.setToolTip(f"Stage “{choice.name}”" + (" — always runs" if choice.essential else ""))
            box.setEnabled(not choice.essential)
            box.toggled.connect(lambda _on: self._show_notes())
            note = QLabel()
            note.setStyleSheet(HINT_STYLE)
            self.grid.addWidget(box, line, 0)
            self.grid.addWidget(note, line, 1)
            self.boxes[choice.name] = box
            self.notes[choice.name] = note

    def _show_notes(self) -> None:
        """Say beside each stage why it will not run although checked (a stage it needs is off)."""
        titles = {c.name: c.title for c in self._choices_for(AnalysisProfile())}
        for choice in self._choices_for(self.chosen()):
            note = self.notes[choice.name]
            if choice.essential:
                note.setText("always runs")
            elif choice.on and choice.blocked_by:
                note.setText("not run: needs " + ", ".join(titles.get(n, n) for n in choice.blocked_by))
            else:
                note.setText("")

    def _say(self, text: str, ok: bool | None) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("" if ok is None else OK_STYLE if ok else ERROR_STYLE)
