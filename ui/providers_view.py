"""The Providers page: API keys (save, remove, test), per-project routing, the project's budget.

Runs on the GUI thread's asyncio (qasync) loop and talks only to the async ProviderService and
ProjectService (keyring and HTTP tests run on threads there). A key typed here goes straight to
the key store: it is never shown again, logged or kept in a widget after Save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.errors import VipError
from core.providers.keys import env_var_names
from core.providers.prices import DEFAULT_PRICES
from core.models.routing import CAPABILITIES, CLOUD_CAPABLE, LOCAL, Route, Routing
from core.services import ProjectService
from core.services.providers import ProviderService, ProviderStatus
from ui.task_set import TaskSet

log = structlog.get_logger(__name__)

PROVIDER_TITLES = {"openai": "OpenAI-compatible endpoint", "gemini": "Google Gemini"}
LOCAL_TEXT = "Local (default)"
OK_STYLE = "color: #1b6e20;"
ERROR_STYLE = "color: #b00020;"


def key_source_text(status: ProviderStatus) -> str:
    """Where the provider's key comes from, as the operator reads it (never the key itself)."""
    if status.key_source == "keyring":
        return "Key: stored in the OS keyring"
    if status.key_source == "environment":
        return "Key: from the environment (" + " or ".join(env_var_names(status.name)) + ")"
    return "Key: not set"


def suggested_models(provider: str, capability: str) -> list[str]:
    """Priced models of `provider` that fit `capability`: audio models for the transcript,
    models that answer in text for the rest (any other model name can be typed)."""
    unit = "audio_minutes" if capability == "transcriber" else "output_tokens"
    return [m for m, units in DEFAULT_PRICES.get(provider, {}).items() if unit in units]


