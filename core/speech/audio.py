"""Decode a video's first audio stream to 16 kHz mono float32 with PyAV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from core.errors import MediaError

SAMPLE_RATE = 16000


@dataclass
class DecodedAudio:
    samples: npt.NDArray[np.float32]  # mono, SAMPLE_RATE
    start_s: float  # PTS of the first sample, in the video's timeline

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def decode_audio(path: Path, on_progress: Callable[[float], None] | None = None,
                 duration_s: float = 0.0) -> DecodedAudio | None:
    """The first audio stream, resampled; None when the file has no audio stream.

    Frames are resampled as they are decoded (chunk by chunk); `on_progress(fraction)` is
    called now and then with the share of `duration_s` decoded so far.
    """
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(str(path), f"cannot open the file to read its audio ({exc})") from exc
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[npt.NDArray[np.float32]] = []
        start_s: float | None = None
        reported = 0.0
        try:
            for frame in container.decode(stream):
                if start_s is None and frame.time is not None:
                    start_s = float(frame.time)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
                if on_progress and duration_s > 0 and frame.time is not None:
                    done = (float(frame.time) - (start_s or 0.0)) / duration_s
                    if done - reported >= 0.05:
                        reported = done
                        on_progress(min(1.0, done))
        except av.error.FFmpegError:
            if not chunks:
                raise MediaError(str(path), "the audio stream cannot be decoded") from None
            # A damaged tail: keep what decoded.
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        if start_s is None:
            start_s = float(stream.start_time * stream.time_base) if stream.start_time is not None \
                and stream.time_base is not None else 0.0
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return DecodedAudio(samples=samples, start_s=start_s)
