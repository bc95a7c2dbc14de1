"""The job runner and stale-job recovery, as a worker process runs them (sync PyMongo)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import MediaError
from core.media.fingerprint import fingerprint
from core.models import Job, JobStatus, StageRecord, StageStatus, Video, VideoStatus
from core.pipeline import JobRunner, ProbeStage
from core.pipeline.progress import ProgressReporter
from core.pipeline.runner import RunnerConfig
from core.pipeline.stage import StageContext
from core.repositories import (
    AsyncJobRepository,
    DatabaseAddress,
    JobRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
    connect_async,
)
from core.services import StaleJobReaper
from core.timeutil import utc_now
from tests.media import MediaSet


def add_video_job(db: Any, path: Path, stages: tuple[str, ...] = ("probe",)) -> tuple[Video, Job]:
    fp, size = fingerprint(path) if path.exists() else ("missing", 0)
    video = Video(project_id="p1", path=str(path), fingerprint=fp, size_bytes=size)
    db["videos"].insert_one(video.to_doc())
    job = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord(n) for n in stages])
    db["jobs"].insert_one(job.to_doc())
    return video, job


def make_runner(db: Any, tmp_path: Path, stages: list[Any] | None = None,
                should_stop: Any = lambda: False, lanes: int = 1) -> JobRunner:
    return JobRunner(JobRepository(db), VideoRepository(db), ShotRepository(db), SegmentRepository(db),
                     stages or [ProbeStage()],
                     RunnerConfig(worker_id="test:1", media_dir=tmp_path / "media", heartbeat_s=0.2, lanes=lanes),
                     should_stop=should_stop)


def test_probe_job_succeeds_and_stores_metadata_and_poster(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    video, job = add_video_job(sync_db, media.good)
    assert make_runner(sync_db, tmp_path).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    stored = VideoRepository(sync_db).get(video.id)
    assert done and stored and stored.media
    assert done.status == JobStatus.SUCCEEDED and done.progress == 1.0 and done.attempts == 1
    assert done.stages[0].status == StageStatus.SUCCEEDED and done.stages[0].finished_at
    assert done.worker_id == "test:1" and done.error is None
    assert stored.status == VideoStatus.READY
    assert stored.media.duration_s == pytest.approx(4.0, abs=0.1)
    assert stored.poster_path and Path(stored.poster_path).is_file()
    assert stored.stage_version("probe") == ProbeStage.version


def test_up_to_date_stage_is_skipped_unless_forced(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    video, job = add_video_job(sync_db, media.good)
    make_runner(sync_db, tmp_path).run(job.id)
    again = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord("probe")])
    sync_db["jobs"].insert_one(again.to_doc())
    make_runner(sync_db, tmp_path).run(again.id)
    skipped = JobRepository(sync_db).get(again.id)
    assert skipped and skipped.stages[0].status == StageStatus.SKIPPED
    assert skipped.stages[0].message == "Up to date (v1)"
    forced = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord("probe")], force=True)
    sync_db["jobs"].insert_one(forced.to_doc())
    make_runner(sync_db, tmp_path).run(forced.id)
    rerun = JobRepository(sync_db).get(forced.id)
    assert rerun and rerun.stages[0].status == StageStatus.SUCCEEDED


def test_bad_file_fails_the_job_with_a_specific_message(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    video, job = add_video_job(sync_db, media.truncated)
    assert make_runner(sync_db, tmp_path).run(job.id) == JobStatus.FAILED
    failed = JobRepository(sync_db).get(job.id)
    assert failed and failed.error
    assert failed.error.type == "MediaError"
    assert str(media.truncated) in failed.error.message
    assert failed.stages[0].status == StageStatus.FAILED
    assert failed.stages[0].error == failed.error
    stored = VideoRepository(sync_db).get(video.id)
    assert stored and stored.status == VideoStatus.FAILED and stored.error == failed.error.message


class GatedStage:
    """A stage that reports progress until a test releases it (cancel/stop checks)."""

    name, title, version, weight = "probe", "Gated", 1, 1.0

    def __init__(self) -> None:
        self.started = threading.Event()

    def run(self, ctx: StageContext) -> None:
        self.started.set()
        for i in range(400):
            ctx.report(i / 400, f"step {i}")
            threading.Event().wait(0.01)


def start_gated_job(sync_db: Any, tmp_path: Path, job: Job) -> tuple[threading.Thread, list[Any]]:
    """Run `job` with a GatedStage on a thread, once it reports progress: (the thread, its outcome)."""
    stage = GatedStage()
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(make_runner(sync_db, tmp_path, [stage]).run(job.id)))
    thread.start()
    assert stage.started.wait(5)
    return thread, outcome


def test_cancel_request_stops_a_running_job(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    _, job = add_video_job(sync_db, media.good)
    thread, outcome = start_gated_job(sync_db, tmp_path, job)
    sync_db["jobs"].update_one({"_id": job.id}, {"$set": {"cancel_requested": True}})
    thread.join(10)
    assert outcome == [JobStatus.CANCELED]
    canceled = JobRepository(sync_db).get(job.id)
    assert canceled and canceled.status == JobStatus.CANCELED
    assert canceled.stages[0].status == StageStatus.CANCELED
    assert 0 < canceled.progress < 1


def _request_cancel(database: DatabaseAddress, job_id: str) -> None:
    """What the GUI's Cancel button does (JobService.cancel → AsyncJobRepository.request_cancel)."""
    async def cancel() -> None:
        client, db = connect_async(database)
        try:
            await AsyncJobRepository(db).request_cancel(job_id)
        finally:
            await client.close()

    asyncio.run(cancel())


