"""Stage: faces — dlib's HOG frontal-face detector on each shot's keyframe and a frame every 2 s.

benchmarks/bench_faces.py chose it over OpenCV's Haar cascade and dlib's MMOD CNN (held-out
photos, IoU ≥ 0.3): HOG with one upsampling F1 96.0 % and no false positive on 15 face-free
photos, Haar 92.3 % with 4, both ~100 ms per 640×360 frame on 2 busy cores; MMOD ~2 s per
frame, over the pipeline's whole time budget by itself. Its tight boxes are what the people
stage's 5-point alignment expects.

Every detection is stored, also those an operator marked "Not a face": the marks live in
their own collection (core.faces.rejections, matched by time and place), so they survive this
stage replacing the segments, and a mark taken back shows its face again without a re-run.
Readers filter (`LibraryService.faces`, the review screen).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from core.faces import FaceBox
from core.faces.detector import HogFaceDetector
from core.models.segment import Box, SegmentKind, TextSegment
from core.modelstore import ModelLoader
from core.ocr import iter_ocr_frames
from core.pipeline.stage import StageContext
from core.visual.sampled_frames import read_sampled_frames, sampled_frames_dir

NO_FACES = "No faces"
EVERY_S = 2.0
MAX_WIDTH = 640
MARGIN = 0.2  # crops reach this share of the face box beyond each side (black beyond the frame)
CROP_MAX = 160  # the people stage embeds faces from these crops (dlib's aligned chip is 150 px)


def face_crop(rgb: npt.NDArray[np.uint8], face: FaceBox) -> npt.NDArray[np.uint8]:
    """The face with MARGIN around it; black where that reaches beyond the frame, so the face
    always sits at `face_in_crop` of the crop (the people stage relies on it)."""
    height, width = rgb.shape[:2]
    mx, my = round(face.w * MARGIN), round(face.h * MARGIN)
    x0, y0, x1, y1 = face.x - mx, face.y - my, face.x + face.w + mx, face.y + face.h + my
    crop = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if sx1 > sx0 and sy1 > sy0:
        crop[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
    return crop


def face_in_crop(width: int, height: int) -> FaceBox:
    """Where the face is in a saved crop of `width` × `height` pixels (any thumbnail size)."""
    fx, fy = MARGIN / (1 + 2 * MARGIN), MARGIN / (1 + 2 * MARGIN)
    return FaceBox(round(width * fx), round(height * fy), max(1, round(width * (1 - 2 * fx))),
                   max(1, round(height * (1 - 2 * fy))))


class FacesStage:
    name = "faces"
    title = "Faces"
    version = 2  # 2: dlib HOG instead of Haar; crops keep their margin (black beyond the frame), 160 px
    # HOG detection on a ≤ 640 px frame takes ~90-160 ms on 2 busy cores (bench_faces); one sample
    # every 2 s (plus keyframes) and unchanged pictures skipped.
    weight = 6.0
    requires: tuple[str, ...] = ("probe", "visual")

    def __init__(self, data_dir: Path | None = None, every_s: float = EVERY_S, max_width: int = MAX_WIDTH) -> None:
        """`data_dir` holds `models/`; by default the folder above the media cache."""
        self.data_dir = data_dir
        self.loader = ModelLoader(lambda store: HogFaceDetector())  # built into dlib: no model file
        self.every_s = every_s
        self.max_width = max_width

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        media = ctx.require_media()
        ctx.report(0.0, "Loading the face detector")
        detector = self.loader.get(self.data_dir or ctx.data_dir)
        keyframes = [s.keyframe_s for s in ctx.shots.for_video(video.id) if s.keyframe_path]
        folder = ctx.media_dir / "videos" / video.id / "faces"
        shutil.rmtree(folder, ignore_errors=True)
        video_end = media.start_s + media.duration_s
        segments: list[TextSegment] = []
        previous: list[tuple[Box, str]] = []
        ctx.report(0.02, "Looking for faces")
        sampled = read_sampled_frames(sampled_frames_dir(ctx.media_dir, video.id))  # the visual pass's decode
        for frame in iter_ocr_frames(Path(video.path), media, keyframes, self.every_s, self.max_width, sampled):
            if frame.same or frame.rgb is None:
                found = previous  # the picture has not changed: the same faces
            else:
                found = [self._save(frame.rgb, face, frame.scale_x, frame.scale_y, folder, frame.time_s, i)
                         for i, face in enumerate(detector.detect(frame.rgb))]
                previous = found
            end = frame.time_s + self.every_s
            end = min(end, video_end) if video_end > frame.time_s else end
            segments += [TextSegment(video_id=video.id, kind=SegmentKind.FACE, stage=self.name, version=self.version,
                                     start_s=round(frame.time_s, 3), end_s=round(end, 3), text="",
                                     boxes=[box], image_path=path) for box, path in found]
            ctx.report(0.02 + 0.97 * media.fraction_at(frame.time_s), f"Found {len(segments)} faces")
        ctx.segments.replace_for_stage(video.id, self.name, segments)
        ctx.summary = f"{len(segments)} faces" if segments else NO_FACES
        ctx.report(1.0, ctx.summary)

    @staticmethod
    def _save(rgb: npt.NDArray[np.uint8], face: FaceBox, scale_x: float, scale_y: float,
              folder: Path, time_s: float, index: int) -> tuple[Box, str]:
        """The face's box in display pixels of the full-size video, and its saved JPEG crop."""
        box = Box(round(face.x * scale_x), round(face.y * scale_y),
                  max(1, round(face.w * scale_x)), max(1, round(face.h * scale_y)), 1.0)
        crop = Image.fromarray(face_crop(rgb, face))
        crop.thumbnail((CROP_MAX, CROP_MAX), Image.Resampling.LANCZOS)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{round(time_s * 1000):09d}_{index:02d}.jpg"
        crop.save(path, "JPEG", quality=85)
        return box, str(path)