def parse_budget(text: str) -> float | None:
    """'' -> None (no cap); '12.50' or '$12.50' -> 12.5; anything else raises VipError."""
    text = text.strip().lstrip("$").replace(",", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise VipError(f"The budget must be an amount of US dollars, like 25 or 12.50 (not {text!r})") from None


@dataclass
class KeyRow:
    """The widgets of one provider on the page."""

    url: QLabel
    source: QLabel
    key: QLineEdit
    save: QPushButton
    remove: QPushButton
    test: QPushButton
    result: QLabel


@dataclass
class RouteRow:
    capability: str
    provider: QComboBox
    model: QComboBox


class ProvidersDialog(QDialog):
    """Keys, routing and budget; `load()` fills it, the buttons save through the services."""

    def __init__(self, providers: ProviderService, projects: ProjectService, project_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Providers")
        self.setMinimumWidth(760)
        self._providers = providers
        self._projects = projects
        self.project_id = project_id
        self._tasks = TaskSet(self._failed)
        self._routing = Routing()
        self.key_rows: dict[str, KeyRow] = {}
        self.route_rows: dict[str, RouteRow] = {}

        self.keys_box = QGroupBox("Cloud providers and their API keys")
        self.keys_layout = QVBoxLayout(self.keys_box)
        self.keys_hint = QLabel("Keys are kept in the OS keyring (or read from environment variables); "
                                "they are never shown, logged or stored in the database.")
        self.keys_hint.setWordWrap(True)
        self.keys_hint.setStyleSheet("color: #666;")
        self.keys_layout.addWidget(self.keys_hint)

        self.project_box = QGroupBox("Project")
        project_layout = QVBoxLayout(self.project_box)
        hint = QLabel("Choose who does each analysis step for this project. Local models are free and "
                      "offline; cloud providers are billed per call and their answers are cached.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666;")
        project_layout.addWidget(hint)
        self.routes_grid = QGridLayout()
        self.routes_grid.setColumnStretch(2, 1)
        project_layout.addLayout(self.routes_grid)
        budget_line = QHBoxLayout()
        budget_line.addWidget(QLabel("Budget (US$):"))
        self.budget = QLineEdit()
        self.budget.setPlaceholderText("no cap")
        self.budget.setMaximumWidth(120)
        self.budget.setToolTip("Paid provider calls stop when the project's spending reaches this; "
                               "leave empty for no cap")
        budget_line.addWidget(self.budget)
        self.spent = QLabel("Spent so far: …")
        budget_line.addWidget(self.spent)
        budget_line.addStretch(1)
        self.save_project_button = QPushButton("Save routing and budget")
        self.save_project_button.clicked.connect(lambda: self._tasks.spawn(self.save_project()))
        budget_line.addWidget(self.save_project_button)
        project_layout.addLayout(budget_line)
        self.project_message = QLabel()
        self.project_message.setWordWrap(True)
        project_layout.addWidget(self.project_message)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        # The boxes scroll when the screen is too short for them; Close always stays in view.
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.keys_box)
        content_layout.addWidget(self.project_box)
        content_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(buttons)

    # -- loading ----------------------------------------------------------------------------
    async def load(self) -> None:
        """Read key sources, the project's routing, budget and spending, and show them."""
        statuses = await self._providers.statuses()
        project = await self._projects.get(self.project_id)
        self._routing = await self._providers.routing(self.project_id)
        spent = await self._providers.spent(self.project_id)
        for status in statuses:
            row = self.key_rows.get(status.name) or self._add_key_row(status.name)
            row.url.setText(f"Base URL: {status.base_url}")
            row.source.setText(key_source_text(status))
        if not self.route_rows:
            self._add_route_rows([s.name for s in statuses])
        for capability, route_row in self.route_rows.items():
            self._show_route(route_row, self._routing.route(capability))
        name = project.name if project else self.project_id
        self.project_box.setTitle(f"Project “{name}”: routing and budget")
        budget = project.budget_usd if project else None
        self.budget.setText("" if budget is None else f"{budget:.2f}")
        self._show_spent(spent, budget)
        self._fit()

    def _fit(self) -> None:
        """Grow the window to what it shows now (rows and wrapped messages arrive after it opened),
        once the layout has taken in the new text."""
        QTimer.singleShot(0, self._fit_now)

    def _fit_now(self) -> None:
        """As tall as the content (wrapped labels included), but never taller than the screen
        leaves room for: the rest scrolls."""
        content = self.scroll.widget()
        width = max(self.width(), self.minimumWidth())
        inner = width - 2 * self.layout().contentsMargins().left() if self.layout() else width
        wanted = content.heightForWidth(inner) if content.hasHeightForWidth() else content.sizeHint().height()
        chrome = self.close_button.sizeHint().height() + 48  # the button row and the margins
        screen = self.screen().availableGeometry() if self.screen() else None
        frame = (self.frameGeometry().height() - self.height()) or 32  # the title bar, where known
        limit = screen.height() - frame if screen is not None else wanted + chrome
        self.resize(width, min(wanted + chrome, limit))
        if screen is not None and self.frameGeometry().bottom() > screen.bottom():
            self.move(self.x(), max(screen.top(), screen.bottom() - self.frameGeometry().height()))

    def _add_key_row(self, provider: str) -> KeyRow:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 6, 0, 6)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        column.addLayout(grid)
        title = QLabel(f"<b>{PROVIDER_TITLES.get(provider, provider)}</b> ({provider})")
        url = QLabel()
        url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        source = QLabel()
        key = QLineEdit()
        key.setEchoMode(QLineEdit.EchoMode.Password)
        key.setPlaceholderText("Paste a new API key")
        key.setClearButtonEnabled(True)
        save, remove, test = QPushButton("Save key"), QPushButton("Remove key"), QPushButton("Test")
        test.setToolTip("Check the base URL and key with a free request")
        result = QLabel()
        result.setWordWrap(True)
        result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(title, 0, 0)
        grid.addWidget(url, 0, 1, 1, 4)
        grid.addWidget(source, 1, 0, 1, 5)
        grid.addWidget(key, 2, 0, 1, 2)
        grid.addWidget(save, 2, 2)
        grid.addWidget(remove, 2, 3)
        grid.addWidget(test, 2, 4)
        column.addWidget(result)  # not in the grid: a spanning cell gets too little height to wrap
        grid.setColumnStretch(1, 1)
        row = KeyRow(url, source, key, save, remove, test, result)
        save.clicked.connect(lambda: self._tasks.spawn(self.save_key(provider)))
        key.returnPressed.connect(lambda: self._tasks.spawn(self.save_key(provider)))
        remove.clicked.connect(lambda: self._tasks.spawn(self.remove_key(provider)))
        test.clicked.connect(lambda: self._tasks.spawn(self.test_key(provider)))
        self.key_rows[provider] = row
        self.keys_layout.addWidget(box)
        return row

    def _add_route_rows(self, providers: list[str]) -> None:
        for line, (capability, what) in enumerate(CAPABILITIES.items()):
            self.routes_grid.addWidget(QLabel(what), line, 0)
            if capability not in CLOUD_CAPABLE:
                local = QLabel("Local only")
                local.setStyleSheet("color: #666;")
                local.setToolTip("This step runs on this machine's models for now")
                self.routes_grid.addWidget(local, line, 1)
                continue
            provider = QComboBox()
            provider.addItem(LOCAL_TEXT, LOCAL)
            for name in providers:
                provider.addItem(PROVIDER_TITLES.get(name, name), name)
            model = QComboBox()
            model.setEditable(True)
            model.setMinimumWidth(220)
            if (edit := model.lineEdit()) is not None:
                edit.setPlaceholderText("model name")
            row = RouteRow(capability, provider, model)
            provider.currentIndexChanged.connect(lambda _i, r=row: self._provider_changed(r))
            self.routes_grid.addWidget(provider, line, 1)
            self.routes_grid.addWidget(model, line, 2)
            self.route_rows[capability] = row

    def _show_route(self, row: RouteRow, route: Route) -> None:
        row.provider.blockSignals(True)
        row.provider.setCurrentIndex(max(0, row.provider.findData(route.provider)))
        row.provider.blockSignals(False)
        self._provider_changed(row)
        row.model.setEditText(route.model)

    def _provider_changed(self, row: RouteRow) -> None:
        provider = row.provider.currentData()
        typed = row.model.currentText()
        row.model.clear()
        if provider == LOCAL:
            row.model.setEnabled(False)
            return
        row.model.setEnabled(True)
        models = suggested_models(provider, row.capability)
        row.model.addItems(models)
        keep = typed and typed not in _all_suggested(row.capability)  # a model name the operator typed
        row.model.setEditText(typed if keep else (models[0] if models else ""))

    def _show_spent(self, spent: float, budget: float | None) -> None:
        text = f"Spent so far: ${spent:.4f}"
        if budget is not None:
            text += f" of ${budget:.2f}" + (" — budget reached" if spent >= budget else "")
        self.spent.setText(text)
        self.spent.setStyleSheet(ERROR_STYLE if budget is not None and spent >= budget else "")

    # -- actions ----------------------------------------------------------------------------
    def chosen_route(self, capability: str) -> Route:
        """The route the page shows for `capability` (not saved yet)."""
        row = self.route_rows.get(capability)
        if row is None or row.provider.currentData() == LOCAL:
            return Route()
        return Route(str(row.provider.currentData()), row.model.currentText().strip())

    async def save_project(self) -> None:
        """Save the routes that changed and the budget; say what was saved or what is wrong."""
        try:
            budget = parse_budget(self.budget.text())
            changed = {cap: self.chosen_route(cap) for cap in self.route_rows
                       if self.chosen_route(cap) != self._routing.route(cap)}
            for capability, route in changed.items():
                if not route.is_local and not route.model:
                    raise VipError(f"Choose a model for {CAPABILITIES[capability].lower()} on "
                                   f"{PROVIDER_TITLES.get(route.provider, route.provider)}")
            for capability, route in changed.items():
                self._routing = await self._providers.set_route(self.project_id, capability, route)
            project = await self._projects.set_budget(self.project_id, budget)
            spent = await self._providers.spent(self.project_id)
        except (VipError, ValueError) as exc:
            self._say(self.project_message, str(exc), ok=False)
            return
        self._show_spent(spent, project.budget_usd)
        cloud = [f"{CAPABILITIES[c].lower()} → {r.provider} {r.model}" for c in CLOUD_CAPABLE
                 if not (r := self._routing.route(c)).is_local]
        where = "; ".join(cloud) if cloud else "everything runs locally"
        cap = "no budget cap" if project.budget_usd is None else f"budget ${project.budget_usd:.2f}"
        self._say(self.project_message, f"Saved: {where}; {cap}.", ok=True)
        log.info("provider_routing_saved", project_id=self.project_id, routes=len(changed),
                 budget_usd=project.budget_usd)

    async def save_key(self, provider: str) -> None:
        row = self.key_rows[provider]
        key = row.key.text()
        if not key.strip():
            self._say(row.result, "Paste the API key into the field first.", ok=False)
            return
        row.save.setEnabled(False)
        try:
            await self._providers.set_key(provider, key)
        except VipError as exc:
            self._say(row.result, str(exc), ok=False)
            return
        finally:
            row.key.clear()  # never keep the key in a widget
            row.save.setEnabled(True)
        self._say(row.result, "Key saved in the OS keyring.", ok=True)
        await self._refresh_sources()

    async def remove_key(self, provider: str) -> None:
        row = self.key_rows[provider]
        try:
            await self._providers.remove_key(provider)
        except VipError as exc:
            self._say(row.result, str(exc), ok=False)
        else:
            self._say(row.result, "Key removed from the OS keyring.", ok=True)
        await self._refresh_sources()

    async def test_key(self, provider: str) -> None:
        """Ask the provider for a cheap answer (a worker thread); show it, or why it failed."""
        row = self.key_rows[provider]
        routed = [r.model for c in CLOUD_CAPABLE if (r := self.chosen_route(c)).provider == provider and r.model]
        row.test.setEnabled(False)
        self._say(row.result, f"Testing {provider}…", ok=None)
        try:
            answer = await self._providers.test(provider, routed[0] if routed else None)
        except Exception as exc:  # noqa: BLE001 - ProviderError or anything the HTTP layer raised
            self._say(row.result, str(exc) or type(exc).__name__, ok=False)
        else:
            self._say(row.result, answer, ok=True)
        finally:
            row.test.setEnabled(True)

    async def _refresh_sources(self) -> None:
        for status in await self._providers.statuses():
            if status.name in self.key_rows:
                self.key_rows[status.name].source.setText(key_source_text(status))

    def _say(self, label: QLabel, text: str, ok: bool | None) -> None:
        label.setText(text)
        label.setStyleSheet("" if ok is None else OK_STYLE if ok else ERROR_STYLE)
        self._fit()

    # -- plumbing ---------------------------------------------------------------------------
    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self._tasks.cancel_all()
        super().closeEvent(event)

    def _failed(self, exc: BaseException) -> None:
        log.error("providers_page_failed", error=str(exc), exc_info=exc)
        self._say(self.project_message, f"Something went wrong: {exc}", ok=False)


def _all_suggested(capability: str) -> set[str]:
    return {m for p in DEFAULT_PRICES for m in suggested_models(p, capability)}
