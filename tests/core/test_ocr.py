"""OCR stage: burned-in text (ffmpeg drawtext) read back with its time ranges and boxes."""

from __future__ import annotations

import subprocess
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.models import Job, JobStatus, StageRecord, StageStatus
from core.ocr import TextLine, TrackBuilder, normalize_text
from core.ocr.engine import DET
from core.ocr.frames import OcrFrame
from core.ocr.sparse import SparseReader
from core.pipeline import OcrStage, ProbeStage, VisualStage
from core.repositories import JobRepository, SegmentRepository
from core.visual.sampled_frames import sampled_frames_dir
from tests.core.test_runner import add_video_job, make_runner

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
STAGES = ("probe", "visual", "ocr")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def _draw(text: str, start: float, end: float, size: int = 36, y: str = "h/3") -> str:
    return (f"drawtext=fontfile={FONT}:text='{text}':fontsize={size}:fontcolor=white:"
            f"x=(w-text_w)/2:y={y}:enable='between(t,{start},{end})'")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not Path(FONT).exists():
        pytest.fail(f"{FONT} is required for the OCR tests: run `bash scripts/setup.sh` (fonts-dejavu-core)")
    folder = tmp_path_factory.mktemp("ocr")
    news = folder / "news.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=navy:size=480x270:rate=10:duration=8",
            "-vf", _draw("BREAKING NEWS", 1.0, 4.0) + "," + _draw("Harbour closed", 5.0, 7.0, 30, "2*h/3"),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(news))
    plain = folder / "rotated_src.mp4"
    # Coded sideways (text runs top to bottom); the 90° display matrix turns it upright.
    _ffmpeg("-f", "lavfi", "-i", "color=darkgreen:size=320x180:rate=10:duration=3",
            "-vf", _draw("Phone Video", 0.0, 3.0, 32, "(h-text_h)/2") + ",transpose=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(plain))
    rotated = folder / "rotated.mp4"
    _ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    blank = folder / "blank.mp4"
    _ffmpeg("-f", "lavfi", "-i", "smptebars=size=320x240:rate=10:duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(blank))
    return {"news": news, "rotated": rotated, "blank": blank}


@pytest.fixture(scope="module")
def ocr_stage() -> OcrStage:
    """One stage (so one loaded engine) for the whole module, like one worker process."""
    return OcrStage()


def _run(db: Any, tmp_path: Path, clip: Path, stage: OcrStage) -> tuple[Any, Any]:
    video, job = add_video_job(db, clip, STAGES)
    assert make_runner(db, tmp_path, [ProbeStage(), VisualStage(), stage]).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(db).get(job.id)
    assert done and [s.status for s in done.stages] == [StageStatus.SUCCEEDED] * 3
    return video, done


def test_burned_in_text_becomes_segments_with_time_ranges(
        sync_db: Any, tmp_path: Path, clips: dict[str, Path], ocr_stage: OcrStage) -> None:
    video, done = _run(sync_db, tmp_path, clips["news"], ocr_stage)
    segments = SegmentRepository(sync_db).for_video(video.id, "ocr")
    assert done.stages[2].message == f"{len(segments)} text segments"
    assert all(s.kind == "ocr" and s.stage == "ocr" and s.version == OcrStage.version for s in segments)
    by_text = {normalize_text(s.text).upper(): s for s in segments}
    assert set(by_text) == {"BREAKING NEWS", "HARBOUR CLOSED"}, [s.text for s in segments]
    news, harbour = by_text["BREAKING NEWS"], by_text["HARBOUR CLOSED"]
    assert news.text == "BREAKING NEWS" and harbour.text == "Harbour closed"
    assert news.start_s == pytest.approx(1.0, abs=1.0) and news.end_s == pytest.approx(4.0, abs=1.0)
    assert harbour.start_s == pytest.approx(5.0, abs=1.0) and harbour.end_s == pytest.approx(7.0, abs=1.0)
    for segment in (news, harbour):
        assert 0.5 < segment.confidence <= 1 and len(segment.boxes) == 1
        box = segment.boxes[0]  # display pixels of the 480×270 video, centred horizontally
        assert 0 <= box.x and box.x + box.w <= 480 and 0 <= box.y and box.y + box.h <= 270
        assert abs((box.x + box.w / 2) - 240) < 20 and 20 <= box.h <= 60
    assert news.boxes[0].y < 135 < harbour.boxes[0].y


def test_ocr_reads_the_visual_passs_frames_and_the_job_then_deletes_them(
        sync_db: Any, tmp_path: Path, clips: dict[str, Path], ocr_stage: OcrStage,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One decode per video: with the visual pass in the same job, OCR never opens the video.
    import core.ocr.frames

    def no_second_decode(*args: Any) -> Any:
        raise AssertionError("OCR decoded the video a second time")

    with monkeypatch.context() as patch:
        patch.setattr(core.ocr.frames, "_decoded", no_second_decode)
        video, _ = _run(sync_db, tmp_path, clips["news"], ocr_stage)
    texts = {normalize_text(s.text).upper() for s in SegmentRepository(sync_db).for_video(video.id, "ocr")}
    assert texts == {"BREAKING NEWS", "HARBOUR CLOSED"}
    assert not sampled_frames_dir(tmp_path / "media", video.id).exists()  # scratch space, gone with the job
    # Without them (the visual pass ran in an earlier job) OCR decodes the video itself.
    again = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord("ocr")], force=True)
    sync_db["jobs"].insert_one(again.to_doc())
    assert make_runner(sync_db, tmp_path, [ocr_stage]).run(again.id) == JobStatus.SUCCEEDED
    assert {normalize_text(s.text).upper() for s in SegmentRepository(sync_db).for_video(video.id, "ocr")} == texts


def test_rotated_video_is_read_upright(
        sync_db: Any, tmp_path: Path, clips: dict[str, Path], ocr_stage: OcrStage) -> None:
    video, _ = _run(sync_db, tmp_path, clips["rotated"], ocr_stage)
    segments = SegmentRepository(sync_db).for_video(video.id, "ocr")
    assert [normalize_text(s.text) for s in segments] == ["Phone Video"]
    box = segments[0].boxes[0]  # coded 180×320, upright 320×180: the text lies across, centred
    assert box.w > 3 * box.h and box.x + box.w <= 320 and box.y + box.h <= 180
    assert abs((box.x + box.w / 2) - 160) < 20 and abs((box.y + box.h / 2) - 90) < 20
    assert segments[0].start_s == pytest.approx(0.0, abs=0.5) and segments[0].end_s >= 2.5


def test_video_without_text_succeeds_with_no_on_screen_text(
        sync_db: Any, tmp_path: Path, clips: dict[str, Path], ocr_stage: OcrStage) -> None:
    video, done = _run(sync_db, tmp_path, clips["blank"], ocr_stage)
    assert done.stages[2].message == "No on-screen text"
    assert SegmentRepository(sync_db).for_video(video.id, "ocr") == []


def test_corrupt_ocr_model_is_one_clear_stage_error(sync_db: Any, tmp_path: Path, clips: dict[str, Path]) -> None:
    data_dir = tmp_path / "data"
    corrupt = data_dir / "models" / "pp-ocr" / DET
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"not an onnx model")  # a user copy wins over the package's, and is checked
    stage = OcrStage(data_dir)
    video, job = add_video_job(sync_db, clips["blank"], STAGES)
    assert make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), stage]).run(job.id) == JobStatus.FAILED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[2].status == StageStatus.FAILED and done.error
    assert [s.status for s in done.stages[:2]] == [StageStatus.SUCCEEDED, StageStatus.SUCCEEDED]
    assert "'pp-ocr'" in done.error.message and f"checksum mismatch in {corrupt}" in done.error.message
    assert f"delete {corrupt.parent}" in done.error.message


