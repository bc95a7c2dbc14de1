"""The face detector: OpenCV's Haar frontal-face cascade (shipped in opencv-python-headless' cv2.data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ModelError

MODEL_NAME = "OpenCV Haar frontal face cascade"
CASCADE_FILE = "haarcascade_frontalface_default.xml"
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_SIZE = 24  # pixels of the sampled (≤ 640 px wide) image
EQUALIZE = True  # histogram-equalise the greyscale image first
FIX = "reinstall it: .venv/bin/pip install --force-reinstall 'opencv-python-headless<5'"


@dataclass(frozen=True)
class FaceBox:
    """One face found in an image: axis-aligned box in that image's pixels."""

    x: int
    y: int
    w: int
    h: int


def cascade_path() -> Path:
    import cv2

    return Path(getattr(cv2, "data").haarcascades) / CASCADE_FILE


class FaceDetector:
    """Loads the cascade once; `detect()` finds the frontal faces of one RGB image.

    The keyword arguments exist for benchmarks/bench_faces.py; the stage uses the defaults.
    """

    def __init__(self, path: Path | None = None, *, scale_factor: float = SCALE_FACTOR,
                 min_neighbors: int = MIN_NEIGHBORS, min_size: int = MIN_SIZE, equalize: bool = EQUALIZE) -> None:
        self.scale_factor, self.min_neighbors, self.min_size, self.equalize = (
            scale_factor, min_neighbors, min_size, equalize)
        try:
            import cv2

            file = path or cascade_path()
            if not file.is_file():
                raise FileNotFoundError(f"{file} is missing")
            self._cv2: Any = cv2
            self._cascade: Any = cv2.CascadeClassifier(str(file))
            if self._cascade.empty():
                raise ValueError(f"{file} cannot be read")
        except Exception as exc:  # ImportError, a missing or damaged cascade file
            raise ModelError(MODEL_NAME, f"cannot be loaded ({type(exc).__name__}: {exc})", FIX) from exc

    def detect(self, rgb: npt.NDArray[np.uint8]) -> list[FaceBox]:
        """Faces of `rgb` (H×W×3, RGB), top to bottom then left to right."""
        cv2 = self._cv2
        grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        if self.equalize:
            grey = cv2.equalizeHist(grey)
        found = self._cascade.detectMultiScale(grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                                               minSize=(self.min_size, self.min_size))
        boxes = [FaceBox(int(x), int(y), int(w), int(h)) for x, y, w, h in np.asarray(found).reshape(-1, 4)]
        return sorted(boxes, key=lambda b: (b.y, b.x))
