"""Choose and save a poster frame: representative, not black, upright.

Runs in worker processes. Seeks to a few positions spread over the video, scores each
candidate on a small greyscale copy and keeps the most detailed one that is not black,
blank or washed out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
from PIL import Image

from core.errors import MediaError
from core.media.probe import _reason, clockwise_rotation, open_container
from core.models import MediaInfo

CANDIDATE_POSITIONS = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)
POSTER_MAX_WIDTH = 640

Progress = Callable[[float, str], None]


@dataclass
class _Candidate:
    time_s: float
    score: float
    image: Image.Image


def frame_score(gray: np.ndarray) -> float:
    """Score a greyscale frame: detail (contrast) counts, black/blank/washed-out frames lose."""
    mean = float(gray.mean())
    std = float(gray.std())
    if mean < 20 or mean > 240 or std < 6:
        return std / 100.0  # usable only if nothing better exists
    return std + min(mean, 255 - mean) / 10.0


def pick_poster(path: Path, media: MediaInfo, progress: Progress) -> tuple[Image.Image, float]:
    """Return (upright poster image, its time in seconds) for the video at `path`."""
    with open_container(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        best: _Candidate | None = None
        positions = CANDIDATE_POSITIONS if media.duration_s > 0.5 else (0.0,)
        for i, fraction in enumerate(positions):
            target = media.start_s + fraction * media.duration_s
            candidate = _candidate_at(container, stream, target, path)
            if candidate and (best is None or candidate.score > best.score):
                best = candidate
            progress((i + 1) / len(positions), f"Choosing a poster frame ({i + 1}/{len(positions)})")
        if best is None:
            raise MediaError(
                str(path), "no frame could be decoded for the poster",
                "the file is probably damaged or truncated; copy or export it again",
            )
        return best.image, best.time_s


def _candidate_at(
    container: av.container.InputContainer, stream: av.VideoStream, target_s: float, path: Path
) -> _Candidate | None:
    time_base = stream.time_base
    assert time_base is not None
    try:
        container.seek(int(target_s / time_base), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + 1e-3 < target_s:
                continue
            return _make_candidate(frame)
    except av.error.EOFError:
        return None
    except av.error.FFmpegError as exc:
        raise MediaError(
            str(path), f"decoding failed near {target_s:.1f} s ({_reason(exc)})",
            "the file is probably damaged; copy or export it again",
        ) from exc
    return None


def _make_candidate(frame: av.VideoFrame) -> _Candidate:
    small = frame.reformat(width=160, height=90, format="gray").to_ndarray()
    width = min(POSTER_MAX_WIDTH, frame.width)
    height = max(2, round(frame.height * width / frame.width / 2) * 2)
    image = frame.reformat(width=width, height=height, format="rgb24").to_image()  # type: ignore[no-untyped-call]  # PyAV: untyped
    rotation = clockwise_rotation(frame)
    if rotation:
        image = image.rotate(-rotation, expand=True)  # PIL turns counter-clockwise
    return _Candidate(time_s=float(frame.time or 0.0), score=frame_score(small), image=image)


def save_poster(image: Image.Image, directory: Path, video_id: str) -> Path:
    """Write the poster as JPEG into the media cache; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{video_id}.jpg"
    tmp = target.with_suffix(".tmp")
    image.convert("RGB").save(tmp, format="JPEG", quality=85)
    tmp.replace(target)
    return target