def test_tracks_merge_consecutive_samples_and_tolerate_a_misread() -> None:
    builder = TrackBuilder()
    line = TextLine("BREAKING  NEWS ", 0.9, 10, 20, 100, 30)
    builder.add(1.0, [line], 2.0, 2.0)
    builder.same(2.0)
    builder.add(3.0, [TextLine("BREAKING NEVS", 0.7, 10, 20, 100, 30), TextLine("Weather", 0.8, 0, 90, 50, 20)])
    builder.add(4.0, [])
    builder.add(5.0, [line, TextLine("x", 0.9, 0, 0, 5, 5)])
    first, weather, second = builder.finish()
    assert (weather.start_s, weather.last_s, weather.text) == (3.0, 3.0, "Weather")
    assert (first.start_s, first.last_s, first.text) == (1.0, 3.0, "BREAKING NEWS")
    assert first.boxes == [(20.0, 40.0, 200.0, 60.0, 0.9)] and first.confidence == pytest.approx(0.8)
    assert (second.start_s, second.last_s) == (5.0, 5.0)


def test_a_changed_number_or_a_cut_starts_new_text() -> None:
    builder = TrackBuilder(cuts=[2.0, 6.0])
    builder.add(0.0, [TextLine("Scene 1 of 4", 0.9, 10, 20, 100, 30)])
    builder.add(1.0, [TextLine("Scene 1 of 4", 0.9, 10, 20, 100, 30)])
    builder.add(2.0, [TextLine("Scene 2 of 4", 0.9, 10, 20, 100, 30)])  # cut at 2 s, new number
    builder.add(3.0, [TextLine("BREAKING NEWS", 0.9, 10, 90, 100, 30)])
    builder.add(4.0, [TextLine("BREAKING NEVS", 0.6, 10, 90, 100, 30)])  # misread within the shot
    builder.add(6.0, [TextLine("BREAKING NEWZ", 0.6, 10, 90, 100, 30)])  # a near miss after a cut
    builder.add(7.0, [TextLine("BREAKING NEWZ", 0.6, 10, 90, 100, 30)])
    tracks = [(t.text, t.start_s, t.last_s) for t in builder.finish()]
    assert tracks == [("Scene 1 of 4", 0.0, 1.0), ("Scene 2 of 4", 2.0, 2.0),
                      ("BREAKING NEWS", 3.0, 4.0), ("BREAKING NEWZ", 6.0, 7.0)]