def test_a_cancel_is_not_lost_when_a_progress_write_rewrites_the_whole_job(
        sync_db: Any, database: DatabaseAddress, media: MediaSet, tmp_path: Path) -> None:
    # FerretDB 1.x rewrites the whole document on an update: a worker's progress write that
    # races the Cancel click can put back cancel_requested=false. The worker obeys the
    # separate cancel document, which no job write touches.
    _, job = add_video_job(sync_db, media.good)
    thread, outcome = start_gated_job(sync_db, tmp_path, job)
    before = sync_db["jobs"].find_one({"_id": job.id})
    _request_cancel(database, job.id)
    sync_db["jobs"].replace_one({"_id": job.id}, before)  # the lost update, as FerretDB can produce it
    thread.join(10)
    assert outcome == [JobStatus.CANCELED]
    canceled = JobRepository(sync_db).get(job.id)
    assert canceled and canceled.status == JobStatus.CANCELED


def test_a_job_canceled_while_its_worker_died_is_not_run_again(
        sync_db: Any, database: DatabaseAddress, media: MediaSet, tmp_path: Path) -> None:
    _, job = add_video_job(sync_db, media.good)
    _request_cancel(database, job.id)
    sync_db["jobs"].update_one({"_id": job.id}, {"$set": {"status": "queued", "cancel_requested": False}})
    assert make_runner(sync_db, tmp_path, [ProbeStage()]).run(job.id) == JobStatus.CANCELED


