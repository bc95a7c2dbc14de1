"""Faces stage: a detector on sampled frames, boxes in display pixels, crops, per-shot counts.

Here a stand-in detector checks what the stage stores, and the real detector (dlib's HOG) runs
on a video without faces; the Haar cascade, kept as the benchmark's baseline, is checked too; tests/core/test_faces_real.py finds a real face (tests/data/astronaut_face.jpg).
"Not a face" marks are checked as pure functions and through a real re-analysis.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.errors import ModelError
from core.faces import (
    FaceBox,
    FaceDetector,
    face_appearances,
    faces_per_shot,
    reject,
    rejection_of,
    without_rejected,
)
from core.models import JobStatus, StageStatus
from core.models.segment import Box, TextSegment
from core.models.shot import Shot
from core.pipeline import FacesStage, ProbeStage, VisualStage, default_stages
from core.pipeline.stage import StageContext
from core.repositories import (
    DatabaseAddress,
    JobRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
    connect_async,
)
from app.wiring import client_services
from tests.core.test_runner import add_video_job, make_runner
from tests.core.test_services import RecordingLauncher

STAGES = ("probe", "visual", "faces")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("faces")
    blank = folder / "blank.mp4"
    _ffmpeg("-f", "lavfi", "-i", "smptebars=size=320x240:rate=10:duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(blank))
    big = folder / "big.mp4"  # 1280×720: sampled at 640×360, so boxes scale by 2
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=10:duration=5",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(big))
    return {"blank": blank, "big": big}


def _run(db: Any, tmp_path: Path, clip: Path, stage: FacesStage) -> tuple[Any, Any]:
    video, job = add_video_job(db, clip, STAGES)
    assert make_runner(db, tmp_path, [ProbeStage(), VisualStage(), stage]).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(db).get(job.id)
    assert done and [s.status for s in done.stages] == [StageStatus.SUCCEEDED] * 3
    return video, done


class FakeDetector:
    """One 'face' at a fixed place of every sampled image."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def detect(self, rgb: Any) -> list[FaceBox]:
        self.sizes.append((rgb.shape[1], rgb.shape[0]))
        return [FaceBox(100, 50, 80, 80)]


def test_video_without_faces_succeeds_with_no_faces(sync_db: Any, tmp_path: Path, clips: dict[str, Path]) -> None:
    video, done = _run(sync_db, tmp_path, clips["blank"], FacesStage())
    assert done.stages[2].message == "No faces"
    assert SegmentRepository(sync_db).for_video(video.id, "face") == []


def test_detections_become_face_segments_with_boxes_and_crops(
        sync_db: Any, tmp_path: Path, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import core.ocr.frames

    def no_second_decode(*args: Any) -> Any:
        raise AssertionError("the faces stage decoded the video again instead of reading the visual pass's frames")

    stage = FacesStage()
    fake = FakeDetector()
    monkeypatch.setattr(stage.loader, "get", lambda data_dir: fake)
    monkeypatch.setattr(core.ocr.frames, "_decoded", no_second_decode)
    video, done = _run(sync_db, tmp_path, clips["big"], stage)
    assert fake.sizes and set(fake.sizes) == {(640, 360)}
    segments = sorted(SegmentRepository(sync_db).for_video(video.id, "face"), key=lambda s: s.start_s)
    assert done.stages[2].message == f"{len(segments)} faces"
    assert len(segments) >= 3  # samples at 0, 2, 4 s (plus the keyframes)
    starts = [s.start_s for s in segments]
    for t in (0.0, 2.0, 4.0):
        assert any(abs(s - t) < 0.15 for s in starts), starts
    for segment in segments:
        assert segment.kind == "face" and segment.stage == "faces" and segment.version == FacesStage.version
        assert segment.text == "" and segment.boxes == [Box(200, 100, 160, 160, 1.0)]
        assert segment.start_s < segment.end_s <= 5.0 + 1e-6 and segment.end_s - segment.start_s <= 2.0 + 1e-6
        assert segment.image_path and Path(segment.image_path).is_file()
        assert Path(segment.image_path).parent == tmp_path / "media" / "videos" / video.id / "faces"
        with Image.open(segment.image_path) as crop:
            assert crop.format == "JPEG" and max(crop.size) <= 128 and crop.size[0] > 80


def test_detector_finds_no_face_in_plain_pictures() -> None:
    detector = FaceDetector()
    assert detector.detect(np.zeros((360, 640, 3), np.uint8)) == []
    gradient = np.tile(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None], (360, 1, 3))
    assert detector.detect(gradient) == []


def test_missing_cascade_is_one_clear_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        FaceDetector(tmp_path / "missing.xml")
    assert "Haar" in str(caught.value) and "reinstall" in str(caught.value)


