"""Re-queue jobs whose worker died (stale heartbeat). Runs in worker processes (sync)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import structlog

from core.models import VideoStatus
from core.repositories import JobRepository, VideoRepository
from core.timeutil import utc_now

log = structlog.get_logger(__name__)


class StaleJobReaper:
    """Find running jobs with no heartbeat for `stale_after` and hand them back to the queue.

    The caller must make sure only one reaper runs at a time across all workers (a queue
    lock); the conditional write below then guarantees each dead job is re-queued once.
    """

    def __init__(
        self,
        jobs: JobRepository,
        videos: VideoRepository,
        enqueue: Callable[[str], None],
        stale_after: timedelta,
    ) -> None:
        self._jobs = jobs
        self._videos = videos
        self._enqueue = enqueue
        self._stale_after = stale_after

    def reap(self) -> list[str]:
        requeued = []
        for job in self._jobs.find_stale(utc_now() - self._stale_after):
            dead_worker = job.worker_id
            job.back_to_queue(f"Re-queued: worker {dead_worker} stopped responding")
            if self._jobs.release(job, dead_worker):
                self._videos.set_status(job.video_id, VideoStatus.QUEUED)
                self._enqueue(job.id)
                requeued.append(job.id)
                log.warning("job_requeued", job_id=job.id, dead_worker=dead_worker)
        return requeued
