"""A large library in the real window: the first page shows at once and the rest pages in, the
jobs panel fills with a project's 200 jobs in one go and its painted buttons answer clicks,
posters are framed off the GUI thread and asked for only for the rows on screen."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from core.models import Job, JobStatus, Video
from core.repositories import AsyncJobRepository, AsyncVideoRepository, DatabaseAddress, connect_async
from core.timeutil import utc_now
from tests.ui.harness import running_app
from tests.ui.test_qt_library import make_video
from tests.ui.waiting import wait_until
from ui.jobs_widget import ACTIONS
from ui.library_model import GRID_POSTER, LIST_POSTER, poster_images
from ui.main_view import MainView


def job_of(video: Video, status: JobStatus, minutes_ago: int) -> Job:
    at = utc_now() - timedelta(minutes=minutes_ago)
    return Job(kind="analyze", video_id=video.id, project_id=video.project_id, stages=[], status=status,
               progress=0.4 if status == JobStatus.RUNNING else 1.0, message=str(status),
               created_at=at, updated_at=at)


def test_the_jobs_panel_takes_200_jobs_at_once_and_its_buttons_answer_clicks(
        qtbot: Any, window: MainView) -> None:
    videos = [make_video(f"clip {i:03d}.mp4", 60, 1000) for i in range(200)]
    statuses = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.RUNNING, JobStatus.CANCELED]
    jobs = [job_of(v, statuses[i % 4], i) for i, v in enumerate(videos)]
    panel = window.jobs
    canceled: list[str] = []
    retried: list[str] = []
    panel.cancel_requested.connect(canceled.append)
    panel.retry_requested.connect(retried.append)

    panel.set_jobs([(job, video.name) for job, video in zip(jobs, videos, strict=True)])
    assert panel.model_.rowCount() == 200 and panel.job_ids() == [j.id for j in jobs]
    assert panel.indexWidget(panel.model_.index(0, ACTIONS)) is None  # painted, no widget per row
    row = panel.shown(jobs[2].id)
    assert (row["video"], row["percent"], row["cancel_enabled"], row["retry_enabled"]) == ("clip 002.mp4", 40, True, False)

    # A click on a disabled button does nothing; on an enabled one it asks for that job.
    for job_id, text in ((jobs[0].id, "Retry"), (jobs[0].id, "Cancel"), (jobs[1].id, "Retry"),
                         (jobs[2].id, "Cancel"), (jobs[2].id, "Retry")):
        rect = panel.button_rect(job_id, text)
        assert panel.viewport().rect().contains(rect)
        qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert retried == [jobs[1].id] and canceled == [jobs[2].id]

    # Far down the list: scrolled into view, the 199th job's Retry is clicked.
    last = jobs[199]  # canceled
    panel.scrollTo(panel.model_.index(panel.model_.row_of(last.id), ACTIONS))
    rect = panel.button_rect(last.id, "Retry")
    assert panel.viewport().rect().contains(rect)
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert retried == [jobs[1].id, last.id]

    # A job that moves on updates its row and its buttons.
    running = jobs[2]
    running.status = JobStatus.SUCCEEDED
    panel.show_job(running, "clip 002.mp4")
    assert not panel.shown(running.id)["cancel_enabled"]


def test_posters_are_framed_off_the_gui_thread_and_shown_only_for_rows_on_screen(
        qtbot: Any, window: MainView) -> None:
    library = window.library
    asked: list[str] = []
    library.posters_wanted.connect(asked.extend)
    many = [make_video(f"clip {i:04d}.mp4", 30 + i, 1_000_000 + i, days_ago=i) for i in range(3000)]
    library.set_videos(many[:100])
    library.library_model.add_videos(many[100:])  # the rest of the library paged in
    assert library.count_label.text() == "3,000 videos"

    library.show_grid(True)
    grid = library.grid
    qtbot.waitUntil(lambda: len(asked) > 0)
    shown = [r for r in range(grid.model().rowCount())
             if grid.viewport().rect().intersects(grid.visualRect(grid.model().index(r, 0)))]
    assert set(asked) == {many[r].id for r in shown}  # exactly the posters on screen

    source = QImage(1280, 720, QImage.Format.Format_RGB32)
    source.fill(QColor("#3366aa"))
    framed = poster_images(source)  # what the controller's thread does
    assert framed.small.size() == LIST_POSTER and framed.large.size() == GRID_POSTER
    assert framed.large.pixelColor(GRID_POSTER.width() // 2, GRID_POSTER.height() // 2) == QColor("#3366aa")
    library.set_poster(asked[0], framed)  # type: ignore[arg-type]
    assert library.has_poster(asked[0])

    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum() // 2)
    qtbot.waitUntil(lambda: len(asked) > len(shown))
    middle = [r for r in range(grid.model().rowCount())
              if grid.viewport().rect().intersects(grid.visualRect(grid.model().index(r, 0)))]
    assert 1000 < middle[0] < 2000 and set(asked[len(shown):]) == {many[r].id for r in middle}


def test_a_large_project_shows_its_first_page_then_pages_in_the_rest(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with running_app(qtbot, vip_env) as (view, controller, services):
            assert controller.project_id is not None
            client, db = connect_async(DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
            videos = []
            for i in range(420):
                video = make_video(f"clip {i:04d}.mp4", 60 + i, 1000 + i)
                video.project_id = controller.project_id
                videos.append(video)
            try:
                await db["videos"].insert_many([v.to_doc() for v in videos])
                pages = [len(p) async for p in AsyncVideoRepository(db).pages_in_project(controller.project_id)]
            finally:
                await client.close()
            assert pages == [100, 250, 70]

            model = view.library.library_model
            sizes: list[int] = []
            model.rowsInserted.connect(lambda *_: sizes.append(model.rowCount()))
            model.modelReset.connect(lambda: sizes.append(model.rowCount()))
            await controller.select_project(controller.project_id)
            assert model.rowCount() == 100  # the first page, at once
            await wait_until(lambda: model.rowCount() == 420, "the rest of the library", 20)
            assert sizes == [100, 350, 420]  # one insert per page
            assert sorted(view.library.video_ids()) == sorted(v.id for v in videos)  # each once
            assert view.library.count_label.text() == "420 videos"

            # Selecting the project again while it pages in starts over: no row twice.
            await controller.select_project(controller.project_id)
            await controller.select_project(controller.project_id)
            await wait_until(lambda: model.rowCount() == 420, "the library read in again", 20)
            await asyncio.sleep(0.3)
            assert model.rowCount() == 420 and len(set(view.library.video_ids())) == 420

    qloop.run_until_complete(scenario())


def test_a_project_listed_before_shows_at_once_and_the_database_corrects_it(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    """The second time (another session), every row comes from this host's copy at once; then the
    database's pages fix what changed meanwhile: a video removed, one failed, one added."""
    database = DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"])

    async def first_session() -> tuple[str, list[Video]]:
        async with running_app(qtbot, vip_env) as (view, controller, _services):
            assert controller.project_id is not None
            videos = []
            for i in range(600):
                video = make_video(f"tape {i:04d}.mp4", 60 + i, 1000 + i)
                video.project_id = controller.project_id
                videos.append(video)
            client, db = connect_async(database)
            try:
                await db["videos"].insert_many([v.to_doc() for v in videos])
            finally:
                await client.close()
            await controller.select_project(controller.project_id)
            await wait_until(lambda: controller._paging is not None and controller._paging.done(), "the read", 30)
            assert view.library.library_model.rowCount() == 600
            return controller.project_id, videos

    project_id, videos = qloop.run_until_complete(first_session())
    gone, failing = videos[10], videos[500]
    added = make_video("new arrival.mp4", 30, 5000)
    added.project_id = project_id

    async def meanwhile() -> None:  # another machine's worker and operator
        client, db = connect_async(database)
        try:
            await db["videos"].delete_one({"_id": gone.id})
            await db["videos"].update_one({"_id": failing.id}, {"$set": {"status": "failed", "error": "corrupt"}})
            await db["videos"].insert_one(added.to_doc())
        finally:
            await client.close()

    async def second_session() -> None:
        async with running_app(qtbot, vip_env) as (view, controller, _services):
            model = view.library.library_model
            counts: list[int] = []
            model.rowsInserted.connect(lambda *_: counts.append(model.rowCount()))
            model.modelReset.connect(lambda: counts.append(model.rowCount()))
            await wait_until(lambda: controller._paging is not None and controller._paging.done(), "the read", 30)
            # start() showed the copy's first 100 rows; then its other pages, then the new video
            assert counts[:4] == [250, 500, 600, 601]
            assert model.rowCount() == 600 and gone.id not in view.library.video_ids()
            assert view.library.row_text(failing.id)["Status"] == "Failed — corrupt"
            assert view.library.row_text(added.id)["Name"] == "new arrival.mp4"
            assert view.library.count_label.text() == "600 videos"

    qloop.run_until_complete(meanwhile())
    qloop.run_until_complete(second_session())


