"""Hand jobs that nothing will run back to the queue. Runs in worker processes (sync).

Two ways a job is stranded:
- **running, its worker dead**: no heartbeat for `stale_after` (a SIGKILLed worker, a host
  that lost power);
- **queued, its task gone**: the job was written queued but its queue task was never made
  (the queue failed between the two writes) or was lost (a queue wiped, a worker that died
  after taking the task and before writing the job running). Such a job is re-enqueued once
  it has been queued for `stale_after` and the queue holds no task for it.

After the database was unreachable, no job is judged dead for `stale_after`: their workers'
heartbeats could not be written either (`database_failed`).

A job enqueued twice is harmless: a worker starts a job only under its claim (see
`JobRepository.claiming`), so the second task finds it running or done and does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import structlog

from core.models import VideoStatus
from core.repositories import JobRepository, VideoRepository, database_unavailable
from core.timeutil import utc_now

log = structlog.get_logger(__name__)


class StaleJobReaper:
    """Find stranded jobs (see the module docstring) and hand them back to the queue.

    The caller must make sure only one reaper runs at a time across all workers (a lease);
    the conditional write below then guarantees each dead job is re-queued once.
    `queued_tasks` returns the job ids the queue holds tasks for (it reads the whole queue,
    so queued jobs are checked at most once per `stale_after`); without it queued jobs are
    not checked.
    """

    def __init__(
        self,
        jobs: JobRepository,
        videos: VideoRepository,
        enqueue: Callable[[str], None],
        stale_after: timedelta,
        queued_tasks: Callable[[], set[str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._jobs = jobs
        self._videos = videos
        self._enqueue = enqueue
        self._stale_after = stale_after
        self._queued_tasks = queued_tasks
        self._clock = clock
        self._next_queued_check = clock()
        self._trust_from = clock()  # heartbeats are evidence only from here on

    def reap(self) -> list[str]:
        if self._clock() < self._trust_from:
            return []
        try:
            return self._reap_dead_workers() + self._reap_lost_tasks()
        except Exception as exc:
            self.database_failed(exc)
            raise

    def database_failed(self, exc: BaseException) -> None:
        """Tell the reaper a database call failed; if the database was unreachable, wait
        `stale_after` before judging heartbeats again (they could not be written meanwhile)."""
        if database_unavailable(exc):
            self._trust_from = self._clock() + self._stale_after.total_seconds()

    def _reap_dead_workers(self) -> list[str]:
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

    def _reap_lost_tasks(self) -> list[str]:
        if self._queued_tasks is None or self._clock() < self._next_queued_check:
            return []
        self._next_queued_check = self._clock() + self._stale_after.total_seconds()
        # The queue first, then the jobs: a task a worker takes after this read belongs to a job
        # it writes running within milliseconds, so the job is not read as queued below. (The
        # other order took every job dequeued during the jobs' read for lost.)
        in_queue = self._queued_tasks()
        waiting = self._jobs.find_queued(utc_now() - self._stale_after)
        requeued = []
        for job in waiting:
            if job.id not in in_queue:
                self._enqueue(job.id)
                requeued.append(job.id)
                log.warning("job_task_requeued", job_id=job.id, queued_at=str(job.updated_at))
        return requeued
