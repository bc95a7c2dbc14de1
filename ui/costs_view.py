"""The Costs view: what cloud providers cost, per project, provider and day, and the recent calls.

Runs on the GUI thread's asyncio (qasync) loop and reads only through the async
ProviderService and ProjectService (the provider_calls ledger); it writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import structlog
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.models.costs import CostTotal, ProviderCall
from core.services import ProjectService
from core.services.providers import ProviderService
from core.timeutil import utc_now
from ui.task_set import TaskSet

log = structlog.get_logger(__name__)

CHART_DAYS = 30
RECENT_CALLS = 200
TOTAL_COLUMNS = ["Cost", "Calls", "Cached calls", "Saved by cache", "Failed calls"]
CALL_COLUMNS = ["Time (local)", "Project", "Provider / model", "Operation", "Cost", "Cached", "Result"]


def usd(value: float) -> str:
    """Dollars with enough digits for a single cheap call ($0.0002), cents for large sums."""
    return f"${value:,.2f}" if abs(value) >= 100 else f"${value:.4f}"


class DailyCostWidget(QWidget):
    """A bar per day (oldest left), height = cost; hover a bar for its day, cost and calls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days: list[tuple[date, float, int]] = []
        self.setMinimumHeight(150)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(600, 170)

    def set_days(self, totals: Sequence[CostTotal], last_day: date, count: int = CHART_DAYS) -> None:
        """Show `count` days ending with `last_day`; days without calls are empty bars."""
        by_day = {t.key: t for t in totals}
        first = last_day - timedelta(days=count - 1)
        self.days = []
        for i in range(count):
            day = first + timedelta(days=i)
            total = by_day.get(day.isoformat())
            self.days.append((day, total.cost_usd if total else 0.0, total.calls if total else 0))
        self.update()

    def _bar_rect(self, index: int, peak: float) -> QRectF:
        left, right, top, bottom = 56.0, 8.0, 10.0, 22.0
        width = (self.width() - left - right) / max(1, len(self.days))
        height = self.height() - top - bottom
        cost = self.days[index][1]
        bar = 0.0 if peak <= 0 else height * cost / peak
        return QRectF(left + index * width + width * 0.15, top + height - bar, width * 0.7, bar)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = palette.color(QPalette.ColorRole.Mid)
        peak = max((d[1] for d in self.days), default=0.0)
        top, bottom, left = 10.0, self.height() - 22.0, 56.0
        painter.setPen(grid)
        painter.drawLine(int(left), int(bottom), self.width() - 8, int(bottom))
        painter.setPen(text)
        painter.drawText(QRectF(0, top - 6, left - 6, 14), Qt.AlignmentFlag.AlignRight, usd(peak))
        painter.drawText(QRectF(0, bottom - 8, left - 6, 14), Qt.AlignmentFlag.AlignRight, "$0")
        if not self.days:
            return
        bar_color = QColor("#3a7bd5")
        for i, (day, cost, _calls) in enumerate(self.days):
            rect = self._bar_rect(i, peak)
            if cost > 0:
                painter.fillRect(rect, bar_color)
            if i % 5 == 0 or i == len(self.days) - 1:
                label = QRectF(rect.center().x() - 30, bottom + 3, 60, 16)
                painter.drawText(label, Qt.AlignmentFlag.AlignHCenter, day.strftime("%b %d"))
        if peak <= 0:
            painter.drawText(QRectF(left, top, self.width() - left, bottom - top),
                             Qt.AlignmentFlag.AlignCenter, "No cloud spending in these days")
        painter.end()

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        peak = max((d[1] for d in self.days), default=0.0)
        for i, (day, cost, calls) in enumerate(self.days):
            rect = self._bar_rect(i, peak)
            if rect.left() - 2 <= event.position().x() <= rect.right() + 2:
                self.setToolTip(f"{day.isoformat()}: {usd(cost)}, {calls} call{'s' if calls != 1 else ''}")
                return
        self.setToolTip("")


