"""Run one analysis job: its stages in order, with progress, heartbeat, cancel and resume.

Runs in a worker process (sync PyMongo). Only this runner writes the job's progress while
it owns the job. Stages already done (an earlier attempt) or up to date (same analyzer
version stored on the video) are skipped.

The database may go away mid-job (a server restarted, a network cut). The runner then waits
for it, with backoff, for up to `RunnerConfig.outage_s`: a write that failed is done again (every
write here sets absolute values, so doing it twice is doing it once), and a stage that failed
because of the outage runs again from its start (a stage replaces what it stored). The job
goes on in the same worker and ends once, as if nothing happened.

Stages that do not depend on each other run side by side, up to `RunnerConfig.lanes` at once
(threads of the worker process). A stage may start once every earlier stage it `requires` or
`uses` has ended: the speech transcript (Whisper, which keeps about one core busy) runs beside
the visual pass, on-screen text and faces. Of the stages that may start, the one heading the
most remaining work (its `weight` plus the heaviest chain of stages waiting on it) goes first.
benchmarks/bench_pipeline.py measures the pipeline against a baseline on the same clip.
"""

from __future__ import annotations

import contextvars
import errno
import itertools
import shutil
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import structlog

from core.errors import JobCanceled, JobInterrupted, JobLost, MediaError, VipError
from core.models import Job, JobError, JobStatus, StageStatus, Video, VideoStatus
from core.periodic import Periodic
from core.pipeline.progress import ProgressReporter
from core.pipeline.stage import Stage, StageContext
from core.repositories import (
    JobRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
    database_unavailable,
)
from core.timeutil import utc_now
from core.visual.sampled_frames import sampled_frames_dir

log = structlog.get_logger(__name__)

T = TypeVar("T")
OUTAGE_BACKOFF_S = (0.5, 1.0, 2.0, 4.0)  # then every 4 s


class CostLedger(Protocol):
    def cost_of(self, *, job_id: str | None = None, video_id: str | None = None) -> float: ...


@dataclass
class RunnerConfig:
    worker_id: str
    media_dir: Path
    heartbeat_s: float = 2.0
    ledger: CostLedger | None = None  # the provider cost ledger: jobs and videos carry their cost
    outage_s: float = 600.0  # how long a job waits for a database that went away
    lanes: int = 1  # stages of one job that may run at once (independent ones only)


