"""Face embeddings: dlib's 5-point alignment and ResNet, 128 numbers per face.

Two faces of one person lie within about 0.6 of each other (euclidean), faces of two people
further apart (dlib's documented threshold; core.faces.clustering and benchmarks/bench_people.py
use these vectors). The model files are the models manager's `dlib-faces`. Runs in the calling
thread (a worker process); dlib's CPU build may use its own BLAS threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ModelError
from core.faces.detector import DLIB_FIX, FaceBox

MODEL_NAME = "dlib face embedding"
SHAPE_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
DIMENSIONS = 128
PADDING = 0.25  # dlib's default: the aligned 150 px chip reaches this share beyond the landmarks


class FaceEmbedder:
    """Loads the shape predictor and the ResNet once; `embed()` turns face boxes into vectors."""

    def __init__(self, files: Mapping[str, Path], *, jitters: int = 0) -> None:
        """`files` maps file names to paths (ModelStore.files("dlib-faces")); `jitters` > 0 averages
        that many jittered copies of each chip (slower, slightly better)."""
        self.jitters = jitters
        try:
            import dlib

            paths = [files.get(SHAPE_FILE), files.get(RESNET_FILE)]
            for name, path in zip((SHAPE_FILE, RESNET_FILE), paths):
                if path is None or not path.is_file():
                    raise FileNotFoundError(f"{path or name} is missing")
            self._dlib: Any = dlib
            self._shape: Any = dlib.shape_predictor(str(paths[0]))
            self._resnet: Any = dlib.face_recognition_model_v1(str(paths[1]))
        except Exception as exc:  # ImportError, a missing or damaged model file
            raise ModelError(MODEL_NAME, f"cannot be loaded ({type(exc).__name__}: {exc})", DLIB_FIX) from exc

    def landmarks(self, rgb: npt.NDArray[np.uint8], boxes: Sequence[FaceBox]) -> Any:
        """dlib's `full_object_detections`: the 5 landmarks of each box."""
        dlib = self._dlib
        shapes = dlib.full_object_detections()
        for b in boxes:
            shapes.append(self._shape(rgb, dlib.rectangle(b.x, b.y, b.x + b.w - 1, b.y + b.h - 1)))
        return shapes

    def embed(self, rgb: npt.NDArray[np.uint8], boxes: Sequence[FaceBox]) -> npt.NDArray[np.float32]:
        """One row of 128 float32 per box of `rgb` (H×W×3 RGB uint8), in the boxes' order.

        All faces of the image go through the ResNet as one batch.
        """
        if not boxes:
            return np.zeros((0, DIMENSIONS), np.float32)
        image = np.ascontiguousarray(rgb, np.uint8)
        shapes = self.landmarks(image, boxes)
        vectors = self._resnet.compute_face_descriptor(image, shapes, self.jitters, PADDING)
        return np.asarray([np.asarray(v) for v in vectors], np.float32).reshape(len(boxes), DIMENSIONS)

    def chips(self, rgb: npt.NDArray[np.uint8], boxes: Sequence[FaceBox], size: int = 150) -> list[npt.NDArray[np.uint8]]:
        """The aligned face chips the ResNet sees (size × size RGB), e.g. for a baseline or a thumbnail."""
        if not boxes:
            return []
        image = np.ascontiguousarray(rgb, np.uint8)
        chips = self._dlib.get_face_chips(image, self.landmarks(image, boxes), size, PADDING)
        return [np.asarray(c, np.uint8) for c in chips]
