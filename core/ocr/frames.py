"""The frames OCR and faces read: a sample every `every_s` plus each shot's keyframe time.

From the visual pass's sampled frames (core.visual.sampled_frames: a frame a second and just
after every abrupt change, kept at ≤ 960 px) when the job's visual pass left them; otherwise
from a decode of their own (PyAV): every frame is decoded (inter-coded streams need it) but only
the sampled ones are converted, downscaled straight from the decoder to ≤ `max_width` upright
pixels. Either way a regular sample nearly identical to the previous read one (tiny greyscale,
small mean and few strongly changed pixels) is marked `same`, so the caller can reuse that
sample's result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av.error
import numpy as np
import numpy.typing as npt
from PIL import Image

from core.errors import MediaError
from core.media.probe import _reason, open_container
from core.models import MediaInfo
from core.visual.sampled_frames import SampledFrame, upright_size

EVERY_S = 1.0
MAX_WIDTH = 960
TINY = (160, 90)
SAME_MEAN = 2.0  # mean abs difference (0..255) of the tiny greyscale images
SAME_STRONG = 24.0  # a pixel that changed by more than this counts as strongly changed
SAME_STRONG_SHARE = 0.001  # ... and fewer than this share of them (small text still counts)


@dataclass
class OcrFrame:
    time_s: float
    rgb: npt.NDArray[np.uint8] | None  # upright, ≤ max_width wide; None when `same`
    scale_x: float  # multiply image x by this for display pixels of the full-size video
    scale_y: float
    same: bool  # nearly identical to the previous frame that was read
    keyframe: bool  # sampled at a shot's keyframe time


def sample_size(media: MediaInfo, max_width: int) -> tuple[int, int]:
    """Upright (width, height) of the sampled images: the display size, at most `max_width` wide."""
    return upright_size(media, max_width)


def iter_ocr_frames(path: Path, media: MediaInfo, keyframe_times: list[float] | None = None,
                    every_s: float = EVERY_S, max_width: int = MAX_WIDTH,
                    sampled: list[SampledFrame] | None = None) -> Iterator[OcrFrame]:
    """Yield the sampled frames in time order (see the module docstring). `sampled`: the visual
    pass's frames (`read_sampled_frames`); None decodes `path`."""
    up_w, up_h = sample_size(media, max_width)
    scale_x, scale_y = media.display_width / up_w, media.display_height / up_h
    forced = sorted(keyframe_times or [])
    step = 1.0 / media.fps if media.fps else 0.04
    next_time = media.start_s
    previous: npt.NDArray[np.float32] | None = None
    source = _from_sampled(sampled, (up_w, up_h)) if sampled is not None else _decoded(path, media, (up_w, up_h))
    for time_s, picture in source:
        regular = time_s >= next_time - 1e-3
        keyframe = False
        while forced and time_s >= forced[0] - step / 2:
            forced.pop(0)
            keyframe = True
        if not (regular or keyframe):
            continue
        if regular:
            while next_time <= time_s + 1e-3:
                next_time += every_s
        image = picture()
        tiny = np.asarray(image.convert("L").resize(TINY, Image.Resampling.BILINEAR), np.float32)
        if not keyframe and previous is not None and _same(previous, tiny):
            yield OcrFrame(time_s, None, scale_x, scale_y, same=True, keyframe=False)
            continue
        previous = tiny
        yield OcrFrame(time_s, np.asarray(image, np.uint8), scale_x, scale_y, same=False, keyframe=keyframe)


Picture = Callable[[], Image.Image]  # the upright image, made only when the frame is sampled


def _from_sampled(frames: list[SampledFrame], size: tuple[int, int]) -> Iterator[tuple[float, Picture]]:
    def picture(frame: SampledFrame) -> Picture:
        def load() -> Image.Image:
            image = frame.rgb()
            return image if image.size == size else image.resize(size, Image.Resampling.BOX)
        return load
    for frame in frames:
        yield frame.time_s, picture(frame)


def _decoded(path: Path, media: MediaInfo, size: tuple[int, int]) -> Iterator[tuple[float, Picture]]:
    rotation = media.rotation % 360
    coded_w, coded_h = (size[1], size[0]) if rotation in (90, 270) else size
    step = 1.0 / media.fps if media.fps else 0.04
    time_s = media.start_s - step
    index = -1

    def picture(frame: av.VideoFrame) -> Picture:
        def convert() -> Image.Image:
            image = Image.fromarray(np.asarray(frame.reformat(width=coded_w, height=coded_h, format="rgb24",
                                                              interpolation="AREA").to_ndarray(), np.uint8))
            return image.rotate(-rotation, expand=True) if rotation else image
        return convert

    with open_container(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for index, frame in enumerate(container.decode(stream)):
                time_s = float(frame.time) if frame.time is not None else time_s + step
                yield time_s, picture(frame)
        except av.error.FFmpegError as exc:
            if index < 0:
                raise MediaError(str(path), f"the video stream cannot be decoded ({_reason(exc)})",
                                 "the file is probably damaged; copy or export it again") from exc
            # A damaged tail: keep what was decoded, like a player would.


def _same(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> bool:
    diff = np.abs(a - b)
    return float(diff.mean()) < SAME_MEAN and float((diff > SAME_STRONG).mean()) < SAME_STRONG_SHARE