class JobRunner:
    def __init__(
        self,
        jobs: JobRepository,
        videos: VideoRepository,
        shots: ShotRepository,
        segments: SegmentRepository,
        stages: list[Stage],
        config: RunnerConfig,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._segments = segments
        self._jobs = jobs
        self._videos = videos
        self._shots = shots
        self._stages = {s.name: s for s in stages}
        self._config = config
        self._should_stop = should_stop

    def run(self, job_id: str) -> JobStatus | None:
        """Run the job if it is queued; return its final status (QUEUED means: enqueue again).

        None: there is no such job, another worker is starting it right now, or another worker
        took it over while this one ran it (JobLost)."""
        try:
            with self._jobs.claiming(job_id) as job:
                if job is None:
                    log.info("job_not_claimed", job_id=job_id)  # gone, or being started elsewhere
                    return None
                if job.status != JobStatus.QUEUED:
                    log.info("job_not_queued", job_id=job_id, status=str(job.status))
                    return job.status
                structlog.contextvars.bind_contextvars(job_id=job.id, video_id=job.video_id)
                started = self._start(job)
            # Written running (or finished at once) and the claim let go: from here the job's
            # status keeps other workers off it.
            return self._run(job, *started) if isinstance(started, tuple) else started
        finally:
            structlog.contextvars.unbind_contextvars("job_id", "video_id")

    def _start(self, job: Job) -> JobStatus | None | tuple[Video, ProgressReporter]:
        """Write the claimed job running (or finish it at once: canceled, video gone)."""
        if job.cancel_requested or self._jobs.is_cancel_requested(job.id):
            return self._finish(job, None, JobStatus.CANCELED, "Canceled")
        video = self._videos.get(job.video_id)
        if video is None:
            error = JobError("NotFound", "The video was removed from the library before analysis")
            return self._finish(job, None, JobStatus.FAILED, error.message, error)
        job.status = JobStatus.RUNNING
        job.worker_id = self._config.worker_id
        job.attempts += 1
        job.error = None
        job.message = "Starting"
        job.heartbeat_at = utc_now()
        weights = [self._weight(s.name) for s in job.stages]
        reporter = ProgressReporter(job, self._jobs, weights, self._should_stop)
        # The video first, then the job: whoever sees the job change reads a current video.
        # This write makes the job this attempt's (the claim keeps other workers off it until
        # then); every later write of this attempt checks it still is (save_owned).
        self._persist(lambda: self._videos.set_status(video.id, VideoStatus.ANALYZING))
        self._persist(lambda: self._jobs.save(job))
        log.info("job_started", attempt=job.attempts, path=video.path)
        return video, reporter

    def _run(self, job: Job, video: Video, reporter: ProgressReporter) -> JobStatus | None:
        started = utc_now()
        failures: list[JobError] = []

        def beat() -> None:
            # Only when progress went quiet (its writes carry the heartbeat too): FerretDB
            # rewrites whole documents, so two writers at once can undo each other's fields.
            if reporter.quiet_for() >= self._config.heartbeat_s and not self._jobs.heartbeat(job):
                reporter.halt(JobLost)  # the lanes stop at their next report

        # The heartbeat also stops before the final write, for the same reason.
        with Periodic("job-heartbeat", self._config.heartbeat_s, beat):
            outcome, stopped = self._run_stages(job, video, reporter, failures)
        if outcome is JobLost:
            return self._lost(job)
        if outcome is JobInterrupted:
            return self._release(job)
        if outcome is JobCanceled:
            for index in stopped:
                job.stages[index].status = StageStatus.CANCELED
            return self._finish(job, reporter, JobStatus.CANCELED, "Canceled by the operator")
        if failures:
            done = sum(1 for s in job.stages if s.status.done)
            first = failures[0]
            message = first.message if len(job.stages) == 1 else (
                f"{done} of {len(job.stages)} stages done; {first.message}")
            return self._finish(job, reporter, JobStatus.FAILED, message, first)
        took = (utc_now() - started).total_seconds()
        return self._finish(job, reporter, JobStatus.SUCCEEDED, f"Done in {took:.1f} s")

    def _run_stages(self, job: Job, video: Video, reporter: ProgressReporter, failures: list[JobError]
                    ) -> tuple[type[JobCanceled] | type[JobInterrupted] | None, list[int]]:
        """Run the job's stages, independent ones side by side (see the module docstring).
        Failures are added to `failures` in the job's stage order. Returns how the job was stopped
        (None: it was not) and the stages that were running then."""
        lanes = max(1, self._config.lanes)
        waiting = list(range(len(job.stages)))
        running: dict[Future[JobError | None], int] = {}
        failed: dict[int, JobError] = {}
        stop: type[JobCanceled] | type[JobInterrupted] | None = None
        stopped: list[int] = []
        unexpected: BaseException | None = None
        priority = self._priorities(job)
        with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix=f"job-{job.id[:8]}") as pool:
            while running or (waiting and stop is None and unexpected is None):
                if stop is None and unexpected is None:
                    ready = [i for i in waiting if self._may_start(job, i, waiting, running.values())]
                    for index in sorted(ready, key=lambda i: (-priority[i], i)):
                        if len(running) >= lanes:
                            break
                        waiting.remove(index)
                        run = contextvars.copy_context().run  # the job's log context in the lane's thread
                        running[pool.submit(run, self._run_stage, job, video, index, reporter)] = index
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = running.pop(future)
                    try:
                        failure = future.result()
                    except (JobCanceled, JobInterrupted) as exc:
                        stop = stop or type(exc)
                        stopped.append(index)
                        reporter.halt(stop)  # the other lanes stop at their next report
                        continue
                    except BaseException as exc:  # noqa: BLE001 - re-raised once the other lanes ended
                        unexpected = unexpected or exc
                        reporter.halt(JobInterrupted)
                        continue
                    if failure is not None:
                        failed[index] = failure
        if unexpected is not None:
            raise unexpected
        failures += [failed[i] for i in sorted(failed)]
        return stop, stopped

    def _priorities(self, job: Job) -> list[float]:
        """Each stage's weight plus the heaviest chain of later stages that need it: of the stages
        ready to start, the one heading the longest remaining work goes first (on-screen text
        before faces once the visual pass is done, so the job is not left waiting on it)."""
        names = [record.name for record in job.stages]
        stages = [self._stages.get(name) for name in names]
        priority = [0.0] * len(names)
        for i in reversed(range(len(names))):
            after = [priority[j] for j in range(i + 1, len(names))
                     if names[i] in {*getattr(stages[j], "requires", ()), *getattr(stages[j], "uses", ())}]
            priority[i] = float(getattr(stages[i], "weight", 1.0)) + max(after, default=0.0)
        return priority

    def _may_start(self, job: Job, index: int, waiting: list[int], running: Iterable[int]) -> bool:
        """True when no earlier stage that stage `index` requires or uses is still to end."""
        stage = self._stages.get(job.stages[index].name)
        needs = {*getattr(stage, "requires", ()), *getattr(stage, "uses", ())}
        busy = {*waiting, *running}
        return not any(i < index and i in busy and job.stages[i].name in needs for i in range(len(job.stages)))

    def _run_stage(self, job: Job, video: Video, index: int, reporter: ProgressReporter) -> JobError | None:
        """Run stage `index` (in a lane); its failure, or None. Only `reporter.flush` writes the job."""
        video = self._persist(lambda: self._videos.get(video.id)) or video  # with earlier stages' output
        record = job.stages[index]
        if record.status.done:
            return None  # finished by an earlier attempt
        stage = self._stages.get(record.name)
        if stage is None:
            record.status = StageStatus.FAILED
            record.error = JobError("UnknownStage", f"This worker has no stage named {record.name!r}")
            return record.error
        missing = [n for n in getattr(stage, "requires", ()) if not self._stage_done(job, video, n)]
        if missing:
            record.status = StageStatus.FAILED
            record.error = JobError("StageSkipped", f"{stage.title}: not run because {', '.join(missing)} did not succeed")
            record.message = record.error.message
            return record.error
        inputs = (*getattr(stage, "requires", ()), *getattr(stage, "uses", ()))
        reran = [r.name for r in job.stages if r.name in inputs and r.status == StageStatus.SUCCEEDED]
        if not job.force and video.stage_version(stage.name) == stage.version and not reran:
            record.status, record.progress = StageStatus.SKIPPED, 1.0
            record.message = f"Up to date (v{stage.version})"
            self._persist(reporter.flush)
            return None
        while True:
            record.status, record.started_at, record.error = StageStatus.RUNNING, utc_now(), None
            record.message = stage.title
            job.message = stage.title
            self._persist(reporter.flush)
            log.info("stage_started", stage=stage.name)
            ctx = StageContext(video=video, videos=self._videos, shots=self._shots,
                               segments=self._segments, media_dir=self._config.media_dir,
                               report=reporter.for_stage(index), job_id=job.id)
            try:
                stage.run(ctx)
                break
            except (JobCanceled, JobInterrupted):
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on its stage
                if database_unavailable(exc) and self._await_database():
                    log.warning("stage_restarted_after_database_outage", stage=stage.name)
                    continue  # from its start: what it stored before the outage is replaced
                record.status, record.finished_at = StageStatus.FAILED, utc_now()
                record.error = _job_error(exc, self._config.media_dir)
                record.message = record.error.message
                self._persist(lambda: self._videos.record_stage(video.id, stage.name, StageStatus.FAILED, stage.version))
                log.warning("stage_failed", stage=stage.name, error=record.error.message)
                return record.error
        record.status, record.progress, record.finished_at = StageStatus.SUCCEEDED, 1.0, utc_now()
        record.message = ctx.summary or "Done"
        self._persist(lambda: self._videos.record_stage(video.id, stage.name, StageStatus.SUCCEEDED, stage.version))
        job.progress = reporter.overall()
        self._persist(reporter.flush)
        log.info("stage_finished", stage=stage.name)
        return None

    def _persist(self, call: Callable[[], T]) -> T:
        """Do a database read or write; across an outage, wait for the database and do it again."""
        while True:
            try:
                return call()
            except Exception as exc:
                if not database_unavailable(exc) or not self._await_database():
                    raise

    def _await_database(self) -> bool:
        """Wait, with backoff, until the database answers again; False after `outage_s`.
        A stop asked for meanwhile (worker shutdown) interrupts the job: it is handed back."""
        deadline = time.monotonic() + self._config.outage_s
        log.warning("database_unavailable_waiting", outage_s=self._config.outage_s)
        for attempt in itertools.count():
            if self._should_stop():
                raise JobInterrupted("the worker is stopping while the database is away")
            if self._jobs.reachable():
                log.info("database_back", attempts=attempt + 1)
                return True
            if time.monotonic() >= deadline:
                log.error("database_still_unavailable", outage_s=self._config.outage_s)
                return False
            time.sleep(OUTAGE_BACKOFF_S[min(attempt, len(OUTAGE_BACKOFF_S) - 1)])
        raise AssertionError("unreachable")

    @staticmethod
    def _stage_done(job: Job, video: Video, name: str) -> bool:
        for record in job.stages:
            if record.name == name:
                return record.status.done
        return video.stage_version(name) is not None  # not in this job: stored earlier

    def _weight(self, name: str) -> float:
        stage = self._stages.get(name)
        return stage.weight if stage else 1.0

    def _finish(
        self,
        job: Job,
        reporter: ProgressReporter | None,
        status: JobStatus,
        message: str,
        error: JobError | None = None,
    ) -> JobStatus | None:
        if reporter is not None and not self._persist(lambda: self._jobs.owns(job)):
            return self._lost(job)
        job.status, job.message, job.error, job.eta_s = status, message, error, None
        if status == JobStatus.SUCCEEDED:
            job.progress = 1.0
        ledger = self._config.ledger
        if ledger is not None:
            job.cost_usd = self._persist(lambda: ledger.cost_of(job_id=job.id))
            if job.cost_usd:
                video_cost = self._persist(lambda: ledger.cost_of(video_id=job.video_id))
                self._persist(lambda: self._videos.set_cost(job.video_id, video_cost))
        video_status = {
            JobStatus.SUCCEEDED: VideoStatus.READY,
            JobStatus.FAILED: VideoStatus.FAILED,
            JobStatus.CANCELED: VideoStatus.CANCELED,
        }[status]
        # Scratch space: the visual pass's frames served this job's OCR and faces (kept while the
        # job is only handed back: `_release`).
        shutil.rmtree(sampled_frames_dir(self._config.media_dir, job.video_id), ignore_errors=True)
        # The video first: a GUI that sees the job finish must find the video final too.
        self._persist(lambda: self._videos.set_status(job.video_id, video_status, error.message if error else None))
        try:
            self._persist(reporter.flush if reporter else lambda: self._jobs.save(job))
        except JobLost:  # taken over between the check above and this write
            return self._lost(job)
        log.info("job_finished", status=str(status), message=message)
        return status

    def _release(self, job: Job) -> JobStatus | None:
        """Put an interrupted job back in the queue; the stage it was in starts over."""
        if not self._jobs.owns(job):
            return self._lost(job)
        worker_id = job.worker_id
        job.back_to_queue("Interrupted (worker stopped); waiting for a worker to resume")
        self._videos.set_status(job.video_id, VideoStatus.QUEUED)
        if not self._jobs.release(job, worker_id):
            return self._lost(job)
        log.info("job_released")
        return JobStatus.QUEUED

    @staticmethod
    def _lost(job: Job) -> None:
        """This attempt lost the job (see JobLost): leave everything to the worker that has it."""
        log.warning("job_lost", attempt=job.attempts)
        return None


def _job_error(exc: BaseException, media_dir: Path) -> JobError:
    where = _disk_full(exc, media_dir)
    if where is not None:  # nothing stored is lost: Retry re-runs this stage once there is room
        return JobError("DiskFull", f"disk full: {where}: free some space, then Retry", traceback.format_exc(limit=8))
    if isinstance(exc, VipError):
        detail = "" if isinstance(exc, MediaError) else traceback.format_exc(limit=8)
        return JobError(type(exc).__name__, str(exc), detail)
    return JobError(type(exc).__name__, f"Unexpected error: {exc}", traceback.format_exc(limit=12))


def _disk_full(exc: BaseException, media_dir: Path) -> str | None:
    """Where the disk is full (a path, or "the database") if `exc` or its cause says so; else None.

    A write's ENOSPC often carries no file name: the media cache is where stages write."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return str(current.filename or media_dir)
        text = str(current).lower()
        if "database or disk is full" in text or "sqlite_full" in text:
            return "the database"
        current = current.__cause__ or current.__context__
    return None
