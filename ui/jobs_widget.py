"""The jobs panel: one row per job with a live progress bar, its message, Cancel and Retry.

Progress is painted by a delegate from a table model, so an update only marks one cell
dirty and Qt repaints it with the next frame (QProgressBar widgets repaint synchronously
on every setValue, which stalls the loop when many jobs move at once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from core.models import JobStatus
from core.formatting import job_progress_text

if TYPE_CHECKING:
    from core.models import Job

VIDEO, PROGRESS, MESSAGE, ACTIONS = range(4)
HEADERS = ("Video", "Progress", "Message", "Actions")
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
FAILED_COLOR = QColor("#c0392b")
Index = QModelIndex | QPersistentModelIndex


def progress_text(job: Job) -> str:
    return "Failed" if job.status == JobStatus.FAILED else job_progress_text(job)


def message_text(job: Job) -> str:
    if job.status == JobStatus.FAILED and job.error:
        return f"{job.error.type}: {job.error.message}"
    return job.message


class JobsModel(QAbstractTableModel):
    """Jobs of the current project, newest first."""

    def __init__(self) -> None:
        super().__init__()
        self._jobs: list[Job] = []
        self._names: dict[str, str] = {}
        self._rows: dict[str, int] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        job = self._jobs[index.row()]
        column = index.column()
        if role == PROGRESS_ROLE:
            return job
        if role == Qt.ItemDataRole.DisplayRole:
            if column == VIDEO:
                return self._names.get(job.id, job.video_id)
            if column == PROGRESS:
                return progress_text(job)
            if column == MESSAGE:
                return message_text(job)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == MESSAGE and job.error:
                return job.error.detail or job.error.message
            if column in (VIDEO, MESSAGE):
                return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and column == MESSAGE and job.status == JobStatus.FAILED:
            return FAILED_COLOR
        return None

    def job(self, job_id: str) -> Job | None:
        row = self._rows.get(job_id)
        return None if row is None else self._jobs[row]

    def row_of(self, job_id: str) -> int:
        return self._rows[job_id]

    def clear(self) -> None:
        self.beginResetModel()
        self._jobs.clear()
        self._names.clear()
        self._rows.clear()
        self.endResetModel()

    def upsert(self, job: Job, video_name: str) -> tuple[int, bool]:
        """Add or replace `job`; return (row, added)."""
        self._names[job.id] = video_name
        row = self._rows.get(job.id)
        if row is None:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._jobs.insert(0, job)
            self._rows = {j.id: i for i, j in enumerate(self._jobs)}
            self.endInsertRows()
            return 0, True
        self._jobs[row] = job
        self.dataChanged.emit(self.index(row, VIDEO), self.index(row, MESSAGE))
        return row, False


class ProgressDelegate(QStyledItemDelegate):
    """Paints a job's progress as one flat bar with 'stage · percent · ETA' centred on it.

    Drawn by hand rather than with the style's progress bar: inside a table cell the style's
    own frame doubled the cell's border and set its text off-centre."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        job: Job = index.data(PROGRESS_ROLE)
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        bar = QRectF(option.rect.adjusted(4, 5, -4, -5))  # type: ignore[attr-defined]
        failed = job.status == JobStatus.FAILED
        fill_color = FAILED_COLOR if failed else palette.color(QPalette.ColorRole.Highlight)
        if job.status == JobStatus.QUEUED:
            fill_color = palette.color(QPalette.ColorRole.Mid)
        fraction = 1.0 if failed else max(0.0, min(1.0, job.progress))
        filled = QRectF(bar.x(), bar.y(), bar.width() * fraction, bar.height())
        text = progress_text(job)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(bar.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        if fraction > 0:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill_color)
            painter.drawRoundedRect(filled, 3, 3)
        align = Qt.AlignmentFlag.AlignCenter
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.setClipRect(bar.adjusted(filled.width(), 0, 0, 0))
        painter.drawText(bar, align, text)
        if fraction > 0:  # the part of the text over the fill reads in the fill's text colour
            painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
            painter.setClipRect(filled)
            painter.drawText(bar, align, text)
        painter.restore()


class _Actions(QWidget):
    def __init__(self, on_cancel: Callable[[bool], None], on_retry: Callable[[bool], None]) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        self.cancel = QPushButton("Cancel")
        self.retry = QPushButton("Retry")
        self.cancel.clicked.connect(on_cancel)
        self.retry.clicked.connect(on_retry)
        layout.addWidget(self.cancel)
        layout.addWidget(self.retry)
        self.status: JobStatus | None = None
        self.cancel_requested = False


class JobsWidget(QTableView):
    """Shows job records; the controller feeds it and handles the buttons' requests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = JobsModel()
        self.setModel(self.model_)
        self.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(32)
        self.setShowGrid(False)  # rows are told apart by alternating colours, not a second border
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ACTIONS, QHeaderView.ResizeMode.Fixed)
        self.setColumnWidth(VIDEO, 220)
        self.setColumnWidth(PROGRESS, 300)
        self.setColumnWidth(ACTIONS, 170)
        self._actions: dict[str, _Actions] = {}
        self.cancel_requested: Callable[[str], None] = lambda job_id: None
        self.retry_requested: Callable[[str], None] = lambda job_id: None

    def clear_jobs(self) -> None:
        self.model_.clear()
        self._actions.clear()

    def job(self, job_id: str) -> Job | None:
        return self.model_.job(job_id)

    def job_ids(self) -> list[str]:
        return [self.model_.data(self.model_.index(r, 0), PROGRESS_ROLE).id
                for r in range(self.model_.rowCount())]

    def shown(self, job_id: str) -> dict[str, Any]:
        """What the operator sees in a job's row (tests and benchmarks read this)."""
        row = self.model_.row_of(job_id)
        job = self.model_.job(job_id)
        assert job is not None
        actions = self._actions[job_id]
        return {
            "video": self.model_.data(self.model_.index(row, VIDEO)),
            "percent": round(job.progress * 100),
            "progress": self.model_.data(self.model_.index(row, PROGRESS)),
            "message": self.model_.data(self.model_.index(row, MESSAGE)),
            "cancel_enabled": actions.cancel.isEnabled(),
            "retry_enabled": actions.retry.isEnabled(),
        }

    def show_job(self, job: Job, video_name: str) -> None:
        """Add or update the row of `job` (new jobs go on top)."""
        row, added = self.model_.upsert(job, video_name)
        actions = self._actions.get(job.id)
        if added or actions is None:
            # clicked(bool checked) would fill a defaulted parameter ("No job with id False"):
            # bind the id in a closure that takes the signal's argument and ignores it.
            job_id = job.id
            actions = _Actions(lambda _checked=False: self.cancel_requested(job_id),
                               lambda _checked=False: self.retry_requested(job_id))
            self._actions[job.id] = actions
            self.setIndexWidget(self.model_.index(row, ACTIONS), actions)
        if actions.status != job.status or actions.cancel_requested != job.cancel_requested:
            actions.status, actions.cancel_requested = job.status, job.cancel_requested
            actions.cancel.setEnabled(not job.status.finished and not job.cancel_requested)
            actions.retry.setEnabled(job.status in (JobStatus.FAILED, JobStatus.CANCELED))
