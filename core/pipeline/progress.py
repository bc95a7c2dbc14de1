"""Throttled progress reports with an ETA, written by the worker that owns the job."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.errors import JobCanceled, JobInterrupted, JobLost
from core.models import Job
from core.pipeline.stage import ProgressSink
from core.repositories import JobRepository
from core.timeutil import utc_now

MIN_INTERVAL_S = 0.25  # at most ~4 writes per second per job


class ProgressReporter:
    """Keep the job record's progress, message and ETA current without flooding the database.

    Lives in the worker that runs the job; stages running side by side (the runner's lanes)
    report through `for_stage`, and `lock` keeps the shared job record consistent while one of
    them changes or writes it. Each write also checks whether the operator asked to cancel, and
    whether the worker is shutting down; `halt` makes every lane's next report stop as well.
    """

    def __init__(
        self,
        job: Job,
        jobs: JobRepository,
        weights: list[float],
        should_stop: Callable[[], bool],
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._job = job
        self._jobs = jobs
        self._weights = weights
        self._should_stop = should_stop
        self._min_interval = min_interval_s
        self._clock = clock
        self._started = clock()
        self._start_progress = job.progress
        self._last_write = float("-inf")
        self._halted: type[JobCanceled] | type[JobInterrupted] | None = None
        self.lock = threading.RLock()
        self.stage_index = 0

    def for_stage(self, index: int) -> ProgressSink:
        """The progress sink of the job's stage `index` (for a stage running in a lane)."""
        def report(fraction: float, message: str = "") -> None:
            self.report(fraction, message, index)
        return report

    def halt(self, stop: type[JobCanceled] | type[JobInterrupted]) -> None:
        """Make every stage's next report raise `stop` (one lane was canceled or interrupted)."""
        self._halted = stop

    def report(self, fraction: float, message: str = "", index: int | None = None) -> None:
        """Record progress 0..1 of stage `index` (default: `stage_index`); write when due;
        honour cancel and stop."""
        if self._halted is not None:
            raise self._halted("another stage of this job stopped")
        fraction = min(1.0, max(0.0, fraction))
        with self.lock:
            stage = self._job.stages[self.stage_index if index is None else index]
            stage.progress = fraction
            if message:
                stage.message = message
                self._job.message = message
            self._job.progress = self.overall()
            now = self._clock()
            if now - self._last_write < self._min_interval:
                return
            self.flush(now)
        if self._should_stop():
            raise JobInterrupted("the worker is shutting down")
        if self._jobs.is_cancel_requested(self._job.id):
            raise JobCanceled("canceled by the operator")

    def flush(self, now: float | None = None) -> None:
        """Write the job's current state now (stage boundaries, final states)."""
        with self.lock:
            now = self._clock() if now is None else now
            self._job.eta_s = self.eta(now)
            self._job.heartbeat_at = utc_now()
            if not self._jobs.save_owned(self._job):
                self._halted = JobLost
                raise JobLost("another worker took this job over")
            self._last_write = now

    def quiet_for(self) -> float:
        """Seconds since the last write (each write also refreshes the heartbeat)."""
        return self._clock() - self._last_write

    def overall(self) -> float:
        total = sum(self._weights) or 1.0
        done = sum(w * s.progress for w, s in zip(self._weights, self._job.stages))
        return round(min(1.0, done / total), 4)

    def eta(self, now: float) -> float | None:
        """Estimate seconds left from this attempt's rate so far (None until it is meaningful)."""
        gained = self._job.progress - self._start_progress
        elapsed = now - self._started
        if gained < 0.02 or elapsed < 0.5 or self._job.progress >= 1.0:
            return None
        return round(elapsed * (1.0 - self._job.progress) / gained, 1)
