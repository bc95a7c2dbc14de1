"""The Watch folders page: folders whose new video files are analysed without a click.

A view only: it shows the folders the controller hands it (`show_folders`) and emits
`add_requested` / `remove_requested`; the controller (ui.main_controller) goes through the watch
service and answers with `show_folders` or `show_error`. Runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from core.models.watch import DEFAULT_EXTENSIONS, WatchFolder
from ui.dialog_layout import page_layout

COLUMNS = ("Folder", "Project", "Subfolders", "Status")
ERROR_STYLE = "color: #b00020;"
HINT_STYLE = "color: #666;"


class WatchFoldersDialog(QDialog):
    """The watched folders with their status; a form to add one; Remove for the selected one."""

    add_requested = Signal(str, str, bool, object, float)  # path, project, recursive, extensions, settle s
    remove_requested = Signal(str)  # folder id

    def __init__(self, projects: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Watch folders")
        self.setMinimumSize(760, 420)
        self._folders: list[WatchFolder] = []
        self._chooser: QFileDialog | None = None

        hint = QLabel("Video files copied into these folders are analysed on their own, into the folder's "
                      "project with that project's analysis profile, once they stopped changing for the "
                      "settle time. Files already in the project (the same content) are not analysed again. "
                      "The app watches while it is open; the command vip watch does it headless.")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel("No watch folders yet: add one below.")
        self.empty_label.setStyleSheet(HINT_STYLE)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Stop watching the selected folder (its videos stay in the library)")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._remove)
        self.table.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.table.selectedItems())))

        self.add_box = QGroupBox("Add a watch folder")
        form = QFormLayout(self.add_box)
        folder_line = QHBoxLayout()
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("/media/ingest")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        folder_line.addWidget(self.folder_edit, 1)
        folder_line.addWidget(self.browse_button)
        form.addRow("Folder:", folder_line)
        self.project_combo = QComboBox()
        self.project_combo.setEditable(True)
        self.project_combo.addItems(projects)
        self.project_combo.setToolTip("Its videos go to this project (created if new) and run its analysis profile")
        form.addRow("Project:", self.project_combo)
        self.recursive_box = QCheckBox("Include subfolders")
        self.recursive_box.setChecked(True)
        form.addRow("", self.recursive_box)
        self.extensions_edit = QLineEdit(", ".join(e.lstrip(".") for e in DEFAULT_EXTENSIONS))
        self.extensions_edit.setToolTip("Only files with these extensions are taken")
        form.addRow("Extensions:", self.extensions_edit)
        self.settle_spin = QDoubleSpinBox()
        self.settle_spin.setRange(0.0, 3600.0)
        self.settle_spin.setValue(10.0)
        self.settle_spin.setSuffix(" s")
        self.settle_spin.setToolTip("A file is taken once its size and modification time stayed the same this long")
        form.addRow("Settle time:", self.settle_spin)
        self.add_button = QPushButton("Add folder")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self._add)
        form.addRow("", self.add_button)

        self.message = QLabel()
        self.message.setWordWrap(True)
        table_buttons = QHBoxLayout()
        table_buttons.addWidget(self.empty_label)
        table_buttons.addStretch(1)
        table_buttons.addWidget(self.remove_button)
        page_layout(self, hint, (self.table, 1), table_buttons, self.add_box, self.message)

    def show_folders(self, folders: list[WatchFolder]) -> None:
        """The folders with what their last scan found."""
        selected = self.selected_folder_id()
        self._folders = list(folders)
        self.table.setRowCount(len(folders))
        for row, folder in enumerate(folders):
            cells = (folder.path, folder.project, "yes" if folder.recursive else "no", folder.status)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 3 and not folder.ok:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, column, item)
            if folder.id == selected:
                self.table.selectRow(row)
        self.empty_label.setVisible(not folders)

    def show_added(self, folder: WatchFolder) -> None:
        self.message.setStyleSheet("")
        self.message.setText(f"Watching {folder.path} for project “{folder.project}”.")
        self.folder_edit.clear()

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)

    def selected_folder_id(self) -> str | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        return self._folders[min(rows)].id if rows and min(rows) < len(self._folders) else None

    def statuses(self) -> dict[str, str]:
        """Folder path -> the status the operator reads."""
        return {folder.path: (cell.text() if (cell := self.table.item(row, 3)) else "")
                for row, folder in enumerate(self._folders)}

    def _add(self) -> None:
        path = self.folder_edit.text().strip()
        if not path:
            self.show_error("Choose the folder to watch first (Browse…).")
            return
        extensions = tuple(e.strip().lstrip(".") for e in self.extensions_edit.text().replace(";", ",").split(",")
                           if e.strip())
        self.add_requested.emit(path, self.project_combo.currentText().strip() or "Default",
                                self.recursive_box.isChecked(), extensions, self.settle_spin.value())

    def _remove(self) -> None:
        folder_id = self.selected_folder_id()
        if folder_id is not None:
            self.remove_requested.emit(folder_id)

    def _browse(self) -> None:
        chooser = QFileDialog(self, "Folder to watch")
        chooser.setFileMode(QFileDialog.FileMode.Directory)
        chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        chooser.fileSelected.connect(self.folder_edit.setText)
        chooser.open()
        self._chooser = chooser