def test_faces_per_shot_counts_the_keyframe_faces() -> None:
    def shot(index: int, start: float, end: float, key: float) -> Shot:
        return Shot("v", index, start, end, 0, 0, "cut", keyframe_path="k.jpg", keyframe_s=key)

    def face(start: float) -> TextSegment:
        return TextSegment(video_id="v", kind="face", start_s=start, end_s=start + 2, stage="faces")

    shots = [shot(0, 0.0, 3.0, 1.5), shot(1, 3.0, 6.0, 4.5), shot(2, 6.0, 8.0, 7.0)]
    segments = [face(0.0), face(1.5), face(1.5), face(2.0), face(4.5), face(4.6),
                TextSegment(video_id="v", kind="ocr", start_s=7.0, end_s=8.0)]
    assert faces_per_shot(shots, segments) == {0: 2, 1: 1, 2: 0}


def test_faces_then_people_run_last_by_default() -> None:
    names = [s.name for s in default_stages()]
    assert names == ["probe", "visual", "speech", "speakers", "translate", "ocr", "captions", "embed", "summary",
                     "faces", "people"]


def test_consecutive_detections_at_one_place_are_one_appearance() -> None:
    def face(start: float, x: int, size: int = 80, path: str = "") -> TextSegment:
        return TextSegment(video_id="v", kind="face", start_s=start, end_s=start + 2, stage="faces",
                           boxes=[Box(x, 50, size, size)], image_path=path or f"{start}-{x}.jpg")

    segments = [face(0.0, 100), face(0.0, 400),  # two people
                face(2.0, 104, 96, "big.jpg"), face(2.0, 396),  # both still there, one closer
                face(4.0, 110),  # the second one left
                face(8.0, 100),  # back after a gap: a new appearance
                TextSegment(video_id="v", kind="ocr", start_s=0.0, end_s=1.0)]
    found = [(a.start_s, a.end_s, a.detections, a.image_path) for a in face_appearances(segments)]
    assert found == [(0.0, 6.0, 3, "big.jpg"), (0.0, 4.0, 2, "0.0-400.jpg"), (8.0, 10.0, 1, "8.0-100.jpg")]


def _detections(video_id: str, x: int, starts: tuple[float, ...] = (0.0, 2.0, 4.0)) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="face", start_s=t, end_s=t + 2, stage="faces",
                        boxes=[Box(x, 50, 80, 80)], image_path=f"{t}-{x}.jpg") for t in starts]


def test_a_not_a_face_mark_hides_that_face_wherever_it_is_found_again() -> None:
    foliage, person = _detections("v", 100), _detections("v", 400)
    [mark] = [reject("v", a) for a in face_appearances(foliage)]
    assert (mark.start_s, mark.end_s, mark.box) == (0.0, 6.0, Box(100, 50, 80, 80))
    # found again with new segment ids, a box a few pixels off, and one sample more: still hidden
    again = _detections("v", 106, (0.0, 2.0, 4.0, 6.0)) + person
    assert without_rejected(again, [mark]) == person
    [hidden, shown] = face_appearances(again)
    assert rejection_of(hidden, [mark]) is mark and rejection_of(shown, [mark]) is None
    # not another video's face, not the same place at another time, not a face that moved away
    elsewhere, later, moved = _detections("w", 100), _detections("v", 100, (10.0,)), _detections("v", 150)
    for kept in (elsewhere, later, moved):  # moved: IoU 0.23 with the marked box
        assert without_rejected(kept, [mark]) == kept


def test_not_a_face_mark_outlives_a_re_analysis_and_goes_with_the_video(
        database: DatabaseAddress, sync_db: Any, tmp_path: Path, clips: dict[str, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    stage = FacesStage()
    monkeypatch.setattr(stage.loader, "get", lambda data_dir: FakeDetector())
    video, _ = _run(sync_db, tmp_path, clips["big"], stage)
    first = SegmentRepository(sync_db).for_video(video.id, "face")

    def analyse_faces_again() -> None:
        stored = VideoRepository(sync_db).get(video.id)
        assert stored is not None
        stage.run(StageContext(video=stored, videos=VideoRepository(sync_db), shots=ShotRepository(sync_db),
                               segments=SegmentRepository(sync_db), media_dir=tmp_path / "media",
                               report=lambda fraction, message="": None))

    async def scenario() -> None:
        client, db = connect_async(database)
        try:
            library = client_services(db, RecordingLauncher(), list(STAGES), tmp_path / "data").library
            [appearance] = face_appearances(await library.faces(video.id))  # the fake: one place all along
            await library.reject_face(reject(video.id, appearance))
            assert await library.faces(video.id) == []

            await asyncio.to_thread(analyse_faces_again)  # replaces the face segments, new ids
            again = await library.segments(video.id, "face")
            assert len(again) == len(first) and not {s.id for s in again} & {s.id for s in first}
            assert await library.faces(video.id) == []  # the mark still hides the face
            [mark] = await library.face_rejections(video.id)

            await library.restore_face(mark)  # taken back: the face shows again
            assert await library.face_rejections(video.id) == []
            assert len(await library.faces(video.id)) == len(again)

            await library.reject_face(reject(video.id, appearance))
            await library.remove(video.id)  # removing the video removes its marks
            assert await library.face_rejections(video.id) == []
        finally:
            await client.close()

    asyncio.run(scenario())
    assert sync_db["face_rejections"].count_documents({}) == 0