def test_a_project_shows_its_newest_jobs_first_then_the_rest_of_its_history(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    from ui.main_controller import FIRST_JOBS

    async def scenario() -> None:
        async with running_app(qtbot, vip_env) as (view, controller, _services):
            assert controller.project_id is not None
            videos = [make_video(f"clip {i:03d}.mp4", 60, 1000) for i in range(120)]
            for video in videos:
                video.project_id = controller.project_id
            jobs = [job_of(v, JobStatus.SUCCEEDED, i) for i, v in enumerate(videos)]
            for i, job in enumerate(jobs):  # one an hour, the last the newest
                job.created_at = job.updated_at = utc_now() - timedelta(hours=len(jobs) - i)
            client, db = connect_async(DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
            try:
                await db["videos"].insert_many([v.to_doc() for v in videos])
                for job in jobs:  # as the app stores them (with their day stamps)
                    await AsyncJobRepository(db).add(job)
            finally:
                await client.close()
            newest_first = [j.id for j in reversed(jobs)]
            await controller.select_project(controller.project_id)
            assert view.jobs.job_ids() == newest_first[:FIRST_JOBS]  # with the first paint
            await wait_until(lambda: len(view.jobs.job_ids()) == 120, "the rest of the jobs", 20)
            assert view.jobs.job_ids() == newest_first
            await wait_until(lambda: view.jobs.shown(jobs[0].id)["video"] == "clip 000.mp4",
                             "the oldest job's file name", 20)

    qloop.run_until_complete(scenario())
