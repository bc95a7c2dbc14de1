"""The jobs panel: one row per job with a live progress bar, Cancel and Retry."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from core.formatting import job_progress_text
from core.models import Job, JobStatus

COLUMNS = ("Video", "Progress", "Message", "")


class _JobRow:
    def __init__(self, table: QTableWidget, row: int, on_cancel: Callable[[], None],
                 on_retry: Callable[[], None]) -> None:
        self.name = QTableWidgetItem()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel = QPushButton("Cancel")
        self.retry = QPushButton("Retry")
        self.cancel.clicked.connect(on_cancel)
        self.retry.clicked.connect(on_retry)
        actions = QWidget()
        layout = QHBoxLayout(actions)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.addWidget(self.cancel)
        layout.addWidget(self.retry)
        table.setItem(row, 0, self.name)
        table.setCellWidget(row, 1, self.bar)
        table.setCellWidget(row, 2, self.message)
        table.setCellWidget(row, 3, actions)


class JobsWidget(QTableWidget):
    """Shows job records; the controller feeds it and handles the buttons' requests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.setColumnWidth(0, 220)
        self.setColumnWidth(1, 300)
        self._rows: dict[str, _JobRow] = {}
        self._jobs: dict[str, Job] = {}
        self.cancel_requested: Callable[[str], None] = lambda job_id: None
        self.retry_requested: Callable[[str], None] = lambda job_id: None

    def clear_jobs(self) -> None:
        self.setRowCount(0)
        self._rows.clear()
        self._jobs.clear()

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def bar(self, job_id: str) -> QProgressBar:
        return self._rows[job_id].bar

    def show_job(self, job: Job, video_name: str) -> None:
        """Add or update the row of `job` (new jobs go on top)."""
        row = self._rows.get(job.id)
        if row is None:
            self.insertRow(0)
            row = _JobRow(self, 0, lambda j=job.id: self.cancel_requested(j),
                          lambda j=job.id: self.retry_requested(j))
            self._rows[job.id] = row
        self._jobs[job.id] = job
        row.name.setText(video_name)
        row.name.setToolTip(video_name)
        row.bar.setValue(int(round(job.progress * 1000)))
        row.bar.setFormat(job_progress_text(job) if job.status != JobStatus.FAILED else "Failed")
        failed = job.status == JobStatus.FAILED
        row.bar.setStyleSheet("QProgressBar::chunk { background: #c0392b; }" if failed else "")
        if failed and job.error:
            row.message.setText(f"<b>{job.error.type}</b>: {job.error.message}")
            row.message.setStyleSheet("color: #c0392b;")
            row.message.setToolTip(job.error.detail or job.error.message)
        else:
            row.message.setText(job.message)
            row.message.setStyleSheet("")
            row.message.setToolTip(job.message)
        row.cancel.setEnabled(not job.status.finished and not job.cancel_requested)
        row.retry.setEnabled(job.status in (JobStatus.FAILED, JobStatus.CANCELED))
        self.resizeRowToContents(self.row_of(job.id))

    def row_of(self, job_id: str) -> int:
        item = self._rows[job_id].name
        return self.row(item)
