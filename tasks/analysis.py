"""Analysis tasks: a job id goes in the queue; a worker runs the job with core's JobRunner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from huey import Huey, crontab

from core.models import JobStatus
from core.pipeline import JobRunner
from core.repositories import LeaseRepository
from core.services import StaleJobReaper

log = structlog.get_logger(__name__)

REAPER_LEASE = "reap-stale-jobs"
PURGE_LEASE = "purge-api-cache"


@dataclass
class WorkerRuntime:
    """What a worker process needs to run tasks; built by `app` once per process."""

    runner: JobRunner
    reaper: StaleJobReaper
    # Cluster-wide locks that expire: a worker SIGKILLed while holding one (a Huey lock never
    # expires) would otherwise stop every other worker from reaping dead jobs, for good.
    leases: LeaseRepository
    lease_ttl: timedelta
    purge_cache: Callable[[], int] = lambda: 0  # drops expired provider answers; returns how many


class AnalysisTasks:
    """Registers the tasks on a Huey instance; enqueue from any process, run in workers."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._runtime: WorkerRuntime | None = None
        self.analyze_video: Any = huey.task(name="analyze_video", retries=0)(self._analyze_video)
        self.purge_api_cache: Any = huey.periodic_task(crontab(minute="17"), name="purge_api_cache")(
            self._purge_api_cache)

    def bind(self, runtime: WorkerRuntime) -> None:
        """Give this worker process its runtime (before the consumer starts)."""
        self._runtime = runtime

    def _analyze_video(self, job_id: str) -> str | None:
        if self._runtime is None:
            raise RuntimeError("analyze_video ran in a process without a worker runtime")
        structlog.contextvars.clear_contextvars()
        status = self._runtime.runner.run(job_id)
        if status == JobStatus.QUEUED:
            self.analyze_video(job_id)  # interrupted by shutdown: resume on the next worker
        return str(status) if status else None

    def queued_job_ids(self) -> set[str]:
        """The job ids that analysis tasks waiting in the queue carry (reads the whole queue)."""
        return {str(task.args[0]) for task in self.huey.pending()
                if task.name == "analyze_video" and task.args}

    def reap_stale_jobs(self) -> list[str]:
        """Re-queue stranded jobs (dead workers, lost tasks); one worker at a time (a lease)."""
        runtime = self._runtime
        if runtime is None:
            return []
        try:
            with runtime.leases.hold(REAPER_LEASE, runtime.lease_ttl) as mine:
                return runtime.reaper.reap() if mine else []
        except Exception as exc:
            runtime.reaper.database_failed(exc)  # a database outage: heartbeats were lost too
            raise


    def _purge_api_cache(self) -> int:
        """Hourly: drop expired provider answers from `api_cache` (one worker at a time)."""
        runtime = self._runtime
        if runtime is None:
            return 0
        with runtime.leases.hold(PURGE_LEASE, runtime.lease_ttl) as mine:
            return runtime.purge_cache() if mine else 0


class HueyLauncher:
    """The JobLauncher port (core.services.JobLauncher) backed by the Huey queue."""

    def __init__(self, tasks: AnalysisTasks) -> None:
        self._tasks = tasks

    def enqueue(self, job_id: str) -> None:
        self._tasks.analyze_video(job_id)

    def queued_job_ids(self) -> set[str]:
        return self._tasks.queued_job_ids()
