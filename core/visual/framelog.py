"""Per-frame measurements of the visual pass, kept compactly for a whole video.

A few numbers per frame (28 bytes), so an hour at 30 fps is about 3 MB: the pass keeps
these instead of frames, and derives shot features and black segments from them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from core.models import Segment

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
BLACK_LUMA = 0.09 * 255  # darker than this on average ...
BLACK_SPREAD = 0.035 * 255  # ... and this flat is black/blank
MIN_BLACK_S = 0.2


class FrameLog:
    """Grows column arrays: time, mean R/G/B, luma mean and spread, motion."""

    def __init__(self, capacity: int = 4096) -> None:
        self.count = 0
        self.time = np.zeros(capacity, np.float64)
        self.rgb = np.zeros((capacity, 3), np.float32)
        self.luma = np.zeros(capacity, np.float32)
        self.spread = np.zeros(capacity, np.float32)
        self.motion = np.zeros(capacity, np.float32)
        self._previous: npt.NDArray[np.float32] | None = None

    def add(self, time_s: float, rgb: npt.NDArray[np.uint8]) -> float:
        """Record one small RGB frame; return its motion (mean |Δluma| / 255 vs the previous)."""
        if self.count == len(self.time):
            self._grow()
        i = self.count
        small = rgb[::4, ::4].astype(np.float32)  # 1/16 of the pixels: plenty for averages
        gray = small @ _LUMA
        mean_rgb = small.reshape(-1, 3).sum(axis=0) / (small.shape[0] * small.shape[1])
        self.time[i] = time_s
        self.rgb[i] = mean_rgb
        self.luma[i] = float(mean_rgb @ _LUMA)
        self.spread[i] = gray.std()
        motion = 0.0 if self._previous is None else float(np.abs(gray - self._previous).mean()) / 255.0
        self.motion[i] = motion
        self._previous = gray
        self.count += 1
        return motion

    def _grow(self) -> None:
        size = len(self.time) * 2
        self.time = np.resize(self.time, size)
        self.rgb = np.resize(self.rgb, (size, 3))
        self.luma = np.resize(self.luma, size)
        self.spread = np.resize(self.spread, size)
        self.motion = np.resize(self.motion, size)

    def end_time(self) -> float:
        """Time just after the last frame (its PTS plus one typical frame period)."""
        if self.count == 0:
            return 0.0
        if self.count == 1:
            return float(self.time[0])
        step = float(np.median(np.diff(self.time[max(0, self.count - 32): self.count])))
        return float(self.time[self.count - 1]) + max(step, 0.0)

    def black_segments(self) -> list[Segment]:
        """Stretches of at least MIN_BLACK_S of black or blank (flat, dark) frames."""
        n = self.count
        black = (self.luma[:n] < BLACK_LUMA) & (self.spread[:n] < BLACK_SPREAD)
        segments = []
        edges = np.flatnonzero(np.diff(np.concatenate(([0], black.astype(np.int8), [0]))))
        end_time = self.end_time()
        for start, stop in zip(edges[::2], edges[1::2]):
            t0 = float(self.time[start])
            t1 = float(self.time[stop]) if stop < n else end_time
            if t1 - t0 >= MIN_BLACK_S:
                segments.append(Segment(round(t0, 3), round(t1, 3)))
        return segments

    def span_features(self, start: int, stop: int) -> tuple[list[int], float, float]:
        """Mean RGB (0..255), brightness (0..1) and motion (0..1) over frames [start, stop)."""
        stop = max(stop, start + 1)
        rgb = self.rgb[start:stop].mean(axis=0)
        brightness = float(self.luma[start:stop].mean()) / 255.0
        motion = float(self.motion[start + 1:stop].mean()) if stop - start > 1 else 0.0
        return [int(round(c)) for c in rgb], round(brightness, 4), round(motion, 4)
