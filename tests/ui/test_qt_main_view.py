"""The main window as an operator uses it: drop videos, watch progress reach 100%."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.settings import Settings
from app.wiring import build_services
from app.worker_pool import WorkerPool
from core.repositories import DatabaseAddress
from tests.media import MediaSet
from tests.ui.harness import running_app
from tests.ui.waiting import wait_until
from tests.ui.harness import controller_services
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView

pytestmark = pytest.mark.slow


def drop_files(view: MainView, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = view.library.viewport()
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def test_dropped_videos_are_analysed_with_live_progress(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                        media: MediaSet, vip_env: dict[str, str]) -> None:
    settings = Settings.load(vip_env)
    pool = WorkerPool(settings, 1, env=vip_env)
    seen_values: list[int] = []

    async def scenario() -> None:
        services = await build_services(settings, DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
        view = MainView()
        qtbot.addWidget(view)
        view.show()
        controller = MainController(
            view, controller_services(services, profiles=None, people=None, watch=None, exports=None),
            ControllerConfig(samples_dir=settings.data_dir / "samples", database_text="test server",
                             offer_samples=False, local_workers=pool.check))
        pool.start()
        try:
            await controller.start()
            assert view.empty_hint.isVisible()
            drop_files(view, [media.good, media.truncated])
            await wait_until(lambda: len(view.jobs.job_ids()) == 2, "two job rows", 20)
            ids = {view.jobs.shown(j)["video"]: j for j in view.jobs.job_ids()}
            good_job = view.jobs.job(ids["good.mp4"])
            assert good_job is not None
            view.jobs.model_.dataChanged.connect(
                lambda *_: seen_values.append(view.jobs.shown(good_job.id)["percent"]))
            await wait_until(lambda: view.jobs.shown(good_job.id)["percent"] == 100, "the progress bar to reach 100%", 90)
            # The last stage's 100% may be shown a poll before the job's end is written.
            await wait_until(lambda: view.jobs.shown(good_job.id)["progress"] == "Done · 100%", "the job to end", 10)
            row = await wait_until(
                lambda: (r := view.library.row_text(good_job.video_id))["Status"] == "Ready" and r,
                "the library row to show the result", 10)
            assert row["Duration"] == "0:04" and row["Resolution"] == "320×240"
            assert not view.empty_hint.isVisible()
            await wait_until(lambda: view.library.has_poster(good_job.video_id), "the poster", 10)

            bad_id = ids["truncated.mp4"]
            await wait_until(lambda: view.jobs.shown(bad_id)["progress"] == "Failed", "the truncated file's job to fail", 60)
            row = view.jobs.shown(bad_id)
            assert row["message"].startswith("MediaError: ")
            assert "truncated.mp4" in row["message"] and "not a readable video" in row["message"]
            assert row["retry_enabled"] and not row["cancel_enabled"]
            # The library row says why, not only "Failed" (the reason without the path: the row names the file).
            bad_video = view.jobs.job(bad_id).video_id  # type: ignore[union-attr]
            status = await wait_until(lambda: (s := view.library.row_text(bad_video)["Status"]).startswith("Failed") and s,
                                      "the truncated file's library row to fail", 10)
            assert status.startswith("Failed — probe: not a readable video") and "truncated.mp4" not in status
            await wait_until(lambda: view.workers_label.text() == "Workers: 1 online (1 local)", "the status bar to show the worker", 10)
            assert view.db_label.text() == "Database: test server ✓"

            # Remove the good video: Delete, then "Remove" in the question; its row and job go away.
            bad_job = view.jobs.job(bad_id)
            assert bad_job is not None
            view.library.selectRow(view.library.video_ids().index(good_job.video_id))
            qtbot.keyClick(view.library, Qt.Key.Key_Delete)
            question = await wait_until(lambda: next((w for w in QApplication.topLevelWidgets()
                                                      if isinstance(w, QMessageBox) and w.isVisible()), None),
                                        "the remove question", 5)
            assert question.text() == "Remove “good.mp4” from the library?"
            question.button(QMessageBox.StandardButton.Yes).click()
            await wait_until(lambda: view.library.video_ids() == [bad_job.video_id],
                             "the removed video's row to go", 10)
            assert view.jobs.job_ids() == [bad_id]
            assert media.good.is_file()  # the file itself stays
        finally:
            await controller.stop()
            await asyncio.to_thread(pool.stop)
            await services.close()

    qloop.run_until_complete(scenario())
    assert seen_values and seen_values[-1] == 100


def test_a_queued_video_reads_queued_in_the_library(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                   media: MediaSet, vip_env: dict[str, str]) -> None:
    # No worker runs: the job stays queued, and the library says so (it said "New" until a
    # worker picked the job up).
    async def scenario() -> None:
        async with running_app(qtbot, vip_env) as (view, controller, _services):
            [job] = await controller.import_paths([media.good])
            assert view.jobs.shown(job.id)["progress"] == "Queued"
            assert view.library.row_text(job.video_id)["Status"] == "Queued"

    qloop.run_until_complete(scenario())