def test_the_same_caption_over_a_cut_stays_one_segment() -> None:
    builder = TrackBuilder(cuts=[2.0])
    for t in (0.0, 1.0, 2.0, 3.0):
        builder.add(t, [TextLine("LIVE", 0.9, 0, 0, 40, 20)])
    assert [(t.text, t.start_s, t.last_s) for t in builder.finish()] == [("LIVE", 0.0, 3.0)]


def _frames(shown: list[set[str]], keyframes: Collection[int] = (), still: Collection[int] = ()) -> list[OcrFrame]:
    """One sample a second; `shown[i]`: the texts on screen at second i (encoded in the pixel)."""
    return [OcrFrame(float(i), None if i in still else np.full((1, 1, 3), i, np.uint8), 1.0, 1.0,
                     same=i in still, keyframe=i in keyframes) for i in range(len(shown))]


def _tracks(shown: list[set[str]], skip: int, **marks: Collection[int]) -> tuple[list[tuple[str, float, float]], int]:
    builder = TrackBuilder()

    def read(rgb: Any) -> list[TextLine]:
        return [TextLine(text, 0.9, 0, 20 * n, 100, 20) for n, text in enumerate(sorted(shown[int(rgb[0, 0, 0])]))]

    reader = SparseReader(builder, read, skip)
    for frame in _frames(shown, **marks):
        reader.feed(frame)
    reader.finish()
    return [(t.text, t.start_s, t.last_s) for t in builder.finish()], reader.reads


def test_sparse_reading_reads_every_other_sample_while_the_text_stays() -> None:
    caption = [{"LIVE FROM THE HARBOUR"}] * 10
    assert _tracks(caption, skip=1) == ([("LIVE FROM THE HARBOUR", 0.0, 9.0)], 6)  # 0 2 4 6 8, then the last
    assert _tracks(caption, skip=0) == ([("LIVE FROM THE HARBOUR", 0.0, 9.0)], 10)
    # A shot's keyframe is always read; a still sample never is.
    assert _tracks(caption, skip=1, keyframes={3}, still={6})[1] == 6  # 0 2 3 5 8 9


def test_sparse_reading_finds_every_text_of_two_samples_or_more_with_exact_times() -> None:
    import random

    rng = random.Random(5)
    for _ in range(200):
        shown: list[set[str]] = [set() for _ in range(rng.randint(3, 40))]
        for n in range(rng.randint(0, 6)):
            start = rng.randrange(len(shown))
            for i in range(start, min(len(shown), start + rng.randint(2, 8))):
                shown[i].add(f"Caption {n}")
        dense, every = _tracks(shown, skip=0)
        sparse, fewer = _tracks(shown, skip=1)
        assert sparse == dense, shown
        assert fewer <= every
    # A text on screen for a single sample between two read ones is missed: the documented limit.
    assert _tracks([set(), {"FLASH"}, set()], skip=1) == ([], 2)
