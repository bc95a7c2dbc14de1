"""The jobs panel: one row per job with a live progress bar, its message, Cancel and Retry.

Progress and the Cancel/Retry buttons are painted by delegates from a table model, so an
update only marks one row dirty and Qt repaints it with the next frame (QProgressBar
widgets repaint synchronously on every setValue, which stalls the loop when many jobs move
at once; a widget per row made filling the panel with 200 jobs stall it for ~650 ms).
Runs on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
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

    def unnamed_of(self, video_ids: set[str]) -> list[Job]:
        """The jobs of these videos still shown under the video's id (its name was not known)."""
        return [job for job in self._jobs if job.video_id in video_ids and self._names.get(job.id) == job.video_id]

    def row_of(self, job_id: str) -> int:
        return self._rows[job_id]

    def clear(self) -> None:
        self.beginResetModel()
        self._jobs.clear()
        self._names.clear()
        self._rows.clear()
        self.endResetModel()

    def reset(self, jobs: list[tuple[Job, str]]) -> None:
        """Hold exactly these (job, video name) pairs, newest first."""
        self.beginResetModel()
        self._jobs = [job for job, _ in jobs]
        self._names = {job.id: name for job, name in jobs}
        self._rows = {job.id: i for i, job in enumerate(self._jobs)}
        self.endResetModel()

    def append_older(self, jobs: list[tuple[Job, str]]) -> None:
        """Add these older (job, video name) pairs below the rows shown, skipping those shown
        (one insert): the rest of a project's history, read after its newest jobs."""
        older = [(job, name) for job, name in jobs if job.id not in self._rows]
        if not older:
            return
        first = len(self._jobs)
        self.beginInsertRows(QModelIndex(), first, first + len(older) - 1)
        for job, name in older:
            self._rows[job.id] = len(self._jobs)
            self._jobs.append(job)
            self._names[job.id] = name
        self.endInsertRows()

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
        self.dataChanged.emit(self.index(row, VIDEO), self.index(row, ACTIONS))
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


BUTTONS = ("Cancel", "Retry")


def buttons_enabled(job: Job) -> dict[str, bool]:
    """Which of a job's buttons can be clicked: Cancel while it runs, Retry once it failed or was canceled."""
    return {"Cancel": not job.status.finished and not job.cancel_requested,
            "Retry": job.status in (JobStatus.FAILED, JobStatus.CANCELED)}


class ActionsDelegate(QStyledItemDelegate):
    """Paints a job's Cancel and Retry buttons and turns a click on one into its request.

    Painted, not QPushButton index widgets: a widget per row made filling the panel with a
    project's 200 recent jobs stall the loop for ~650 ms on a 2-core machine."""

    def __init__(self, view: JobsWidget) -> None:
        super().__init__(view)
        self._view = view
        self._pressed: tuple[str, str] | None = None  # (job id, button) under a pressed mouse button

    @staticmethod
    def button_rects(cell: QRect) -> dict[str, QRect]:
        """Where each button is drawn inside an Actions cell."""
        inner = cell.adjusted(4, 3, -4, -3)
        width = (inner.width() - 4) // 2
        return {"Cancel": QRect(inner.x(), inner.y(), width, inner.height()),
                "Retry": QRect(inner.x() + width + 4, inner.y(), width, inner.height())}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        job: Job = index.data(PROGRESS_ROLE)
        enabled = buttons_enabled(job)
        style = self._view.style()
        for name, rect in self.button_rects(option.rect).items():  # type: ignore[attr-defined]
            button = QStyleOptionButton()
            button.initFrom(self._view)
            button.rect = rect
            button.text = name
            button.state = QStyle.StateFlag.State_Raised
            if enabled[name]:
                button.state |= QStyle.StateFlag.State_Enabled
                if self._pressed == (job.id, name):
                    button.state |= QStyle.StateFlag.State_Sunken
            else:
                button.palette.setCurrentColorGroup(QPalette.ColorGroup.Disabled)
            style.drawControl(QStyle.ControlElement.CE_PushButton, button, painter, self._view)

    def editorEvent(self, event: QEvent, model: QAbstractItemModel,  # noqa: N802 (Qt API)
                    option: QStyleOptionViewItem, index: Index) -> bool:
        if not isinstance(event, QMouseEvent) or event.button() != Qt.MouseButton.LeftButton:
            return False
        job: Job = index.data(PROGRESS_ROLE)
        point = event.position().toPoint()
        hit = next((name for name, rect in self.button_rects(option.rect).items()  # type: ignore[attr-defined]
                    if rect.contains(point) and buttons_enabled(job)[name]), None)
        if event.type() == QEvent.Type.MouseButtonPress:
            self._pressed = (job.id, hit) if hit else None
            self._view.viewport().update(option.rect)  # type: ignore[attr-defined]
            return hit is not None
        if event.type() == QEvent.Type.MouseButtonRelease:
            pressed, self._pressed = self._pressed, None
            self._view.viewport().update(option.rect)  # type: ignore[attr-defined]
            if hit is not None and pressed == (job.id, hit):
                (self._view.cancel_requested if hit == "Cancel" else self._view.retry_requested).emit(job.id)
                return True
        return hit is not None


class JobsWidget(QTableView):
    """Shows job records; the controller feeds it and handles the buttons' requests."""

    cancel_requested = Signal(str)  # job id: its Cancel button was clicked
    retry_requested = Signal(str)  # job id: its Retry button was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = JobsModel()
        self.setModel(self.model_)
        self.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self))
        self.setItemDelegateForColumn(ACTIONS, ActionsDelegate(self))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(32)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
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

    def clear_jobs(self) -> None:
        self.model_.clear()

    def set_jobs(self, jobs: list[tuple[Job, str]]) -> None:
        """Show these (job, video name) pairs, newest first, in place of what is shown (one reset)."""
        self.model_.reset(jobs)

    def append_older(self, jobs: list[tuple[Job, str]]) -> None:
        """Add older (job, video name) pairs at the bottom (those already shown are skipped)."""
        self.model_.append_older(jobs)

    def job(self, job_id: str) -> Job | None:
        return self.model_.job(job_id)

    def job_ids(self) -> list[str]:
        return [self.model_.data(self.model_.index(r, 0), PROGRESS_ROLE).id
                for r in range(self.model_.rowCount())]

    def jobs_of(self, video_ids: set[str]) -> list[Job]:
        """The shown jobs of these videos that still read the video's id instead of its name."""
        return self.model_.unnamed_of(video_ids)

    def button_rect(self, job_id: str, name: str) -> QRect:
        """Where a job's "Cancel" or "Retry" button is, in the viewport's coordinates."""
        cell = self.visualRect(self.model_.index(self.model_.row_of(job_id), ACTIONS))
        return ActionsDelegate.button_rects(cell)[name]

    def shown(self, job_id: str) -> dict[str, Any]:
        """What the operator sees in a job's row (tests and benchmarks read this)."""
        row = self.model_.row_of(job_id)
        job = self.model_.job(job_id)
        assert job is not None
        enabled = buttons_enabled(job)
        return {
            "video": self.model_.data(self.model_.index(row, VIDEO)),
            "percent": round(job.progress * 100),
            "progress": self.model_.data(self.model_.index(row, PROGRESS)),
            "message": self.model_.data(self.model_.index(row, MESSAGE)),
            "cancel_enabled": enabled["Cancel"],
            "retry_enabled": enabled["Retry"],
        }

    def show_job(self, job: Job, video_name: str) -> None:
        """Add or update the row of `job` (new jobs go on top)."""
        self.model_.upsert(job, video_name)
