"""Probe a video file with PyAV: container, streams, duration, rotation.

Runs in worker processes. Every failure becomes a MediaError naming the file and the fix.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.error

from core.errors import MediaError
from core.models import MediaInfo


def open_container(path: Path) -> av.container.InputContainer:
    """Open `path` for reading or raise a MediaError that says why it cannot be."""
    if not path.exists():
        raise MediaError(str(path), "file not found", "check that the drive is mounted and re-import it")
    if path.is_dir():
        raise MediaError(str(path), "is a folder, not a video file", "import the folder instead")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(str(path), "the file is empty (0 bytes)", "copy or export the video again")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        raise MediaError(
            str(path),
            f"not a readable video: FFmpeg found no valid media data ({_reason(exc)})",
            "the file may be damaged, incomplete or not a video; copy or export it again",
        ) from exc
    except av.error.FFmpegError as exc:
        raise MediaError(str(path), f"cannot be opened: {_reason(exc)}", "check the file") from exc
    except PermissionError as exc:
        raise MediaError(str(path), "permission denied", "make the file readable") from exc


def probe(path: Path) -> MediaInfo:
    """Read container and stream facts; decodes one frame to learn the display rotation."""
    with open_container(path) as container:
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
            raise MediaError(
                str(path), f"contains no video stream (found: {kinds})", "import a file with a picture"
            )
        stream = container.streams.video[0]
        ctx = stream.codec_context
        rotation = first_frame_rotation(container, path)
        time_base = stream.time_base or Fraction(1, 1)
        start_s = float(stream.start_time * time_base) if stream.start_time is not None else 0.0
        if container.duration is not None and container.duration > 0:
            duration_s = container.duration / av.time_base
            if container.start_time is not None and stream.start_time is not None:
                duration_s = max(0.0, duration_s - (start_s - container.start_time / av.time_base))
        elif stream.duration is not None:
            duration_s = float(stream.duration * time_base)
        else:
            duration_s = 0.0
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        frames = stream.frames or (round(duration_s * fps) if fps else None)
        audio = container.streams.audio[0] if container.streams.audio else None
        width, height = int(ctx.width), int(ctx.height)
        swapped = rotation in (90, 270)
        return MediaInfo(
            container=container.format.name,
            duration_s=round(duration_s, 3),
            start_s=round(start_s, 3),
            fps=round(fps, 3),
            width=width,
            height=height,
            rotation=rotation,
            display_width=height if swapped else width,
            display_height=width if swapped else height,
            video_codec=ctx.name,
            has_audio=audio is not None,
            audio_codec=audio.codec_context.name if audio else None,
            audio_channels=audio.codec_context.channels if audio else None,
            audio_sample_rate=audio.codec_context.sample_rate if audio else None,
            bit_rate=int(container.bit_rate) if container.bit_rate else None,
            frame_count=int(frames) if frames else None,
            size_bytes=path.stat().st_size,
        )


def first_frame_rotation(container: av.container.InputContainer, path: Path) -> int:
    """Decode the first video frame; return the clockwise display rotation (0/90/180/270)."""
    stream = container.streams.video[0]
    try:
        for frame in container.decode(stream):
            return clockwise_rotation(frame)
    except av.error.FFmpegError as exc:
        raise MediaError(
            str(path), f"the video stream cannot be decoded ({_reason(exc)})",
            "the file is probably damaged or truncated; copy or export it again",
        ) from exc
    raise MediaError(
        str(path), "the video stream has no decodable frames",
        "the file is probably truncated; copy or export it again",
    )


def clockwise_rotation(frame: av.VideoFrame) -> int:
    """Return how far to turn `frame` clockwise to show it upright (from its display matrix)."""
    ccw = int(round(getattr(frame, "rotation", 0) or 0))
    return (-ccw) % 360


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".")
