"""A full disk fails the running job with "disk full" and loses nothing already stored.

Runs the real JobRunner (as a worker does) against the test FerretDB, on a real video; the
disk is made full for one file with Linux's /dev/full, which answers every write with ENOSPC.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.models import JobStatus, StageStatus, VideoStatus
from core.pipeline import JobRunner, ProbeStage, VisualStage
from core.pipeline.runner import RunnerConfig
from core.pipeline.stage import StageContext
from core.repositories import JobRepository, SegmentRepository, ShotRepository, VideoRepository
from tests.core.test_runner import add_video_job
from tests.media import MediaSet

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")


def _runner(db: Any, media_dir: Path, stages: list[Any]) -> JobRunner:
    return JobRunner(JobRepository(db), VideoRepository(db), ShotRepository(db), SegmentRepository(db), stages,
                     RunnerConfig(worker_id="test:1", media_dir=media_dir, heartbeat_s=0.2))


def test_a_full_disk_fails_the_visual_stage_and_keeps_the_probe(sync_db: Any, media: MediaSet,
                                                                tmp_path: Path) -> None:
    media_dir = tmp_path / "media"
    video, job = add_video_job(sync_db, media.good, stages=("probe", "visual"))
    out_dir = media_dir / "videos" / video.id
    out_dir.mkdir(parents=True)
    (out_dir / "timeline.tmp").symlink_to("/dev/full")  # the sprite sheet is written here first

    assert _runner(sync_db, media_dir, [ProbeStage(), VisualStage()]).run(job.id) == JobStatus.FAILED

    failed = JobRepository(sync_db).get(job.id)
    assert failed and failed.error
    assert failed.error.type == "DiskFull"
    assert failed.error.message == f"disk full: {media_dir}: free some space, then Retry"
    assert failed.message == f"1 of 2 stages done; disk full: {media_dir}: free some space, then Retry"
    probe, visual = failed.stages
    assert (probe.name, probe.status) == ("probe", StageStatus.SUCCEEDED)
    assert (visual.name, visual.status) == ("visual", StageStatus.FAILED)
    assert visual.error and visual.error.message.startswith("disk full: ")
    stored = VideoRepository(sync_db).get(video.id)
    assert stored and stored.status == VideoStatus.FAILED and stored.error == failed.error.message
    assert stored.media and stored.media.duration_s == pytest.approx(4.0, abs=0.1)  # the probe's output
    assert stored.poster_path and Path(stored.poster_path).stat().st_size > 0
    assert stored.stage_version("probe") == ProbeStage.version


def test_a_full_database_is_said_as_such(sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    """SQLite's "database or disk is full", as FerretDB passes it on, names the database."""
    from pymongo.errors import OperationFailure

    class Writing:
        name, title, version, weight = "probe", "Probe + poster", 1, 1.0

        def run(self, ctx: StageContext) -> None:
            raise OperationFailure("[sqlite.go:12] database or disk is full (13)", code=1)

    _, job = add_video_job(sync_db, media.good)
    assert _runner(sync_db, tmp_path / "media", [Writing()]).run(job.id) == JobStatus.FAILED
    failed = JobRepository(sync_db).get(job.id)
    assert failed and failed.error
    assert failed.error.message == "disk full: the database: free some space, then Retry"
    assert failed.stages[0].name == "probe" and failed.stages[0].status == StageStatus.FAILED
