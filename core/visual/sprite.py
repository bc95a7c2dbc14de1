"""Build the timeline sprite sheet: thumbnails at a fixed interval in one JPEG."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from core.models import Timeline

MAX_TILES = 400
TILE_WIDTH = 160
COLUMNS = 20


class SpriteSheet:
    """Collects a thumbnail every `interval_s` during the one decode; writes one JPEG."""

    def __init__(self, duration_s: float, start_s: float, display_w: int, display_h: int, rotation: int) -> None:
        self.interval_s = max(1.0, round(duration_s / MAX_TILES, 2)) if duration_s > 0 else 1.0
        self._start = start_s
        self._rotation = rotation
        self.tile_w = TILE_WIDTH
        self.tile_h = max(2, round(TILE_WIDTH * display_h / max(1, display_w)))
        capacity = max(1, math.ceil(max(duration_s, 0.001) / self.interval_s))
        self._rows = math.ceil(capacity / COLUMNS)
        self._columns = min(COLUMNS, capacity)
        self._sheet = Image.new("RGB", (self._columns * self.tile_w, self._rows * self.tile_h))
        self._capacity = capacity
        self.count = 0

    def wants(self, time_s: float) -> bool:
        return self.count < self._capacity and time_s - self._start >= self.count * self.interval_s - 1e-6

    def add(self, rgb: npt.NDArray[np.uint8]) -> None:
        """Paste `rgb` (a downscaled frame, as decoded: not yet rotated) as the next tile, upright."""
        swapped = self._rotation in (90, 270)
        w, h = (self.tile_h, self.tile_w) if swapped else (self.tile_w, self.tile_h)
        image = Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
        if self._rotation:
            image = image.rotate(-self._rotation, expand=True)
        x, y = (self.count % COLUMNS) * self.tile_w, (self.count // COLUMNS) * self.tile_h
        self._sheet.paste(image, (x, y))
        self.count += 1

    def save(self, target: Path) -> Timeline | None:
        if self.count == 0:
            return None
        rows = math.ceil(self.count / COLUMNS)
        sheet = self._sheet.crop((0, 0, self._columns * self.tile_w, rows * self.tile_h))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        sheet.save(tmp, format="JPEG", quality=80)
        tmp.replace(target)
        return Timeline(sprite_path=str(target), interval_s=self.interval_s, columns=self._columns,
                        rows=rows, tile_width=self.tile_w, tile_height=self.tile_h, count=self.count)
