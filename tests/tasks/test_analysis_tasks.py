"""The Huey task wrappers: enqueue a job id, a consumer runs it through core's runner."""

from __future__ import annotations

from datetime import timedelta
import asyncio
from pathlib import Path
from typing import Any

from core.models import JobStatus
from core.pipeline import JobRunner, ProbeStage
from core.pipeline.runner import RunnerConfig
from core.repositories import (
    DatabaseAddress,
    JobRepository,
    LeaseRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
    connect_async,
)
from core.services import StaleJobReaper
from app.wiring import client_services
from core.timeutil import utc_now
from tasks import AnalysisTasks, HueyLauncher, WorkerRuntime, make_huey
from tests.core.test_runner import add_video_job
from tests.media import MediaSet


def _tasks(db: Any, tmp_path: Path, immediate: bool, worker: str = "w:1") -> AnalysisTasks:
    tasks = AnalysisTasks(make_huey(tmp_path / "queue", immediate=immediate))
    jobs, videos = JobRepository(db), VideoRepository(db)
    runner = JobRunner(jobs, videos, ShotRepository(db), SegmentRepository(db), [ProbeStage()],
                       RunnerConfig(worker, tmp_path / "media"))
    reaper = StaleJobReaper(jobs, videos, tasks.analyze_video, timedelta(seconds=5),
                            queued_tasks=tasks.queued_job_ids)
    tasks.bind(WorkerRuntime(runner, reaper, LeaseRepository(db, worker), lease_ttl=timedelta(seconds=10)))
    return tasks


def _queued_long_ago(db: Any, job_id: str) -> None:
    db["jobs"].update_one({"_id": job_id}, {"$set": {"updated_at": utc_now() - timedelta(minutes=5)}})


