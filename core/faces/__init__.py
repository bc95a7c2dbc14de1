"""Faces: detectors (dlib HOG for the stage; Haar and MMOD for comparison), appearances, per-shot counts.

The detector's names load on first use (PEP 562): the GUI's face thumbnails need only the
appearance grouping, not NumPy and OpenCV, before its window is shown. Worker code that
imports `FaceDetector` gets it at that import, exactly as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.faces.appearances import FaceAppearance, face_appearances
from core.faces.rejections import FaceRejection, reject, rejection_of, without_rejected
from core.faces.shots import faces_per_shot

if TYPE_CHECKING:
    from core.faces.detector import CASCADE_FILE, FaceBox, FaceDetector

_DETECTOR_NAMES = ("CASCADE_FILE", "FaceBox", "FaceDetector")

__all__ = ["CASCADE_FILE", "FaceAppearance", "FaceBox", "FaceDetector", "FaceRejection", "face_appearances",
           "faces_per_shot", "reject", "rejection_of", "without_rejected"]


def __getattr__(name: str) -> Any:
    if name not in _DETECTOR_NAMES:
        raise AttributeError(f"module 'core.faces' has no attribute {name!r}")
    from core.faces import detector

    return getattr(detector, name)
