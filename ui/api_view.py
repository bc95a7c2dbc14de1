"""The REST API page (Tools → REST API…): start and stop the local API the way `vip serve` runs
it, and copy its token.

A view only: it emits `start_requested(host, port)` / `stop_requested`; the controller goes
through the server port the app hands it (ui.main_controller.ApiServerPort) and answers with
`show_running`, `show_stopped` or `show_error`. Runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ui.dialog_layout import page_layout

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8770
ERROR_STYLE = "color: #b00020;"
OK_STYLE = "color: #1b6e20;"
HINT_STYLE = "color: #666;"


class ApiServerDialog(QDialog):
    start_requested = Signal(str, int)  # host, port
    stop_requested = Signal()

    def __init__(self, token: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("REST API")
        self.setMinimumWidth(620)
        hint = QLabel("The local REST API (the same as the command vip serve) serves this library while the "
                      "app is open: queue analyses, read jobs and their progress, search, export. Every request "
                      "needs the token below as “Authorization: Bearer TOKEN”; the description is at /docs. "
                      "127.0.0.1 reaches it from this machine only.")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        form = QFormLayout()
        self.host_edit = QLineEdit(DEFAULT_HOST)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(DEFAULT_PORT)
        form.addRow("Address:", self.host_edit)
        form.addRow("Port:", self.port_spin)
        token_line = QHBoxLayout()
        self.token_edit = QLineEdit(token)
        self.token_edit.setReadOnly(True)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the token to the clipboard")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.token_edit.text()))
        token_line.addWidget(self.token_edit, 1)
        token_line.addWidget(self.copy_button)
        form.addRow("Token:", token_line)
        self.status = QLabel("Stopped")
        self.status.setTextInteractionFlags(self.status.textInteractionFlags())
        self.status.setOpenExternalLinks(True)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.start_button.clicked.connect(self._start)
        self.stop_button.clicked.connect(self._stop)
        controls = QHBoxLayout()
        controls.addWidget(self.status, 1)
        controls.addWidget(self.start_button)
        controls.addWidget(self.stop_button)
        page_layout(self, hint, form, controls)

    def show_running(self, url: str) -> None:
        docs = url.removesuffix("/api/v1") + "/docs"
        self.status.setStyleSheet(OK_STYLE)
        self.status.setText(f"Serving on {url} — <a href=\"{docs}\">{docs}</a>")
        self._set_running(True)

    def show_stopped(self) -> None:
        self.status.setStyleSheet("")
        self.status.setText("Stopped")
        self._set_running(False)

    def show_error(self, text: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(text)
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.host_edit.setEnabled(not running)
        self.port_spin.setEnabled(not running)

    def _start(self) -> None:
        self.start_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText("Starting…")
        self.start_requested.emit(self.host_edit.text().strip() or DEFAULT_HOST, self.port_spin.value())

    def _stop(self) -> None:
        self.stop_button.setEnabled(False)
        self.stop_requested.emit()
