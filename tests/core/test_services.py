"""Import, job and project services against the real FerretDB server."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.errors import VipError
from core.models import JobStatus, VideoStatus
from core.repositories import DatabaseAddress, connect_async
from core.services import ImportService, JobService, LibraryService, ProjectService
from app.wiring import client_services
from tests.media import MediaSet

T = TypeVar("T")


class RecordingLauncher:
    """The queue port, recording what was enqueued (the queue itself is tested in tasks/)."""

    def __init__(self) -> None:
        self.enqueued: list[str] = []

    def enqueue(self, job_id: str) -> None:
        self.enqueued.append(job_id)

    def queued_job_ids(self) -> set[str]:
        return set(self.enqueued)


def with_services(database: DatabaseAddress, body: Callable[..., Awaitable[T]]) -> tuple[T, RecordingLauncher]:
    launcher = RecordingLauncher()

    async def main() -> T:
        client, db = connect_async(database)
        try:
            services = client_services(db, launcher, ["probe"], Path(tempfile.mkdtemp(prefix="vip-services-")))
            return await body(services.projects, services.imports, services.library, services.jobs)
        finally:
            await client.close()

    return asyncio.run(main()), launcher


def test_import_folder_recursively_and_dedupe_by_content(database: DatabaseAddress, media: MediaSet,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "shoot"
    (folder / "day2" / "cam b").mkdir(parents=True)
    shutil.copy(media.good, folder / "a.mp4")
    shutil.copy(media.mkv, folder / "day2" / "cam b" / "b.MKV")
    shutil.copy(media.good, folder / "day2" / "same-as-a.mp4")  # identical content
    (folder / "day2" / "notes.txt").write_text("not a video")

    async def body(projects: ProjectService, imports: ImportService, library: LibraryService,
                   jobs: JobService) -> Any:
        project = await projects.ensure("Shoot")
        first = await imports.import_paths(project.id, [folder])
        again = await imports.import_paths(project.id, [folder, folder / "a.mp4"])
        other = await projects.create("Other")
        elsewhere = await imports.import_paths(other.id, [folder / "a.mp4"])
        return first, again, elsewhere, await library.videos(project.id)

    (first, again, elsewhere, videos), _ = with_services(database, body)
    assert sorted(Path(i.path).name for i in first.items) == ["a.mp4", "b.MKV", "same-as-a.mp4"]
    assert len(first.added) == 2 and first.duplicates == 1
    assert again.added == [] and again.duplicates == 3
    assert len(elsewhere.added) == 1  # dedupe is per project
    assert sorted(v.name for v in videos) == ["a.mp4", "b.MKV"]


def test_analyze_queues_one_job_per_video_and_reuses_open_jobs(database: DatabaseAddress, media: MediaSet) -> None:
    async def body(projects: ProjectService, imports: ImportService, library: LibraryService,
                   jobs: JobService) -> Any:
        project = await projects.ensure()
        result = await imports.import_paths(project.id, [media.good, media.mkv])
        queued = await jobs.analyze(result.added)
        again = await jobs.analyze(result.added)
        listed = await jobs.recent(project.id)
        videos = await library.videos(project.id)
        return queued, again, listed, videos

    (queued, again, listed, videos), launcher = with_services(database, body)
    assert [j.id for j in again] == [j.id for j in queued]
    assert launcher.enqueued == [j.id for j in queued]
    assert {j.status for j in listed} == {JobStatus.QUEUED}
    assert [s.name for s in listed[0].stages] == ["probe"]
    assert {v.status for v in videos} == {VideoStatus.QUEUED}


def test_cancel_queued_job_then_retry(database: DatabaseAddress, media: MediaSet) -> None:
    async def body(projects: ProjectService, imports: ImportService, library: LibraryService,
                   jobs: JobService) -> Any:
        project = await projects.ensure()
        result = await imports.import_paths(project.id, [media.good])
        [job] = await jobs.analyze(result.added)
        with pytest.raises(VipError):
            await jobs.retry(job.id)  # queued jobs cannot be retried
        await jobs.cancel(job.id)
        [canceled] = await jobs.get_many([job.id])
        retried = await jobs.retry(job.id)
        [after] = await jobs.get_many([job.id])
        return canceled, retried, after

    (canceled, retried, after), launcher = with_services(database, body)
    assert canceled.status == JobStatus.CANCELED and canceled.cancel_requested
    assert after.status == JobStatus.QUEUED and not after.cancel_requested
    assert launcher.enqueued == [retried.id, retried.id]


def test_watch_yields_each_changed_job_once_and_ends_when_they_finish(database: DatabaseAddress, media: MediaSet) -> None:
    async def body(projects: ProjectService, imports: ImportService, library: LibraryService,
                   jobs: JobService) -> Any:
        project = await projects.ensure()
        first, second = (await imports.import_paths(project.id, [media.good, media.mkv])).added
        [job] = await jobs.analyze([first])
        followed = []
        async for changed in jobs.watch([job.id], interval_s=0.05):  # `vip jobs wait`, the API's events
            followed.append([(j.id, j.status) for j in changed])
            if len(followed) == 2:
                await jobs.cancel(job.id)
        everything = jobs.watch(interval_s=0.05)  # the GUI's poll: every job written from now on
        batches = [await anext(everything)]
        [other] = await jobs.analyze([second])
        for _ in range(6):
            batches.append(await anext(everything))
        await everything.aclose()
        return job, other, followed, batches

    (job, other, followed, batches), _ = with_services(database, body)
    assert followed == [[(job.id, JobStatus.QUEUED)], [], [(job.id, JobStatus.CANCELED)]]
    seen = [j.id for batch in batches for j in batch]
    # The canceled job is read again by every poll of the overlap window, yet yielded once.
    assert seen.count(job.id) == 1 and seen.count(other.id) == 1


def test_projects_are_unique_by_name(database: DatabaseAddress) -> None:
    async def body(projects: ProjectService, *_: Any) -> Any:
        a = await projects.create("News")
        b = await projects.create("News ")
        with pytest.raises(VipError):
            await projects.create("  ")
        return a, b, await projects.all()

    (a, b, listed), _ = with_services(database, body)
    assert a.id == b.id and [p.name for p in listed] == ["News"]
