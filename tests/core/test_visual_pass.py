"""The visual pass: one decode gives shots, keyframes, sprite, black segments, features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.media.probe import probe
from core.models import Job, JobStatus, StageRecord, StageStatus
from core.pipeline import ProbeStage, VisualStage
from core.repositories import JobRepository, ShotRepository, VideoRepository
from core.visual.visual_pass import run_visual_pass
from tests.core.test_runner import add_video_job, make_runner
from tests.media import MediaSet, make_cut_video


def _pass(path: Path, tmp_path: Path) -> Any:
    seen: list[float] = []
    result = run_visual_pass(path, "v1", probe(path), tmp_path / "out", lambda f, m: seen.append(f))
    return result, seen


def test_cuts_become_shots_with_times_frames_keyframes_and_features(tmp_path: Path) -> None:
    video = make_cut_video(tmp_path / "cuts.mp4", (2.0, 1.5, 2.5))
    result, seen = _pass(video, tmp_path)
    assert [s.start_frame for s in result.shots] == [0, 50, 88]
    assert [s.start_s for s in result.shots] == pytest.approx([0.0, 2.0, 3.52], abs=0.05)
    assert result.shots[-1].end_s == pytest.approx(6.0, abs=0.05)
    assert [s.transition for s in result.shots] == ["start", "cut", "cut"]
    for shot in result.shots:
        assert shot.keyframe_path and Path(shot.keyframe_path).is_file()
        assert shot.start_s <= shot.keyframe_s < shot.end_s
        assert 0 < shot.brightness < 1 and len(shot.mean_rgb) == 3
    assert not (tmp_path / "out" / "keyframes" / ".candidates").exists()
    assert seen == sorted(seen) and len(seen) > 5  # progress by frame position


def test_sprite_sheet_has_a_tile_per_second(tmp_path: Path) -> None:
    video = make_cut_video(tmp_path / "cuts.mp4", (2.0, 1.5, 2.5))
    result, _ = _pass(video, tmp_path)
    timeline = result.timeline
    last_frame_s = (result.frames - 1) / 25
    assert timeline and timeline.interval_s == 1.0 and timeline.count == int(last_frame_s) + 1
    with Image.open(timeline.sprite_path) as sprite:
        assert sprite.size == (timeline.columns * timeline.tile_width, timeline.rows * timeline.tile_height)
    assert timeline.tile_at(3.6) == 3


def test_black_segments_are_found(media: MediaSet, tmp_path: Path) -> None:
    result, _ = _pass(media.black_start, tmp_path)
    assert len(result.black_segments) == 1
    assert result.black_segments[0].start_s == 0.0
    assert result.black_segments[0].end_s == pytest.approx(3.0, abs=0.05)


def test_rotated_video_keyframes_and_sprite_are_upright(media: MediaSet, tmp_path: Path) -> None:
    result, _ = _pass(media.rotated, tmp_path)
    with Image.open(result.shots[0].keyframe_path) as key:
        assert key.height > key.width
        assert key.getpixel((key.width // 2, 5))[2] > 200  # blue on top, as ffmpeg shows it
    assert result.timeline and result.timeline.tile_height > result.timeline.tile_width


def test_late_starting_stream_keeps_its_pts_times(tmp_path: Path) -> None:
    video = make_cut_video(tmp_path / "late.mp4", (1.0, 1.0), extra=("-output_ts_offset", "1.5"))
    result, _ = _pass(video, tmp_path)
    assert result.shots[0].start_s == pytest.approx(1.5, abs=0.05)
    assert result.shots[1].start_s == pytest.approx(2.5, abs=0.05)


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [
        (".mkv", ("-c:v", "libx264", "-pix_fmt", "yuv420p")),
        (".mov", ("-c:v", "libx264", "-pix_fmt", "yuv420p")),
        (".avi", ("-c:v", "mpeg4", "-q:v", "4")),
        (".webm", ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")),
    ],
)
def test_other_containers(tmp_path: Path, suffix: str, codec: tuple[str, ...]) -> None:
    video = make_cut_video(tmp_path / f"clip{suffix}", (1.5, 1.5), codec=codec)
    result, _ = _pass(video, tmp_path)
    assert [s.start_frame for s in result.shots] == [0, 37] or [s.start_frame for s in result.shots] == [0, 38]


def test_visual_stage_stores_shots_and_is_skipped_when_up_to_date(sync_db: Any, tmp_path: Path) -> None:
    path = make_cut_video(tmp_path / "cuts.mp4", (2.0, 1.5, 2.5))
    video, job = add_video_job(sync_db, path, stages=("probe", "visual"))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage()])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    shots = ShotRepository(sync_db).for_video(video.id)
    assert len(shots) == 3 and shots[1].start_frame == 50
    stored = VideoRepository(sync_db).get(video.id)
    assert stored and stored.timeline and stored.stage_version("visual") == VisualStage.version
    done = JobRepository(sync_db).get(job.id)
    assert done and [s.status for s in done.stages] == [StageStatus.SUCCEEDED, StageStatus.SUCCEEDED]

    rerun = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord("probe"), StageRecord("visual")])
    sync_db["jobs"].insert_one(rerun.to_doc())
    assert runner.run(rerun.id) == JobStatus.SUCCEEDED
    skipped = JobRepository(sync_db).get(rerun.id)
    assert skipped and [s.status for s in skipped.stages] == [StageStatus.SKIPPED, StageStatus.SKIPPED]
    assert len(ShotRepository(sync_db).for_video(video.id)) == 3  # re-run replaces, never duplicates