def test_enqueued_job_runs_through_the_queue(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    _, job = add_video_job(sync_db, media.good)
    tasks = _tasks(sync_db, tmp_path, immediate=False)
    HueyLauncher(tasks).enqueue(job.id)
    assert tasks.huey.pending_count() == 1
    task = tasks.huey.dequeue()
    tasks.huey.execute(task)
    done = JobRepository(sync_db).get(job.id)
    assert done and done.status == JobStatus.SUCCEEDED


def test_sqlite_queue_is_a_file_in_the_data_dir(tmp_path: Path) -> None:
    make_huey(tmp_path / "queue")
    assert (tmp_path / "queue" / "queue.db").is_file()


def test_reaping_is_exclusive_and_requeues_through_the_queue(sync_db: Any, media: MediaSet,
                                                             tmp_path: Path) -> None:
    _, job = add_video_job(sync_db, media.good)
    job.status, job.worker_id, job.heartbeat_at = JobStatus.RUNNING, "dead:1", utc_now() - timedelta(minutes=5)
    JobRepository(sync_db).save(job)
    tasks = _tasks(sync_db, tmp_path, immediate=False)
    other = LeaseRepository(sync_db, "w:2")
    with other.hold("reap-stale-jobs", timedelta(minutes=1)) as mine:
        assert mine
        assert tasks.reap_stale_jobs() == []  # another worker is reaping
    assert tasks.reap_stale_jobs() == [job.id]
    assert tasks.huey.pending_count() == 1
    assert other.holder("reap-stale-jobs") is None  # released after reaping


def test_a_reaper_killed_while_reaping_blocks_the_others_only_until_its_lease_expires(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    # CI once hung here: a worker SIGKILLed inside the reaper left a (never-expiring) Huey
    # lock behind, and no other worker re-queued its job again.
    _, job = add_video_job(sync_db, media.good)
    job.status, job.worker_id, job.heartbeat_at = JobStatus.RUNNING, "dead:1", utc_now() - timedelta(minutes=5)
    JobRepository(sync_db).save(job)
    tasks = _tasks(sync_db, tmp_path, immediate=False)
    killed = LeaseRepository(sync_db, "dead:1")
    assert killed.try_acquire("reap-stale-jobs", timedelta(seconds=-1))  # held, and it has run out
    assert tasks.reap_stale_jobs() == [job.id]
    assert killed.try_acquire("reap-stale-jobs", timedelta(minutes=1))  # free again, not stuck
    assert LeaseRepository(sync_db, "w:3").try_acquire("reap-stale-jobs", timedelta(minutes=1)) is None


def test_hourly_periodic_task_purges_expired_provider_answers(sync_db: Any, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from core.providers.cache import purge_expired_cache
    from core.repositories import ApiCacheRepository

    cache = ApiCacheRepository(sync_db)
    now = utc_now()
    for key, expires in (("old", now - timedelta(hours=1)), ("fresh", now + timedelta(days=1))):
        cache.put(key, provider="openai", model="gpt-4o-mini", operation="chat", data={"text": key}, usage={},
                  cost_usd=0.001, created_at=now - timedelta(days=2), expires_at=expires)
    tasks = _tasks(sync_db, tmp_path, immediate=True)
    hourly = tasks.purge_api_cache.task_class
    assert hourly.validate_datetime(hourly, datetime(2026, 11, 27, 10, 17, tzinfo=timezone.utc))
    assert not hourly.validate_datetime(hourly, datetime(2026, 11, 27, 10, 18, tzinfo=timezone.utc))
    runtime = tasks._runtime
    assert runtime is not None
    runtime.purge_cache = lambda: purge_expired_cache(cache)
    assert cache.count() == 2
    tasks.purge_api_cache()  # through the queue (immediate mode), under its lock
    assert cache.count() == 1 and cache.get("fresh", now) is not None
    assert tasks.purge_api_cache.call_local() == 0  # nothing left to purge


def test_a_queued_job_whose_task_is_gone_is_enqueued_again_by_the_reaper(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    # The job was written queued, but its task never reached the queue (or was lost with it).
    _, lost = add_video_job(sync_db, media.good)
    _, waiting = add_video_job(sync_db, media.mkv)
    add_video_job(sync_db, tmp_path / "just-queued.mp4")  # younger than the age threshold
    _queued_long_ago(sync_db, lost.id)
    _queued_long_ago(sync_db, waiting.id)
    tasks = _tasks(sync_db, tmp_path, immediate=False)
    HueyLauncher(tasks).enqueue(waiting.id)  # long queued, but its task is still in the queue
    assert tasks.reap_stale_jobs() == [lost.id]
    assert tasks.queued_job_ids() == {waiting.id, lost.id}
    assert tasks.reap_stale_jobs() == []  # it has a task now (and the queue is read at most every 5 s)
    while (task := tasks.huey.dequeue()) is not None:
        tasks.huey.execute(task)
    for job_id in (lost.id, waiting.id):
        done = JobRepository(sync_db).get(job_id)
        assert done and done.status == JobStatus.SUCCEEDED and done.attempts == 1


def test_a_job_is_started_by_one_worker_only(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    # A job enqueued twice (the reaper and a late task) reaches two workers: one runs it.
    _, job = add_video_job(sync_db, media.good)
    first, second = _tasks(sync_db, tmp_path, False, "w:1"), _tasks(sync_db, tmp_path, False, "w:2")
    starting = LeaseRepository(sync_db, "job-claim")  # a third worker, in the middle of starting it
    owner = starting.try_acquire(f"claim:{job.id}", timedelta(minutes=1))
    assert owner
    assert first.analyze_video.call_local(job.id) is None  # not taken while another is starting it
    stored = JobRepository(sync_db).get(job.id)
    assert stored and stored.status == JobStatus.QUEUED and stored.attempts == 0
    starting.release(f"claim:{job.id}", owner)
    assert first.analyze_video.call_local(job.id) == "succeeded"
    assert second.analyze_video.call_local(job.id) == "succeeded"  # found done, not run again
    done = JobRepository(sync_db).get(job.id)
    assert done and done.attempts == 1 and done.worker_id == "w:1"


def test_a_worker_killed_while_starting_a_job_delays_it_only_until_its_claim_expires(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    _, job = add_video_job(sync_db, media.good)
    killed = LeaseRepository(sync_db, "job-claim")
    assert killed.try_acquire(f"claim:{job.id}", timedelta(seconds=-1))  # taken, and run out
    assert _tasks(sync_db, tmp_path, False).analyze_video.call_local(job.id) == "succeeded"


def test_analyze_enqueues_an_open_queued_job_again_when_the_queue_lost_its_task(
        database: DatabaseAddress, media: MediaSet, tmp_path: Path) -> None:
    tasks = AnalysisTasks(make_huey(tmp_path / "queue", immediate=False))
    launcher = HueyLauncher(tasks)

    async def analyze() -> list[str]:
        client, db = connect_async(database)
        try:
            services = client_services(db, launcher, ["probe"], tmp_path / "services")
            project = await services.projects.ensure()
            imported = await services.imports.import_paths(project.id, [media.good])
            videos = imported.added or await services.library.videos(project.id)
            return [j.id for j in await services.jobs.analyze(videos)]
        finally:
            await client.close()

    [job_id] = asyncio.run(analyze())
    assert tasks.huey.pending_count() == 1
    assert asyncio.run(analyze()) == [job_id]
    assert tasks.huey.pending_count() == 1  # its task is waiting: not enqueued twice
    tasks.huey.flush()  # the queue lost it (a wiped queue, a Redis restarted without persistence)
    assert asyncio.run(analyze()) == [job_id]
    assert tasks.queued_job_ids() == {job_id}
