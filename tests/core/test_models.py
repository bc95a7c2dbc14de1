from __future__ import annotations

from core.formatting import format_duration, format_eta, job_progress_text
from core.models import Job, JobError, JobStatus, MediaInfo, StageRecord, StageStatus, Video


def _job(**kw: object) -> Job:
    job = Job(kind="analyze", video_id="v1", project_id="p1",
              stages=[StageRecord("probe"), StageRecord("shots")])
    for key, value in kw.items():
        setattr(job, key, value)
    return job


def test_job_document_round_trip_keeps_every_field() -> None:
    job = _job(status=JobStatus.FAILED, progress=0.5, eta_s=12.0, attempts=2,
               error=JobError("MediaError", "x.mp4: file not found", "detail"))
    job.stages[0].status = StageStatus.SUCCEEDED
    doc = job.to_doc()
    assert set(doc) >= {"_id", "kind", "video_id", "project_id", "status", "stages", "progress",
                        "message", "eta_s", "attempts", "worker_id", "heartbeat_at",
                        "cancel_requested", "error", "cost_usd", "created_at", "updated_at"}
    assert doc["error"] == {"type": "MediaError", "message": "x.mp4: file not found", "detail": "detail"}
    assert set(doc["stages"][0]) == {"name", "status", "progress", "message", "started_at",
                                     "finished_at", "error"}
    again = Job.from_doc(doc)
    assert again == job


def test_current_stage_is_the_first_unfinished_one() -> None:
    job = _job()
    job.stages[0].status = StageStatus.SKIPPED
    assert job.current_stage is job.stages[1]
    job.stages[1].status = StageStatus.FAILED
    assert job.current_stage is job.stages[1]


def test_progress_text_shows_stage_percent_and_eta() -> None:
    job = _job(status=JobStatus.RUNNING, progress=0.425, eta_s=75.0)
    assert job_progress_text(job) == "probe · 42% · ETA 1:15"
    job.error = JobError("MediaError", "a.mp4: the file is empty (0 bytes)")
    job.status = JobStatus.FAILED
    assert job_progress_text(job) == "Failed in probe: a.mp4: the file is empty (0 bytes)"


def test_durations_read_like_a_player() -> None:
    assert format_duration(4.0) == "0:04"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "—"
    assert format_eta(None) == "ETA —"
    assert format_eta(42) == "ETA 42 s"


def test_video_stage_version_only_counts_successes() -> None:
    video = Video(project_id="p", path="/x/a.mp4", fingerprint="f", size_bytes=1)
    assert video.stage_version("probe") is None
    video.stages["probe"] = {"status": "failed", "version": 1}
    assert video.stage_version("probe") is None
    video.stages["probe"] = {"status": "succeeded", "version": 1}
    assert video.stage_version("probe") == 1
    media = MediaInfo("mp4", 1.0, 0.0, 25.0, 320, 240, 90, 240, 320, "h264", False, None, None,
                      None, None, 25, 10)
    assert MediaInfo.from_doc(media.to_doc()) == media
    assert media.resolution == "240×320"
