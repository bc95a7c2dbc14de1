"""The Huey task wrappers: enqueue a job id, a consumer runs it through core's runner."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from core.models import JobStatus
from core.pipeline import JobRunner, ProbeStage
from core.pipeline.runner import RunnerConfig
from core.repositories import (
    JobRepository,
    LeaseRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
)
from core.services import StaleJobReaper
from core.timeutil import utc_now
from tasks import AnalysisTasks, HueyLauncher, WorkerRuntime, make_huey
from tests.core.test_runner import add_video_job
from tests.media import MediaSet


def _tasks(db: Any, tmp_path: Path, immediate: bool) -> AnalysisTasks:
    tasks = AnalysisTasks(make_huey(tmp_path / "queue", immediate=immediate))
    jobs, videos = JobRepository(db), VideoRepository(db)
    runner = JobRunner(jobs, videos, ShotRepository(db), SegmentRepository(db), [ProbeStage()],
                       RunnerConfig("w:1", tmp_path / "media"))
    tasks.bind(WorkerRuntime(runner, StaleJobReaper(jobs, videos, tasks.analyze_video, timedelta(seconds=5)),
                             LeaseRepository(db, "w:1"), lease_ttl=timedelta(seconds=10)))
    return tasks


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
