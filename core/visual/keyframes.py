"""Keyframe candidates taken during the one decode, and the choice of one per shot.

Shot boundaries are final only at the end of the decode, so the pass saves a candidate
image every second (and just after every abrupt change, so short shots get one too) into
a scratch folder, with its scores; afterwards each shot keeps its best candidate: sharp,
well exposed and close to the shot's average colour. The rest are deleted.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from PIL import Image

from core.models import Shot

KEYFRAME_WIDTH = 384
EVERY_S = 1.0
AFTER_CHANGE_FRAMES = 3  # an abrupt change: sample a few frames later, inside the new shot
CHANGE_MOTION = 0.12


@dataclass
class Candidate:
    index: int  # frame index
    time_s: float
    path: Path
    sharpness: float
    luma: float
    spread: float
    rgb: tuple[float, float, float]


class KeyframeCandidates:
    """Collects candidates into `scratch`; `choose()` moves the winners to `folder`."""

    def __init__(self, folder: Path, rotation: int) -> None:
        self.folder = folder
        self._scratch = folder / ".candidates"
        shutil.rmtree(self._scratch, ignore_errors=True)
        self._scratch.mkdir(parents=True, exist_ok=True)
        self._rotation = rotation
        self._next_time = float("-inf")
        self._pending_change_at: int | None = None
        self.candidates: list[Candidate] = []

    def wants(self, index: int, time_s: float, motion: float) -> bool:
        if motion >= CHANGE_MOTION:
            self._pending_change_at = index + AFTER_CHANGE_FRAMES
        if self._pending_change_at is not None and index >= self._pending_change_at:
            return True
        return time_s >= self._next_time

    def add(self, index: int, time_s: float, rgb: npt.NDArray[np.uint8]) -> None:
        """Save `rgb` (the frame at KEYFRAME_WIDTH, as decoded: not yet rotated) as a candidate."""
        self._pending_change_at = None
        self._next_time = time_s + EVERY_S
        gray = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        # Variance of the Laplacian: the usual focus measure.
        lap = (gray[1:-1, :-2] + gray[1:-1, 2:] + gray[:-2, 1:-1] + gray[2:, 1:-1] - 4 * gray[1:-1, 1:-1])
        image = Image.fromarray(rgb)
        if self._rotation:
            image = image.rotate(-self._rotation, expand=True)
        path = self._scratch / f"{index:08d}.jpg"
        image.save(path, format="JPEG", quality=85)
        mean = rgb.reshape(-1, 3).mean(axis=0)
        self.candidates.append(Candidate(index, time_s, path, float(lap.var()), float(gray.mean()),
                                         float(gray.std()), (float(mean[0]), float(mean[1]), float(mean[2]))))

    def choose(self, shots: list[Shot]) -> None:
        """Give each shot its best candidate (keyframe_path, keyframe_s); delete the rest."""
        for shot in shots:
            inside = [c for c in self.candidates if shot.start_frame <= c.index < shot.end_frame]
            if not inside:
                continue
            margin = min(0.5, 0.15 * shot.duration_s)
            core = [c for c in inside if shot.start_s + margin <= c.time_s <= shot.end_s - margin] or inside
            best = max(core, key=lambda c: _score(c, core, shot.mean_rgb))
            target = self.folder / f"shot-{shot.index:04d}.jpg"
            best.path.replace(target)
            shot.keyframe_path, shot.keyframe_s = str(target), round(best.time_s, 3)
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


def _score(candidate: Candidate, pool: list[Candidate], shot_rgb: list[int]) -> float:
    sharpest = max(c.sharpness for c in pool) or 1.0
    sharp = candidate.sharpness / sharpest
    exposed = 1.0 if 25 <= candidate.luma <= 235 and candidate.spread > 8 else 0.1
    distance = float(np.linalg.norm(np.array(candidate.rgb) - np.array(shot_rgb, np.float32)))
    typical = 1.0 / (1.0 + distance / 32.0)
    return exposed * (0.6 * sharp + 0.4 * typical)
