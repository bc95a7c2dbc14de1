"""The Providers page, the Costs view and budget questions, as an operator uses them.

Real services against the test database (FerretDB): projects, imports, jobs, routing and the
cost ledger. Only the HTTP provider behind the Test button is a stand-in, and the key store
has no OS keyring (as on this machine) and an empty environment.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.settings import Settings
from app.wiring import Services, build_services
from core.providers.base import ProviderError
from core.providers.keys import KeyStore
from core.providers.prices import PriceTable
from core.models.routing import CLOUD_CAPABLE, LOCAL, Route
from core.repositories import (
    AsyncProjectRepository,
    AsyncProviderCallRepository,
    DatabaseAddress,
    ProviderCallRepository,
    connect,
    connect_async,
)
from core.models.costs import ProviderCall
from core.repositories.routing import AsyncRoutingRepository
from core.services.providers import ProviderService
from core.timeutil import utc_now
from tests.ui.waiting import wait_until
from core.services.analysis import AnalysisService
from tests.ui.harness import controller_services
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView
from ui.costs_view import CostsDialog
from ui.providers_view import ProvidersDialog

SECRET = "sk-test-0123456789abcdef"


class StandInProvider:
    """Answers the Test button as the HTTP providers do: a line, or ProviderError."""

    def __init__(self, name: str) -> None:
        self.name = name

    def test(self, model: str | None = None) -> str:
        if self.name == "gemini":
            raise ProviderError("gemini", "HTTP 401: the API key was rejected — check it on the Providers page")
        return f"Connected to http://127.0.0.1:9/v1: 3 models available (asked about {model})"


@dataclass
class World:
    view: MainView
    controller: MainController
    services: Services
    providers: ProviderService
    ledger: ProviderCallRepository
    key_environ: dict[str, str]


@asynccontextmanager
async def opened(vip_env: dict[str, str], qtbot: Any) -> AsyncIterator[World]:
    """The main window on a fresh test database, with a ProviderService whose key store has no keyring."""
    settings = Settings.load(vip_env)
    database = DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"])
    services = await build_services(settings, database)
    client, db = connect_async(database)
    sync_client, sync_db = connect(database)
    key_environ: dict[str, str] = {}  # the key store reads it on every call: a test may set a key
    providers = ProviderService(
        AsyncProjectRepository(db), AsyncRoutingRepository(db), AsyncProviderCallRepository(db),
        lambda: PriceTable.load(None), KeyStore(backend=fail.Keyring(), environ=key_environ),
        {"openai": "http://127.0.0.1:9/v1", "gemini": "https://generativelanguage.googleapis.com/v1beta"},
        StandInProvider)
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    analysis = AnalysisService(services.projects, services.imports, providers, services.jobs)
    controller = MainController(
        view, controller_services(services, providers=providers, analysis=analysis, profiles=None, people=None,
                              watch=None, exports=None),
        ControllerConfig(samples_dir=settings.data_dir / "samples", database_text="test server",
                         offer_samples=False))
    try:
        await controller.start()
        yield World(view, controller, services, providers, ProviderCallRepository(sync_db), key_environ)
    finally:
        await controller.stop()
        await services.close()
        await client.close()
        sync_client.drop_database(database.name)
        sync_client.close()


async def providers_page(world: World) -> ProvidersDialog:
    dialog = world.controller.open_providers()
    assert dialog is not None and dialog.isVisible()
    await wait_until(lambda: dialog.spent.text().startswith("Spent so far: $"), "the page to load")
    return dialog


def test_routing_and_budget_are_saved(qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with opened(vip_env, qtbot) as world:
            world.view.providers_action.trigger()
            dialog = await wait_until(lambda: next((d for d in world.controller._dialogs
                                                    if isinstance(d, ProvidersDialog)), None), "the page")
            await wait_until(lambda: dialog.spent.text().startswith("Spent so far: $"), "the page to load")
            assert dialog.project_box.title() == "Project “Default”: routing and budget"
            assert set(dialog.route_rows) == set(CLOUD_CAPABLE)  # the others are local only
            assert "ocr" not in dialog.route_rows
            assert dialog.chosen_route("captioner") == Route()
            assert dialog.key_rows["openai"].source.text() == "Key: not set"
            assert dialog.key_rows["openai"].url.text() == "Base URL: http://127.0.0.1:9/v1"

            row = dialog.route_rows["captioner"]
            row.provider.setCurrentIndex(row.provider.findData("openai"))
            assert row.model.isEnabled()
            row.model.setEditText("gpt-4o-mini")
            dialog.budget.setText("12.50")
            dialog.save_project_button.click()
            await wait_until(lambda: dialog.project_message.text().startswith("Saved"), "the saved message")
            assert "keyframe captions and labels → openai gpt-4o-mini" in dialog.project_message.text()
            assert "budget $12.50" in dialog.project_message.text()

            project_id = world.controller.project_id
            assert project_id is not None
            routing = await world.providers.routing(project_id)
            assert routing.route("captioner") == Route("openai", "gpt-4o-mini")
            assert routing.route("summarizer").provider == LOCAL
            project = await world.services.projects.get(project_id)
            assert project is not None and project.budget_usd == 12.5
            assert dialog.spent.text() == "Spent so far: $0.0000 of $12.50"

            # A budget that is not an amount is refused and nothing changes.
            dialog.budget.setText("lots")
            dialog.save_project_button.click()
            await wait_until(lambda: "amount of US dollars" in dialog.project_message.text(), "the budget error")
            project = await world.services.projects.get(project_id)
            assert project is not None and project.budget_usd == 12.5

            # A reopened page shows what was saved; an empty budget removes the cap.
            dialog.close()
            again = await providers_page(world)
            assert again.chosen_route("captioner") == Route("openai", "gpt-4o-mini")
            assert again.budget.text() == "12.50"
            again.budget.setText("")
            again.save_project_button.click()
            await wait_until(lambda: "no budget cap" in again.project_message.text(), "the no-cap message")
            project = await world.services.projects.get(project_id)
            assert project is not None and project.budget_usd is None

    qloop.run_until_complete(scenario())


def test_save_key_without_a_keyring_says_which_variable_to_set(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with opened(vip_env, qtbot) as world:
            dialog = await providers_page(world)
            row = dialog.key_rows["openai"]
            assert row.key.echoMode() == row.key.EchoMode.Password
            row.key.setText(SECRET)
            row.save.click()
            await wait_until(lambda: row.result.text(), "the answer to Save")
            assert "no OS keyring is available" in row.result.text()
            assert "VIP_OPENAI_API_KEY" in row.result.text()
            assert row.key.text() == ""  # the key is not kept in the field
            assert SECRET not in row.result.text() and SECRET not in row.source.text()
            assert row.source.text() == "Key: not set"

    qloop.run_until_complete(scenario())


def test_test_button_shows_the_answer_or_the_providers_error(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with opened(vip_env, qtbot) as world:
            dialog = await providers_page(world)
            summarizer = dialog.route_rows["summarizer"]
            summarizer.provider.setCurrentIndex(summarizer.provider.findData("openai"))
            summarizer.model.setEditText("gpt-4o")
            openai = dialog.key_rows["openai"]
            openai.test.click()
            await wait_until(lambda: openai.result.text().startswith("Connected"), "the openai answer")
            assert openai.result.text() == "Connected to http://127.0.0.1:9/v1: 3 models available (asked about gpt-4o)"
            gemini = dialog.key_rows["gemini"]
            qtbot.mouseClick(gemini.test, Qt.MouseButton.LeftButton)
            # No key: nothing is sent to Google's server, and the answer says so.
            await wait_until(lambda: gemini.result.text() and gemini.test.isEnabled(), "the gemini answer")
            assert gemini.result.text() == ("gemini: no key set for this provider: paste one and press Save, "
                                            "or set VIP_GEMINI_API_KEY or GEMINI_API_KEY or GOOGLE_API_KEY")
            world.key_environ["GEMINI_API_KEY"] = "AIza-test-rejected"
            qtbot.mouseClick(gemini.test, Qt.MouseButton.LeftButton)
            await wait_until(lambda: "401" in gemini.result.text(), "the gemini error")
            assert gemini.result.text() == "gemini: HTTP 401: the API key was rejected — check it on the Providers page"
            assert gemini.test.isEnabled()

    qloop.run_until_complete(scenario())


def test_costs_view_shows_totals_per_project_provider_and_day(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with opened(vip_env, qtbot) as world:
            project_id = world.controller.project_id
            now = utc_now()
            yesterday = now - timedelta(days=1)
            for call in (
                ProviderCall("openai", "gpt-4o-mini", "vision", ok=True, cost_usd=0.25, project_id=project_id, at=now),
                ProviderCall("openai", "gpt-4o-mini", "vision", ok=True, cached=True, saved_usd=0.25,
                             project_id=project_id, at=now),
                ProviderCall("gemini", "gemini-2.0-flash", "chat", ok=True, cost_usd=1.5, project_id=project_id,
                             at=yesterday),
                ProviderCall("gemini", "gemini-2.0-flash", "chat", ok=False, error="gemini: HTTP 500",
                             project_id=project_id, at=yesterday),
            ):
                await asyncio.to_thread(world.ledger.record, call)
            world.view.costs_action.trigger()
            dialog = await wait_until(lambda: next((d for d in world.controller._dialogs
                                                    if d.windowTitle() == "Costs"), None), "the Costs view")
            await wait_until(lambda: dialog.summary.text().startswith("<b>Total"), "the totals")
            assert dialog.summary.text() == ("<b>Total $1.7500</b> over 4 provider calls; 1 answered from the "
                                             "cache, saving $0.2500.")
            assert dialog.total_rows("project") == [["Default", "$1.7500", "4", "1", "$0.2500", "1"]]
            assert dialog.total_rows("provider") == [["gemini", "$1.5000", "2", "0", "$0.0000", "1"],
                                                     ["openai", "$0.2500", "2", "1", "$0.2500", "0"]]
            assert dialog.total_rows("day") == [[now.date().isoformat(), "$0.2500", "2", "1", "$0.2500", "0"],
                                                [yesterday.date().isoformat(), "$1.5000", "2", "0", "$0.0000", "1"]]
            chart = {day: cost for day, cost, _calls in dialog.chart.days}
            assert len(chart) == 30 and chart[now.date()] == 0.25 and chart[yesterday.date()] == 1.5
            calls = dialog.call_rows()
            assert len(calls) == 4
            assert calls[0][1:] in (["Default", "openai / gpt-4o-mini", "vision", "$0.2500", "", "ok"],
                                    ["Default", "openai / gpt-4o-mini", "vision", "$0.0000", "yes, saved $0.2500", "ok"])
            assert ["Default", "gemini / gemini-2.0-flash", "chat", "$0.0000", "", "error: gemini: HTTP 500"] \
                in [c[1:] for c in calls]

    qloop.run_until_complete(scenario())


def _fake_videos(folder: Path, count: int, prefix: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}{i}.mp4"
        path.write_bytes(os.urandom(600_000))  # not probed yet: estimated at ~1 MB a second
        paths.append(path)
    return paths


def _question() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)


def test_over_budget_batch_asks_before_queueing(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                vip_env: dict[str, str], tmp_path: Path) -> None:
    async def scenario() -> None:
        async with opened(vip_env, qtbot) as world:
            project_id = world.controller.project_id
            assert project_id is not None
            status = world.view.statusBar()

            # Everything local: no question, the jobs are queued.
            jobs = await world.controller.import_paths(_fake_videos(tmp_path / "a", 1, "local"))
            assert len(jobs) == 1 and _question() is None
            assert status.currentMessage() == "Imported 1 video(s)"

            await world.providers.set_route(project_id, "summarizer", Route("openai", "gpt-4o-mini"))
            await world.services.projects.set_budget(project_id, 0.0)
            jobs = await world.controller.import_paths(_fake_videos(tmp_path / "b", 2, "cancelled"))
            assert jobs == []
            box = await wait_until(_question, "the over-budget question")
            assert box.windowTitle() == "Over budget"
            assert "Estimated cloud cost for 2 videos" in box.informativeText()
            assert "This batch would exceed the budget." in box.informativeText()
            assert box.button(QMessageBox.StandardButton.Yes).text() == "Queue anyway"
            box.button(QMessageBox.StandardButton.Cancel).click()
            await wait_until(lambda: "not queued" in status.currentMessage(), "the status bar to say so")
            assert status.currentMessage() == ("Imported 2 video(s); not queued for analysis: the estimated "
                                               "cloud cost is over the project's budget")
            videos = await world.services.library.videos(project_id)
            queued = {job.video_id for job in await world.services.jobs.recent(project_id)}
            assert len(videos) == 3 and len(queued) == 1  # imported, but only the local batch is queued
            assert len(world.view.jobs.job_ids()) == 1

            # "Queue anyway" queues them.
            await world.controller.import_paths(_fake_videos(tmp_path / "c", 1, "anyway"))
            box = await wait_until(_question, "the second question")
            box.button(QMessageBox.StandardButton.Yes).click()
            await wait_until(lambda: len(world.view.jobs.job_ids()) == 2, "the queued job")
            assert len(await world.services.jobs.recent(project_id)) == 2

            # Within budget: the estimate is shown in the status bar, no question.
            await world.services.projects.set_budget(project_id, 100.0)
            jobs = await world.controller.import_paths(_fake_videos(tmp_path / "d", 1, "within"))
            assert len(jobs) == 1 and _question() is None
            assert status.currentMessage().startswith("Imported 1 video(s) — Estimated cloud cost for 1 video ")

            # The two left unqueued are queued later from the library: select them, Analyze.
            queued = {job.video_id for job in await world.services.jobs.recent(project_id)}
            waiting = [v.id for v in await world.services.library.videos(project_id) if v.id not in queued]
            assert len(waiting) == 2
            library = world.view.library
            library.clearSelection()
            for video_id in waiting:
                library.selectionModel().select(
                    library.model().index(library.video_ids().index(video_id), 0),
                    QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
            library.analyze_action.trigger()
            await wait_until(lambda: len(world.view.jobs.job_ids()) == 5, "the two videos' jobs")
            assert status.currentMessage().startswith("Analysing 2 video(s) — Estimated cloud cost for 2 videos")

            # Re-analysing from the library passes the same budget gate: asked, Cancel, then Queue anyway.
            await world.services.projects.set_budget(project_id, 0.0)
            library.reanalyze_action.trigger()
            box = await wait_until(_question, "the re-analysis question")
            assert "Estimated cloud cost for 2 videos" in box.informativeText()
            box.button(QMessageBox.StandardButton.Cancel).click()
            await wait_until(lambda: "not queued" in status.currentMessage(), "the status bar to say so")
            assert status.currentMessage().startswith("Re-analysing 2 video(s); not queued for analysis")
            library.reanalyze_action.trigger()
            box = await wait_until(_question, "the second re-analysis question")
            box.button(QMessageBox.StandardButton.Yes).click()
            await wait_until(lambda: status.currentMessage() == "Re-analysing 2 video(s)", "the queued message")
            assert len(world.view.jobs.job_ids()) == 5  # their jobs were still open: kept, not doubled

    qloop.run_until_complete(scenario())


def test_esc_closes_the_costs_and_providers_windows_and_both_fit_the_screen(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with opened(vip_env, qtbot) as world:
            screen = world.view.screen().availableGeometry()
            world.view.costs_action.trigger()
            costs = await wait_until(lambda: next((d for d in world.controller._dialogs
                                                   if isinstance(d, CostsDialog) and d.isVisible()), None),
                                     "the Costs window")
            await wait_until(lambda: costs.summary.text() != "Loading…", "the Costs window to load")
            qtbot.mouseClick(costs.tabs.tabBar(), Qt.MouseButton.LeftButton)  # as an operator would
            qtbot.keyClick(QApplication.focusWidget() or costs, Qt.Key.Key_Escape)
            assert not costs.isVisible()

            dialog = await providers_page(world)
            await wait_until(lambda: dialog.height() > 300, "the page to take its size")
            await asyncio.sleep(0.1)  # its fit-to-content runs on the next turn of the loop
            assert dialog.frameGeometry().height() <= screen.height()
            close = dialog.close_button
            bottom = close.mapTo(dialog, close.rect().bottomLeft()).y()
            assert close.isVisible() and bottom <= dialog.height(), (bottom, dialog.height())
            qtbot.keyClick(dialog.budget, Qt.Key.Key_Escape)
            assert not dialog.isVisible()

    qloop.run_until_complete(scenario())
