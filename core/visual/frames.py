"""Decode a video's first video stream into small RGB frames, one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

SMALL_W, SMALL_H = 128, 72


def iter_small_frames(path: Path) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (frame_index, pts_time_s, rgb) for every frame of the first video stream.

    rgb is a (SMALL_H, SMALL_W, 3) uint8 array. Times come from each frame's PTS, so a
    stream that starts late reports its true times; a frame without PTS gets the previous
    time plus one frame period (or 0.0 for the first). frame_index counts decoded frames
    from 0. Only one decoded frame is alive at a time.
    """
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        step = 1.0 / float(rate) if rate else 0.0
        last = -step
        for index, frame in enumerate(container.decode(stream)):
            t = frame.time
            last = float(t) if t is not None else last + step
            rgb = frame.reformat(width=SMALL_W, height=SMALL_H, format="rgb24").to_ndarray()
            del frame
            yield index, last, rgb
