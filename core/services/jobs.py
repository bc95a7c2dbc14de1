"""Create, list, cancel and retry analysis jobs (async; GUI loop or CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from core.errors import Conflict, NotFound, VipError
from core.models import Job, JobStatus, StageRecord, Video, VideoStatus
from core.repositories import AsyncJobRepository, AsyncVideoRepository, database_unavailable
from core.services.profiles import ProfileService
from core.timeutil import utc_now

log = structlog.get_logger(__name__)

WATCH_OVERLAP = timedelta(seconds=2)  # records written by other processes, whose clocks may lag
OUTAGE_BACKOFF_S = (0.5, 1.0, 2.0, 4.0)  # between polls while the database is away, then every 4 s


class JobLauncher(Protocol):
    """Port to the queue, injected by `app`: hands a job id to the workers (blocking call)."""

    def enqueue(self, job_id: str) -> None: ...

    def queued_job_ids(self) -> set[str]:
        """The job ids the queue holds tasks for (blocking; reads the whole queue)."""
        ...


class JobService:
    """Create, list, follow, cancel and retry analysis jobs over the job records; enqueues through
    the `JobLauncher` port. Used by the GUI's jobs panel and poll, `vip analyze`/`vip jobs`, the REST
    API's jobs routes and AnalysisService (async; GUI loop or CLI)."""

    def __init__(
        self,
        jobs: AsyncJobRepository,
        videos: AsyncVideoRepository,
        launcher: JobLauncher,
        stage_names: list[str],
        profiles: ProfileService | None = None,
    ) -> None:
        self._jobs = jobs
        self._videos = videos
        self._launcher = launcher
        self._stage_names = stage_names
        self._profiles = profiles  # None: every job runs every stage

    async def stage_names(self, project_id: str) -> list[str]:
        """The stages a new job of the project runs: its analysis profile's, in pipeline order."""
        if self._profiles is None:
            return list(self._stage_names)
        return await self._profiles.stages_for(project_id)

    async def analyze(self, videos: list[Video], force: bool = False) -> list[Job]:
        """Queue an analysis job per video; a video that already has an open job keeps it, and
        a queued one whose queue task is gone (see core.services.recovery) is enqueued again.
        A new job runs the stages its project's analysis profile leaves on."""
        jobs = []
        stages_of: dict[str, list[str]] = {}  # project id -> its profile's stages, read once
        in_queue: set[str] | None = None  # read once, and only when a queued job is found
        for video in videos:
            open_job = await self._jobs.find_open_for_video(video.id)
            if open_job:
                if open_job.status == JobStatus.QUEUED:
                    if in_queue is None:
                        in_queue = await asyncio.to_thread(self._launcher.queued_job_ids)
                    if open_job.id not in in_queue:
                        await asyncio.to_thread(self._launcher.enqueue, open_job.id)
                jobs.append(open_job)
                continue
            if video.project_id not in stages_of:
                stages_of[video.project_id] = await self.stage_names(video.project_id)
            job = Job(
                kind="analyze",
                video_id=video.id,
                project_id=video.project_id,
                stages=[StageRecord(name=n) for n in stages_of[video.project_id]],
                force=force,
            )
            await self._jobs.add(job)
            await self._videos.set_status(video.id, VideoStatus.QUEUED)
            await asyncio.to_thread(self._launcher.enqueue, job.id)
            jobs.append(job)
        return jobs

    async def recent(self, project_id: str | None = None, limit: int = 500,
                     status: JobStatus | None = None) -> list[Job]:
        """The newest jobs first, of one project or all, in one status or any."""
        if status is not None:
            return await self._jobs.with_status(status, project_id, limit)
        return await self._jobs.recent(project_id, limit)

    async def find(self, ref: str) -> Job:
        """The job whose id is `ref`, or the one job whose id starts with it (at least 4 of its hex
        digits: `vip jobs` shows 8). NotFound when none; VipError when several or not an id."""
        key = ref.strip().lower()
        if len(key) < 4 or any(ch not in "0123456789abcdef" for ch in key):
            raise VipError(f"{ref!r} is not a job id: give the id or its first 8 characters, as `vip jobs` lists them")
        found = await self._jobs.with_id_prefix(key)
        if not found:
            raise NotFound(f"No job with id {ref}: `vip jobs` lists the recent ones")
        if len(found) > 1:
            raise VipError(f"More than one job's id starts with {ref}: give more of it")
        return found[0]

    async def changed_since(self, since: datetime) -> list[Job]:
        return await self._jobs.changed_since(since)

    async def get_many(self, job_ids: list[str]) -> list[Job]:
        return await self._jobs.get_many(job_ids)

    async def watch(self, job_ids: Sequence[str] | None = None, interval_s: float = 0.25,
                    on_outage: Callable[[bool, float], None] | None = None, give_up_s: float | None = None,
                    tolerate: Callable[[BaseException], bool] = database_unavailable) -> AsyncGenerator[list[Job], None]:
        """Poll the job records every `interval_s` and yield, after each poll, the jobs whose record
        changed since the last batch (often none). With `job_ids`: those jobs, all of them first;
        it ends after the batch in which the last of them finished (a removed job counts as
        finished). Without: every job written from now on, each write once, until cancelled.

        A failed poll that `tolerate`s is tried again with backoff: `on_outage(True, 0.0)` when the
        database first does not answer, `on_outage(False, seconds_away)` when it is back; after
        `give_up_s` away the error is raised. Runs on the caller's loop (GUI, CLI, REST API)."""
        loop = asyncio.get_running_loop()
        seen: dict[str, Job] = {}  # the record each job had when last yielded
        since = utc_now()
        away_since: float | None = None
        failures = 0
        while True:
            started = utc_now()
            try:
                polled = (await self.get_many(list(job_ids)) if job_ids is not None
                          else await self.changed_since(since - WATCH_OVERLAP))
            except Exception as exc:
                if not tolerate(exc):
                    raise
                if away_since is None:
                    away_since = loop.time()
                    log.warning("job_watch_database_away", error=str(exc))
                    if on_outage is not None:
                        on_outage(True, 0.0)
                elif give_up_s is not None and loop.time() - away_since > give_up_s:
                    raise
                await asyncio.sleep(OUTAGE_BACKOFF_S[min(failures, len(OUTAGE_BACKOFF_S) - 1)])
                failures += 1
                continue
            if away_since is not None:
                if on_outage is not None:
                    on_outage(False, loop.time() - away_since)
                away_since, failures = None, 0
            since = started
            changed = [job for job in polled if seen.get(job.id) != job]
            if job_ids is None:
                seen = {job.id: job for job in polled}  # all that a later poll can read again
            else:
                seen.update((job.id, job) for job in changed)
            yield changed
            if job_ids is not None and all(job.status.finished for job in polled):
                return
            await asyncio.sleep(interval_s)

    async def cancel(self, job_id: str) -> None:
        """Ask the owning worker to stop; a job still waiting in the queue is canceled at once."""
        job = await self._require(job_id)
        if job.status.finished:
            return
        await self._jobs.request_cancel(job_id)
        if job.status == JobStatus.QUEUED:
            await self._videos.set_status(job.video_id, VideoStatus.CANCELED)

    async def retry(self, job_id: str) -> Job:
        """Queue a failed or canceled job again; stages that succeeded are not repeated."""
        job = await self._require(job_id)
        if job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
            raise Conflict(f"Only failed or canceled jobs can be retried (this one is {job.status})")
        job.back_to_queue("Waiting for a worker (retry)")
        job.cancel_requested = False
        job.updated_at = utc_now()
        if not await self._jobs.replace_unowned(job, [JobStatus.FAILED, JobStatus.CANCELED]):
            raise Conflict("The job changed while retrying; refresh and try again")
        await self._videos.set_status(job.video_id, VideoStatus.QUEUED)
        await asyncio.to_thread(self._launcher.enqueue, job.id)
        return job

    async def _require(self, job_id: str) -> Job:
        job = await self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"No job with id {job_id}")
        return job
