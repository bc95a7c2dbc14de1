"""The faces stage finds a real face where it is: a public-domain NASA portrait (tests/data/README.md).

The detector test looks at the photo itself; the stage test puts it, twice as large, into a
1280×720 video, so it also covers the downscale to ≤ 640 px and the boxes scaled back to
display pixels. The detector test runs the Haar cascade (the benchmark's baseline), the stage
dlib's HOG. Haar boxes reach from the forehead to the chin and are wider than the hand-labelled
face, so a hit is IoU ≥ 0.4 with the label and its centre inside the label.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.faces import FaceDetector
from core.models import JobStatus
from core.pipeline import FacesStage, ProbeStage, VisualStage
from core.repositories import JobRepository, SegmentRepository
from tests.core.test_runner import add_video_job, make_runner

PHOTO = Path(__file__).resolve().parents[1] / "data" / "astronaut_face.jpg"
FACE = (83, 84, 82, 96)  # x, y, w, h in the photo's pixels (hand-labelled)
SCALE, LEFT, TOP = 2, 400, 60  # where the stage test's video shows the photo
MIN_IOU = 0.4


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _on_face(box: tuple[int, int, int, int], face: tuple[int, int, int, int]) -> bool:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    inside = face[0] <= cx <= face[0] + face[2] and face[1] <= cy <= face[1] + face[3]
    return inside and _iou(box, face) >= MIN_IOU


def test_detector_finds_the_face_in_a_real_photo() -> None:
    rgb = np.asarray(Image.open(PHOTO).convert("RGB"), np.uint8)
    faces = FaceDetector().detect(rgb)
    assert len(faces) == 1, faces
    box = (faces[0].x, faces[0].y, faces[0].w, faces[0].h)
    assert _on_face(box, FACE), (box, FACE, _iou(box, FACE))


def test_faces_stage_finds_the_face_in_a_video_at_its_display_position(
        sync_db: Any, tmp_path: Path) -> None:
    clip = tmp_path / "astronaut.mp4"
    size = Image.open(PHOTO).width * SCALE
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "color=c=0x404850:size=1280x720:rate=10:duration=3", "-loop", "1", "-i", str(PHOTO),
                    "-filter_complex", f"[1:v]scale={size}:{size}[p];[0:v][p]overlay={LEFT}:{TOP}:shortest=1",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip)], check=True)
    video, job = add_video_job(sync_db, clip, ("probe", "visual", "faces"))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), FacesStage()])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    segments = SegmentRepository(sync_db).for_video(video.id, "face")
    assert done and done.stages[2].message == f"{len(segments)} faces"
    face = (LEFT + FACE[0] * SCALE, TOP + FACE[1] * SCALE, FACE[2] * SCALE, FACE[3] * SCALE)
    assert any(s.start_s < 0.2 for s in segments), [s.start_s for s in segments]  # the first sample
    for segment in segments:  # one face, at the right place in every sample
        assert len(segment.boxes) == 1
        box = (segment.boxes[0].x, segment.boxes[0].y, segment.boxes[0].w, segment.boxes[0].h)
        assert _on_face(box, face), (segment.start_s, box, face, _iou(box, face))
        assert segment.image_path and Path(segment.image_path).is_file()
    times = [s.start_s for s in segments]
    assert len(times) == len(set(times)), times  # never two faces at one time
