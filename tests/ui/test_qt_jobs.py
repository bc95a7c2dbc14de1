"""The jobs panel as an operator uses it: Cancel and Retry clicks, names, early metadata."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.settings import Settings
from app.wiring import build_services
from core.repositories import DatabaseAddress
from tests.media import MediaSet
from tests.ui.harness import running_app
from tests.ui.waiting import wait_until
from ui.jobs_widget import ACTIONS, HEADERS
from ui.main_view import MainView

pytestmark = pytest.mark.slow


def click(qtbot: Any, view: MainView, job_id: str, text: str) -> None:
    """Click a job's painted "Cancel" or "Retry" button where the operator sees it."""
    jobs = view.jobs
    jobs.scrollTo(jobs.model_.index(jobs.model_.row_of(job_id), ACTIONS))
    rect = jobs.button_rect(job_id, text)
    assert jobs.viewport().rect().contains(rect), "the button is on screen"
    qtbot.mouseClick(jobs.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def no_error_box() -> bool:
    return not any(isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets())


def test_clicking_cancel_then_retry_changes_the_job(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                   media: MediaSet, vip_env: dict[str, str]) -> None:
    # No worker runs, so the job waits in the queue: Cancel ends it at once, Retry queues it again.
    async def scenario() -> None:
        async with running_app(qtbot, vip_env) as (view, controller, _services):
            [job] = await controller.import_paths([media.good])
            assert view.jobs.shown(job.id)["progress"] == "Queued"
            click(qtbot, view, job.id, "Cancel")
            await wait_until(lambda: view.jobs.shown(job.id)["progress"].startswith("Canceled"),
                             "the job row to say Canceled", 10)
            assert no_error_box()
            row = view.jobs.shown(job.id)
            assert row["retry_enabled"] and not row["cancel_enabled"]
            assert view.library.row_text(job.video_id)["Status"] == "Canceled"

            click(qtbot, view, job.id, "Retry")
            await wait_until(lambda: view.jobs.shown(job.id)["progress"] == "Queued",
                             "the retried job to be queued again", 10)
            assert no_error_box()
            row = view.jobs.shown(job.id)
            assert row["cancel_enabled"] and not row["retry_enabled"]
            assert view.jobs.shown(job.id)["message"] == "Waiting for a worker (retry)"

    qloop.run_until_complete(scenario())


def test_retry_on_a_failed_job_reruns_it(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                         media: MediaSet, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with running_app(qtbot, vip_env, workers=1) as (view, controller, _services):
            [job] = await controller.import_paths([media.truncated])
            await wait_until(lambda: view.jobs.shown(job.id)["progress"] == "Failed",
                             "the truncated file's job to fail", 60)
            attempts_before = view.jobs.job(job.id).attempts  # type: ignore[union-attr]
            click(qtbot, view, job.id, "Retry")
            await wait_until(lambda: (j := view.jobs.job(job.id)) is not None
                             and j.attempts > attempts_before and j.status.finished,
                             "the retried job to run and end again", 60)
            assert no_error_box()
            assert view.jobs.shown(job.id)["progress"] == "Failed"  # the file is still broken

    qloop.run_until_complete(scenario())


def test_jobs_queued_elsewhere_show_the_file_name(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                 media: MediaSet, vip_env: dict[str, str]) -> None:
    # `vip analyze` in a terminal imports and queues through its own services: the GUI's poll
    # must name the video (it showed the raw id) and list it in the library.
    async def scenario() -> None:
        async with running_app(qtbot, vip_env) as (view, controller, services):
            assert controller.project_id is not None
            other = await build_services(Settings.load(vip_env),
                                         DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
            try:
                result = await other.imports.import_paths(controller.project_id, [media.good])
                [job] = await other.jobs.analyze(result.added)
            finally:
                await other.close()
            await wait_until(lambda: job.id in view.jobs.job_ids(), "the job row", 10)
            assert view.jobs.shown(job.id)["video"] == "good.mp4"
            assert view.library.video_ids() == [job.video_id]
            assert view.library.row_text(job.video_id)["Status"] == "Queued"
            assert not view.empty_hint.isVisible()

    qloop.run_until_complete(scenario())


def test_duration_and_resolution_show_as_soon_as_the_probe_is_done(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, slow_video: Path, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with running_app(qtbot, vip_env, workers=1) as (view, controller, _services):
            [job] = await controller.import_paths([slow_video])
            assert view.library.row_text(job.video_id)["Duration"] == "—"
            await wait_until(lambda: view.library.row_text(job.video_id)["Duration"] == "1:00",
                             "the duration in the library row", 60)
            shown = view.jobs.job(job.id)
            assert shown is not None and not shown.status.finished  # the analysis goes on
            assert view.library.row_text(job.video_id)["Resolution"] == "1920×1080"
            await wait_until(lambda: view.library.has_poster(job.video_id), "the poster", 90)
            click(qtbot, view, job.id, "Cancel")
            await wait_until(lambda: view.jobs.shown(job.id)["progress"].startswith("Canceled"),
                             "the running job to stop", 60)

    qloop.run_until_complete(scenario())


def test_every_jobs_column_has_a_label(qtbot: Any) -> None:
    view = MainView()
    qtbot.addWidget(view)
    labels = [view.jobs.model().headerData(c, Qt.Orientation.Horizontal) for c in range(len(HEADERS))]
    assert all(labels), labels


def test_local_workers_read_as_starting_until_they_are_online(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    # Two local worker processes were started but none has sent a heartbeat yet.
    async def scenario() -> None:
        async with running_app(qtbot, vip_env, local_workers=lambda: 2) as (view, _controller, _services):
            await wait_until(lambda: view.db_label.text().endswith("✓"), "the first status poll", 10)
            assert view.workers_label.text() == "Workers: starting 2 local…"

    qloop.run_until_complete(scenario())