def _table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(columns)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], right: Sequence[int] = range(1, 6)) -> None:
    """Put `rows` in `table`; the `right` columns (amounts, counts) are right-aligned."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


def _texts(table: QTableWidget) -> list[list[str]]:
    return [[item.text() if (item := table.item(r, c)) is not None else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


class CostsDialog(QDialog):
    """Totals per project, provider and day (with a chart), and the recent calls; `load()` reads them."""

    def __init__(self, providers: ProviderService, projects: ProjectService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Costs")
        self.resize(900, 600)
        self._providers = providers
        self._projects = projects
        self._tasks = TaskSet(self._failed)
        self.summary = QLabel("Loading…")
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(lambda: self._tasks.spawn(self.load()))
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)

        self.tabs = QTabWidget()
        self.by_project = _table(["Project", *TOTAL_COLUMNS])
        self.by_provider = _table(["Provider", *TOTAL_COLUMNS])
        self.by_day = _table(["Day (UTC)", *TOTAL_COLUMNS])
        self.chart = DailyCostWidget()
        day_page = QWidget()
        day_layout = QVBoxLayout(day_page)
        day_layout.addWidget(QLabel(f"Cost per day, last {CHART_DAYS} days (UTC)"))
        day_layout.addWidget(self.chart)
        day_layout.addWidget(self.by_day, 1)
        self.calls = _table(CALL_COLUMNS)
        self.calls.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.calls.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.calls.setWordWrap(True)
        self.tabs.addTab(self.by_project, "By project")
        self.tabs.addTab(self.by_provider, "By provider")
        self.tabs.addTab(day_page, "By day")
        self.tabs.addTab(self.calls, "Recent calls")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    async def load(self) -> None:
        """Read the totals and recent calls from the ledger and show them."""
        names = {p.id: p.name for p in await self._projects.all()}
        by_project = await self._providers.costs("project")
        by_provider = await self._providers.costs("provider")
        today = utc_now().date()
        by_day = await self._providers.costs("day", since=utc_now() - timedelta(days=CHART_DAYS))
        calls = await self._providers.recent_calls(RECENT_CALLS)

        def rows(totals: list[CostTotal], label: Any) -> list[list[str]]:
            return [[label(t.key), usd(t.cost_usd), str(t.calls), str(t.cached_calls), usd(t.saved_usd),
                     str(t.failed_calls)] for t in sorted(totals, key=lambda t: -t.cost_usd)]

        _fill(self.by_project, rows(by_project, lambda key: names.get(key, key or "(no project)")))
        _fill(self.by_provider, rows(by_provider, lambda key: key or "(unknown)"))
        _fill(self.by_day, sorted(rows(by_day, lambda key: key), key=lambda row: row[0], reverse=True))
        self.chart.set_days(by_day, today)
        _fill(self.calls, [self._call_row(c, names) for c in calls], right=(4,))
        for r, call in enumerate(calls):
            item = self.calls.item(r, 6)
            if not call.ok and item is not None:
                item.setForeground(QColor("#b00020"))
        cost = sum(t.cost_usd for t in by_provider)
        saved = sum(t.saved_usd for t in by_provider)
        count = sum(t.calls for t in by_provider)
        cached = sum(t.cached_calls for t in by_provider)
        self.summary.setText(
            f"<b>Total {usd(cost)}</b> over {count} provider call{'s' if count != 1 else ''}; "
            f"{cached} answered from the cache, saving {usd(saved)}." if count else
            "No provider calls yet: everything so far ran on local models, at no cost.")

    @staticmethod
    def _call_row(call: ProviderCall, names: dict[str, str]) -> list[str]:
        when = call.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        result = "ok" if call.ok else f"error: {call.error or 'failed'}"
        project = names.get(call.project_id or "", call.project_id or "")
        return [when, project, f"{call.provider} / {call.model}", call.operation, usd(call.cost_usd),
                f"yes, saved {usd(call.saved_usd)}" if call.cached else "", result]

    def total_rows(self, tab: str) -> list[list[str]]:
        """The rows a totals tab ("project", "provider", "day") shows, as text."""
        table = {"project": self.by_project, "provider": self.by_provider, "day": self.by_day}[tab]
        return _texts(table)

    def call_rows(self) -> list[list[str]]:
        """The recent calls as the operator reads them, newest first."""
        return _texts(self.calls)

    # -- plumbing ---------------------------------------------------------------------------
    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self._tasks.cancel_all()
        super().closeEvent(event)

    def _failed(self, exc: BaseException) -> None:
        log.error("costs_view_failed", error=str(exc), exc_info=exc)
        self.summary.setText(f"Could not read the costs: {exc}")