def test_worker_shutdown_hands_the_job_back_to_the_queue(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    _, job = add_video_job(sync_db, media.good)
    stop = threading.Event()
    stage = GatedStage()
    outcome: list[Any] = []
    runner = make_runner(sync_db, tmp_path, [stage], should_stop=stop.is_set)
    thread = threading.Thread(target=lambda: outcome.append(runner.run(job.id)))
    thread.start()
    assert stage.started.wait(5)
    stop.set()
    thread.join(10)
    assert outcome == [JobStatus.QUEUED]
    released = JobRepository(sync_db).get(job.id)
    assert released and released.status == JobStatus.QUEUED and released.worker_id is None
    assert "Interrupted" in released.message
    assert make_runner(sync_db, tmp_path).run(job.id) == JobStatus.SUCCEEDED  # resumes


def test_a_worker_whose_job_was_taken_over_stops_and_writes_nothing_more(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    # A starved worker misses its heartbeats; the reaper hands the job back and another worker
    # starts it. The first must not go on: its writes would undo the second's progress, and its
    # end would delete the visual pass's frames the second is reading (seen as "Failed in ocr:
    # No such file" under load).
    video, job = add_video_job(sync_db, media.good)
    frames = tmp_path / "media" / "videos" / video.id / "frames"
    frames.mkdir(parents=True)
    thread, outcome = start_gated_job(sync_db, tmp_path, job)
    sync_db["jobs"].update_one({"_id": job.id}, {"$set": {"worker_id": "other:2", "attempts": 2,
                                                           "message": "the other worker's"}})
    thread.join(10)
    assert outcome == [None]
    taken = JobRepository(sync_db).get(job.id)
    assert taken and taken.status == JobStatus.RUNNING and taken.worker_id == "other:2"
    assert taken.message == "the other worker's"
    assert frames.is_dir()
    stored = VideoRepository(sync_db).get(video.id)
    assert stored and stored.status == VideoStatus.ANALYZING  # not set ready/queued by the first


def test_progress_writes_are_throttled_and_carry_an_eta(sync_db: Any, media: MediaSet) -> None:
    _, job = add_video_job(sync_db, media.good)
    writes: list[float] = []

    class CountingRepo(JobRepository):
        def save_owned(self, j: Job) -> bool:
            writes.append(j.progress)
            return super().save_owned(j)

    now = [0.0]
    job.status, job.worker_id, job.attempts = JobStatus.RUNNING, "test:1", 1
    JobRepository(sync_db).save(job)  # what the runner writes when it starts the job
    reporter = ProgressReporter(job, CountingRepo(sync_db), [1.0], lambda: False,
                                clock=lambda: now[0])
    for i in range(1, 101):  # 100 reports over 2 s of simulated time
        now[0] = i * 0.02
        reporter.report(i / 100)
    assert 7 <= len(writes) <= 9  # ~4 writes per second
    stored = JobRepository(sync_db).get(job.id)
    assert stored and stored.eta_s is not None and stored.eta_s < 1.0


def test_reaper_requeues_jobs_of_dead_workers_once(sync_db: Any, media: MediaSet) -> None:
    _, job = add_video_job(sync_db, media.good)
    job.status, job.worker_id = JobStatus.RUNNING, "gone:42"
    job.stages[0].status, job.stages[0].progress = StageStatus.RUNNING, 0.6
    job.heartbeat_at = utc_now() - timedelta(seconds=60)
    JobRepository(sync_db).save(job)
    enqueued: list[str] = []
    reaper = StaleJobReaper(JobRepository(sync_db), VideoRepository(sync_db), enqueued.append,
                            timedelta(seconds=30))
    assert reaper.reap() == [job.id]
    assert reaper.reap() == []
    assert enqueued == [job.id]
    requeued = JobRepository(sync_db).get(job.id)
    assert requeued and requeued.status == JobStatus.QUEUED
    assert requeued.stages[0].status == StageStatus.PENDING
    assert "gone:42 stopped responding" in requeued.message


def test_unexpected_stage_error_is_recorded_with_detail(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    class Broken:
        name, title, version, weight = "probe", "Broken", 1, 1.0

        def run(self, ctx: StageContext) -> None:
            raise ZeroDivisionError("division by zero")

    _, job = add_video_job(sync_db, media.good)
    make_runner(sync_db, tmp_path, [Broken()]).run(job.id)
    failed = JobRepository(sync_db).get(job.id)
    assert failed and failed.error and failed.error.type == "ZeroDivisionError"
    assert "Traceback" in failed.error.detail
    assert not isinstance(failed.error, MediaError)


def test_a_failed_stage_does_not_stop_independent_stages(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    ran: list[str] = []

    class Step:
        version, weight = 1, 1.0

        def __init__(self, name: str, requires: tuple[str, ...] = (), fail: bool = False) -> None:
            self.name, self.title, self.requires, self.fail = name, name.title(), requires, fail

        def run(self, ctx: StageContext) -> None:
            ran.append(self.name)
            if self.fail:
                raise MediaError(ctx.video.path, "speech model missing", "install it")

    stages = [Step("probe"), Step("speech", ("probe",), fail=True), Step("ocr", ("probe",)),
              Step("embed", ("speech",))]
    _, job = add_video_job(sync_db, media.good, stages=("probe", "speech", "ocr", "embed"))
    assert make_runner(sync_db, tmp_path, stages).run(job.id) == JobStatus.FAILED
    assert ran == ["probe", "speech", "ocr"]
    done = JobRepository(sync_db).get(job.id)
    assert done and [s.status for s in done.stages] == [
        StageStatus.SUCCEEDED, StageStatus.FAILED, StageStatus.SUCCEEDED, StageStatus.FAILED]
    assert done.stages[3].error and "not run because speech did not succeed" in done.stages[3].error.message
    assert done.error and "speech model missing" in done.error.message
    assert done.message.startswith("2 of 4 stages done; ")


def test_after_a_database_outage_the_reaper_waits_before_judging_heartbeats(sync_db: Any, media: MediaSet) -> None:
    # During an outage no worker could write its heartbeat: right after it, every running job
    # looks dead. The reaper must give the workers `stale_after` to beat again.
    from pymongo.errors import AutoReconnect

    _, job = add_video_job(sync_db, media.good)
    job.status, job.worker_id = JobStatus.RUNNING, "alive:7"
    job.heartbeat_at = utc_now() - timedelta(seconds=60)
    JobRepository(sync_db).save(job)
    now = [1000.0]
    reaper = StaleJobReaper(JobRepository(sync_db), VideoRepository(sync_db), lambda _id: None,
                            timedelta(seconds=30), clock=lambda: now[0])
    reaper.database_failed(AutoReconnect("connection refused"))
    assert reaper.reap() == []
    now[0] += 29
    assert reaper.reap() == []
    reaper.database_failed(ValueError("not an outage"))  # other errors do not restart the wait
    now[0] += 2
    assert reaper.reap() == [job.id]  # still silent 30 s after the outage: dead after all


def test_a_stage_cut_off_by_a_database_outage_runs_again_once_it_is_back(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    from pymongo.errors import AutoReconnect

    _, job = add_video_job(sync_db, media.good, stages=("flaky",))
    runs: list[int] = []

    class Flaky:
        name, title, version, weight = "flaky", "Flaky", 1, 1.0

        def run(self, ctx: StageContext) -> None:
            runs.append(1)
            if len(runs) == 1:
                raise AutoReconnect("localhost:27017: connection refused")
            ctx.summary = "ran"

    runner = make_runner(sync_db, tmp_path, [Flaky()])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[0].status == StageStatus.SUCCEEDED and done.stages[0].message == "ran"
    assert len(runs) == 2 and done.attempts == 1  # the same attempt, the stage again


class Lane:
    """A stage for the lanes tests: logs its start and end, and can wait for another stage."""

    version, weight = 1, 1.0

    def __init__(self, name: str, log: list[str], requires: tuple[str, ...] = (), uses: tuple[str, ...] = (),
                 wait_for: threading.Event | None = None, signal: threading.Event | None = None,
                 fail: bool = False, weight: float = 1.0) -> None:
        self.name, self.title, self.requires, self.uses = name, name.title(), requires, uses
        self.weight = weight
        self.log, self.wait_for, self.signal, self.fail = log, wait_for, signal, fail

    def run(self, ctx: StageContext) -> None:
        self.log.append(f"{self.name}+")
        if self.signal is not None:
            self.signal.set()
        deadline = time.monotonic() + 10.0  # a stage that waits in vain ends: the test fails, not hangs
        while self.wait_for is not None and not self.wait_for.wait(0.05) and time.monotonic() < deadline:
            ctx.report(0.5, "waiting")
        if self.fail:
            raise MediaError(ctx.video.path, f"{self.name} broke", "fix it")
        ctx.summary = f"{self.name} done"
        self.log.append(f"{self.name}-")


def test_independent_stages_run_side_by_side_and_dependents_wait(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    # "speech" waits until "ocr" has started: with one lane it would wait in vain (and give up
    # after 10 s), with two the visual stages run beside it. "embed" uses both, so it starts
    # only after both ended; "faces" needs only "visual", so it need not wait for speech.
    log: list[str] = []
    ocr_started = threading.Event()
    stages = [Lane("probe", log), Lane("visual", log, ("probe",)),
              Lane("speech", log, ("probe",), wait_for=ocr_started),
              Lane("ocr", log, ("probe", "visual"), signal=ocr_started),
              Lane("embed", log, ("probe",), uses=("speech", "ocr")),
              Lane("faces", log, ("visual",))]
    _, job = add_video_job(sync_db, media.good, stages=tuple(s.name for s in stages))
    assert make_runner(sync_db, tmp_path, stages, lanes=2).run(job.id) == JobStatus.SUCCEEDED
    assert log.index("speech+") < log.index("ocr+") < log.index("speech-")  # side by side
    assert log.index("probe-") < log.index("visual+") and log.index("probe-") < log.index("speech+")
    assert log.index("embed+") > max(log.index("speech-"), log.index("ocr-"))
    assert log.index("faces+") > log.index("visual-")
    done = JobRepository(sync_db).get(job.id)
    assert done and all(s.status == StageStatus.SUCCEEDED for s in done.stages)
    assert [s.message for s in done.stages] == [f"{s.name} done" for s in stages]
    assert done.progress == 1.0 and done.message.startswith("Done in")


def test_the_stage_heading_the_most_remaining_work_starts_first(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    # Speech holds one lane until faces has started. When the visual pass ends, on-screen text
    # (heavy, and embed waits on it) goes before faces although faces comes first in the job.
    log: list[str] = []
    faces_started = threading.Event()
    stages = [Lane("probe", log), Lane("visual", log, ("probe",), weight=10),
              Lane("speech", log, ("probe",), wait_for=faces_started, weight=30),
              Lane("faces", log, ("visual",), signal=faces_started, weight=6),
              Lane("ocr", log, ("visual",), weight=15), Lane("embed", log, uses=("speech", "ocr"), weight=2)]
    _, job = add_video_job(sync_db, media.good, stages=tuple(s.name for s in stages))
    assert make_runner(sync_db, tmp_path, stages, lanes=2).run(job.id) == JobStatus.SUCCEEDED
    assert log.index("visual-") < log.index("ocr+") < log.index("ocr-") < log.index("faces+") < log.index("speech-")
    assert log[-2:] == ["embed+", "embed-"]


def test_a_lane_that_fails_does_not_stop_the_other_and_failures_keep_the_job_order(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    log: list[str] = []
    release = threading.Event()
    stages = [Lane("speech", log, wait_for=release, fail=True), Lane("visual", log, signal=release, fail=True),
              Lane("speakers", log, ("speech",)), Lane("ocr", log, ("visual",), fail=False)]
    _, job = add_video_job(sync_db, media.good, stages=tuple(s.name for s in stages))
    assert make_runner(sync_db, tmp_path, stages, lanes=2).run(job.id) == JobStatus.FAILED
    done = JobRepository(sync_db).get(job.id)
    assert done and [s.status for s in done.stages] == [
        StageStatus.FAILED, StageStatus.FAILED, StageStatus.FAILED, StageStatus.FAILED]
    assert done.error and done.error.message.endswith("speech broke: fix it") or "speech broke" in done.message
    assert "not run because speech did not succeed" in (done.stages[2].message or "")


def test_cancel_stops_every_running_lane(sync_db: Any, database: DatabaseAddress, media: MediaSet, tmp_path: Path) -> None:
    log: list[str] = []
    never = threading.Event()
    stages = [Lane("speech", log, wait_for=never), Lane("visual", log, wait_for=never),
              Lane("ocr", log, ("visual",))]
    _, job = add_video_job(sync_db, media.good, stages=tuple(s.name for s in stages))
    jobs = JobRepository(sync_db)
    threading.Timer(0.5, _request_cancel, (database, job.id)).start()
    assert make_runner(sync_db, tmp_path, stages, lanes=2).run(job.id) == JobStatus.CANCELED
    done = jobs.get(job.id)
    assert done and [s.status for s in done.stages] == [
        StageStatus.CANCELED, StageStatus.CANCELED, StageStatus.PENDING]
    assert "ocr+" not in log and done.message == "Canceled by the operator"


def test_stages_side_by_side_never_undo_each_others_video_writes(sync_db: Any, media: MediaSet) -> None:
    # FerretDB 1.x rewrites the whole document on an update: unserialised, two lanes' `$set`s on
    # one video lose about half of the fields (measured 751 of 1,600).
    video, _ = add_video_job(sync_db, media.good)
    videos = VideoRepository(sync_db)

    def record(prefix: str) -> None:
        for i in range(25):
            videos.record_stage(video.id, f"{prefix}{i}", StageStatus.SUCCEEDED, i)

    lanes = [threading.Thread(target=record, args=(p,)) for p in ("speech", "visual")]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    stored = VideoRepository(sync_db).get(video.id)
    assert stored and sum(1 for name in stored.stages if name.startswith(("speech", "visual"))) == 50
