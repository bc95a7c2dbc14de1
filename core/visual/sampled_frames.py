"""Frames the visual pass hands on, so one decode serves on-screen text and faces as well.

At every keyframe candidate (a frame a second, and just after each abrupt change: see
core.visual.keyframes) the pass also keeps the frame upright and at most `WIDTH` pixels wide as
a JPEG in the video's `frames/` folder, and writes `index.json` once the decode has ended. The
OCR and faces stages read these (core.ocr.frames) instead of decoding the video again; where
there is no complete index (the visual pass ran in an earlier job, or was cut off) they decode
the video themselves. The job runner deletes the folder when the job ends: it is scratch space,
about 25 MB for 5 minutes of 720p, about 600 MB for 2 hours while their job runs.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from core.models import MediaInfo

WIDTH = 960  # what OCR reads (core.ocr.frames.MAX_WIDTH); faces shrink it further
QUALITY = 92  # JPEG: text edges stay clean (bench_ocr reads through this round trip)
INDEX = "index.json"
FOLDER = "frames"  # in the video's media folder (media/videos/<id>/), beside keyframes/


def sampled_frames_dir(media_dir: Path, video_id: str) -> Path:
    return media_dir / "videos" / video_id / FOLDER


def upright_size(media: MediaInfo, max_width: int) -> tuple[int, int]:
    """Upright (width, height) of a frame shrunk to at most `max_width` wide (never enlarged)."""
    width, height = max(1, media.display_width), max(1, media.display_height)
    scale = min(1.0, max_width / width)
    return max(2, round(width * scale)), max(2, round(height * scale))


@dataclass(frozen=True)
class SampledFrame:
    time_s: float
    path: Path

    def rgb(self) -> Image.Image:
        with Image.open(self.path) as image:
            return image.convert("RGB")


class SampledFrameWriter:
    """Used by the visual pass: `add` a decoded frame, `finish` when the decode has ended."""

    def __init__(self, folder: Path, media: MediaInfo, width: int = WIDTH) -> None:
        self.folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        self._rotation = media.rotation % 360
        up_w, up_h = upright_size(media, width)
        self._coded = (up_h, up_w) if self._rotation in (90, 270) else (up_w, up_h)
        self._size = (up_w, up_h)
        self._times: list[float] = []

    def add(self, time_s: float, frame: av.VideoFrame) -> None:
        coded_w, coded_h = self._coded
        image = Image.fromarray(np.asarray(frame.reformat(width=coded_w, height=coded_h, format="rgb24",
                                                          interpolation="AREA").to_ndarray(), np.uint8))
        if self._rotation:
            image = image.rotate(-self._rotation, expand=True)
        image.save(self.folder / _name(time_s), format="JPEG", quality=QUALITY)
        self._times.append(round(time_s, 6))

    def finish(self) -> None:
        """Write the index: from now on readers take these frames."""
        index = {"width": self._size[0], "height": self._size[1], "times": self._times}
        part = self.folder / (INDEX + ".part")
        part.write_text(json.dumps(index), encoding="utf-8")
        part.replace(self.folder / INDEX)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def read_sampled_frames(folder: Path) -> list[SampledFrame] | None:
    """The frames a finished visual pass kept, in time order; None when there is no complete set."""
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        frames = [SampledFrame(float(t), folder / _name(float(t))) for t in index["times"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return frames if all(f.path.is_file() for f in frames) else None


def _name(time_s: float) -> str:
    return f"{round(time_s * 1_000_000):013d}.jpg"
