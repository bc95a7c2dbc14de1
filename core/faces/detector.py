"""Face detectors behind one `detect(rgb) -> list[FaceBox]`: OpenCV's Haar cascade, dlib's HOG and MMOD CNN.

The Haar cascade ships in opencv-python-headless' cv2.data; dlib's HOG detector is built into
dlib; the MMOD CNN is `mmod_human_face_detector.dat` of the models manager's `dlib-faces`.
`make_detector(kind, files)` builds one; benchmarks/bench_faces.py compares them: on ≤ 640 px
frames HOG with upsample 1 matches Haar's recall with no false positives on face-free photos and
costs about as much (~90 ms a 640×360 frame); MMOD costs ~2 s a frame and, at upsample 0, misses
faces under ~80 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

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


# -- dlib's detectors (model files from the models manager's `dlib-faces`) ------------------------

DLIB_MODEL_NAME = "dlib face detector"
MMOD_FILE = "mmod_human_face_detector.dat"
HOG_UPSAMPLE = 1  # dlib's HOG finds faces down to ~80 px at 0, ~40 px at 1 (bench_faces: recall vs time)
HOG_THRESHOLD = 0.0  # dlib's own default; raise it for fewer false positives
MMOD_UPSAMPLE = 0
DLIB_FIX = "reinstall them: .venv/bin/pip install --force-reinstall dlib-bin==20.0.1.post1 face-recognition-models==0.3.0"
DetectorKind = Literal["haar", "hog", "mmod"]
KINDS: tuple[DetectorKind, ...] = ("haar", "hog", "mmod")


class FaceDetecting(Protocol):
    """What the faces stage needs of a detector."""

    def detect(self, rgb: npt.NDArray[np.uint8]) -> list[FaceBox]: ...


def _dlib() -> Any:
    try:
        import dlib
    except Exception as exc:
        raise ModelError(DLIB_MODEL_NAME, f"cannot be loaded ({type(exc).__name__}: {exc})", DLIB_FIX) from exc
    return dlib


def _boxes(rects: Any, width: int, height: int) -> list[FaceBox]:
    """dlib rectangles clipped to the image, as sorted FaceBoxes (dlib's may reach past the edges)."""
    boxes = []
    for r in rects:
        x0, y0 = max(0, int(r.left())), max(0, int(r.top()))
        x1, y1 = min(width, int(r.right()) + 1), min(height, int(r.bottom()) + 1)
        if x1 > x0 and y1 > y0:
            boxes.append(FaceBox(x0, y0, x1 - x0, y1 - y0))
    return sorted(boxes, key=lambda b: (b.y, b.x))


class HogFaceDetector:
    """dlib's HOG + linear SVM frontal-face detector (built into dlib; no model file).

    Boxes are dlib's tight ones (brows to chin, about 0.8 of a Haar box's side), which dlib's
    5-point shape predictor expects. Runs in the calling thread, single-threaded.
    """

    def __init__(self, *, upsample: int = HOG_UPSAMPLE, threshold: float = HOG_THRESHOLD) -> None:
        self.upsample, self.threshold = upsample, threshold
        dlib = _dlib()
        try:
            self._detector: Any = dlib.get_frontal_face_detector()
        except Exception as exc:
            raise ModelError(DLIB_MODEL_NAME, f"cannot be loaded ({type(exc).__name__}: {exc})", DLIB_FIX) from exc

    def detect(self, rgb: npt.NDArray[np.uint8]) -> list[FaceBox]:
        """Faces of `rgb` (H×W×3, RGB), top to bottom then left to right."""
        image = np.ascontiguousarray(rgb)
        rects, _scores, _kinds = self._detector.run(image, self.upsample, self.threshold)
        return _boxes(rects, image.shape[1], image.shape[0])


class MmodFaceDetector:
    """dlib's MMOD CNN face detector (`mmod_human_face_detector.dat`): more poses, ~10× HOG's time on a CPU."""

    def __init__(self, path: Path, *, upsample: int = MMOD_UPSAMPLE) -> None:
        self.upsample = upsample
        dlib = _dlib()
        try:
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing")
            self._detector: Any = dlib.cnn_face_detection_model_v1(str(path))
        except Exception as exc:
            raise ModelError(DLIB_MODEL_NAME, f"cannot be loaded ({type(exc).__name__}: {exc})", DLIB_FIX) from exc

    def detect(self, rgb: npt.NDArray[np.uint8]) -> list[FaceBox]:
        """Faces of `rgb` (H×W×3, RGB), top to bottom then left to right."""
        image = np.ascontiguousarray(rgb)
        found = self._detector(image, self.upsample)
        return _boxes([d.rect for d in found], image.shape[1], image.shape[0])


def make_detector(kind: DetectorKind, files: Mapping[str, Path] | None = None, **options: Any) -> FaceDetecting:
    """The detector of `kind`; `files` maps model file names to paths (ModelStore.files).

    "haar" reads files[CASCADE_FILE] (OpenCV's own copy when absent), "mmod" needs files[MMOD_FILE]
    (the `dlib-faces` model), "hog" needs none. `options` go to the detector's constructor.
    Raises ModelError when the detector cannot be loaded.
    """
    files = files or {}
    if kind == "haar":
        return FaceDetector(files.get(CASCADE_FILE), **options)
    if kind == "hog":
        return HogFaceDetector(**options)
    if kind == "mmod":
        if MMOD_FILE not in files:
            raise ModelError(DLIB_MODEL_NAME, f"{MMOD_FILE} was not given", DLIB_FIX)
        return MmodFaceDetector(files[MMOD_FILE], **options)
    raise ValueError(f"unknown face detector {kind!r}: one of {', '.join(KINDS)}")
