"""The OCR engine: rapidocr 3.x (PP-OCR det/cls/rec ONNX models shipped in its wheel) on onnxruntime.

Video text mostly stands still while the picture moves under it: captions, lower thirds, signs
in a shot. With a `LineMemory`, a detected line whose pixels are those of a line read in the
previous frame keeps that reading, and only new or changed lines go through the recogniser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from core.errors import ModelError

MODEL_NAME = "pp-ocr"  # in the models manager (core/modelstore/registry.py)
DET, CLS, REC = "PP-OCRv6_det_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx", "PP-OCRv6_rec_small.onnx"
MIN_SCORE = 0.5
# The text detector sees the sampled image at its own size (≤ 960 px, core.ocr.frames). rapidocr's
# default scales the short side up to 736 px (a 960×540 frame becomes 1308×736): 2.6× the detector's
# time (372 against 144 ms on 2 cores) for no measured gain (benchmarks/bench_ocr.py compares both).
DET_MAX_SIDE = 960


@dataclass(frozen=True)
class TextLine:
    """One line of text found in an image: axis-aligned box in that image's pixels."""

    text: str
    score: float
    x: float
    y: float
    w: float
    h: float


def _without_spinning() -> None:
    """onnxruntime's intra-op threads spin while they wait for work, which takes a core from the
    stage running beside OCR (the runner's lanes); they sleep instead."""
    from rapidocr.inference_engine.onnxruntime.main import OrtInferSession

    init = OrtInferSession._init_sess_opts
    if getattr(init, "vip_no_spin", False):
        return

    def options(cfg: Any) -> Any:
        opts = init(cfg)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    options.vip_no_spin = True  # type: ignore[attr-defined]
    OrtInferSession._init_sess_opts = staticmethod(options)  # type: ignore[method-assign]


class OcrEngine:
    """Loads the PP-OCR models once; `read()` finds the text lines of one RGB image.

    `files` are the verified model files from the models manager (`ModelStore.files("pp-ocr")`).
    """

    def __init__(self, files: dict[str, Path], cpu_threads: int = 2, det_max_side: int | None = DET_MAX_SIDE) -> None:
        """`det_max_side`: the detector's input is at most this many pixels on its longer side
        (never scaled up); None: rapidocr's default (the short side scaled to ≥ 736 px)."""
        sizes = {"Det.limit_type": "max", "Det.limit_side_len": det_max_side} if det_max_side else {}
        try:
            from rapidocr import RapidOCR

            _without_spinning()
            self._engine: Any = RapidOCR(params={
                **sizes,
                "Global.log_level": "error",
                "Det.model_path": str(files[DET]),
                "Cls.model_path": str(files[CLS]),
                "Rec.model_path": str(files[REC]),
                "EngineConfig.onnxruntime.intra_op_num_threads": cpu_threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        except Exception as exc:  # ImportError, a missing or damaged ONNX file, onnxruntime errors
            raise ModelError(MODEL_NAME, f"cannot be loaded ({type(exc).__name__}: {exc})",
                             "reinstall it: .venv/bin/pip install --force-reinstall rapidocr==3.10.0") from exc

    def read(self, rgb: npt.NDArray[np.uint8], memory: LineMemory | None = None) -> list[TextLine]:
        """Text lines of `rgb` (H×W×3, RGB) with score ≥ MIN_SCORE, top to bottom. `memory`:
        the readings of the previous frame of the same video (see the module docstring)."""
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # rapidocr takes arrays as OpenCV's BGR
        if memory is None:
            result = self._engine(bgr)
            texts = getattr(result, "txts", None)
            found = list(zip(texts, result.scores, result.boxes)) if texts else []
        else:
            found = self._read_lines(bgr, memory)
        lines = []
        for text, score, quad in found:
            if float(score) < MIN_SCORE or not str(text).strip():
                continue
            points = np.asarray(quad, np.float32).reshape(-1, 2)
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            lines.append(TextLine(str(text), float(score), float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
        lines.sort(key=lambda line: (line.y, line.x))
        return lines

    def _read_lines(self, bgr: npt.NDArray[np.uint8], memory: LineMemory) -> list[tuple[str, float, Any]]:
        """Detect, then recognise only the lines `memory` does not know: (text, score, quad)."""
        from rapidocr.utils.process_img import get_rotate_crop_image

        detected = self._engine(bgr, use_det=True, use_cls=False, use_rec=False)
        quads = getattr(detected, "boxes", None)
        found = []
        for quad in [] if quads is None else quads:
            crop = get_rotate_crop_image(bgr, np.asarray(quad, np.float32).copy())
            reading = memory.recall(crop)
            if reading is None:
                result = self._engine(crop, use_det=False, use_cls=True, use_rec=True)
                texts = getattr(result, "txts", None)
                reading = (str(texts[0]), float(result.scores[0])) if texts else ("", 0.0)
                memory.recognised += 1
            else:
                memory.reused += 1
            memory.keep(crop, reading)
            found.append((*reading, quad))
        memory.next_frame()
        return found


class LineMemory:
    """The lines read in one frame, by their pixels, for the next frame of the same video.

    A line is known when its crop has the same shape (±4 %) and, shrunk to 96×24 greyscale,
    almost no pixel differs (mean < 3 of 255, and under 0.5 % of pixels by more than 40): one
    changed digit of a counter changes several percent of the pixels, so it is read again.
    """

    SIZE = (96, 24)

    def __init__(self) -> None:
        self._previous: list[tuple[float, npt.NDArray[np.float32], tuple[str, float]]] = []
        self._current: list[tuple[float, npt.NDArray[np.float32], tuple[str, float]]] = []
        self.recognised = 0
        self.reused = 0

    def recall(self, crop: npt.NDArray[np.uint8]) -> tuple[str, float] | None:
        aspect, small = self._signature(crop)
        for known_aspect, known, reading in self._previous:
            if abs(known_aspect - aspect) > 0.04 * aspect:
                continue
            diff = np.abs(known - small)
            if float(diff.mean()) < 3.0 and float((diff > 40.0).mean()) < 0.005:
                return reading
        return None

    def keep(self, crop: npt.NDArray[np.uint8], reading: tuple[str, float]) -> None:
        aspect, small = self._signature(crop)
        self._current.append((aspect, small, reading))

    def next_frame(self) -> None:
        self._previous, self._current = self._current, []

    def _signature(self, crop: npt.NDArray[np.uint8]) -> tuple[float, npt.NDArray[np.float32]]:
        height, width = crop.shape[:2]
        gray = Image.fromarray(np.ascontiguousarray(crop[:, :, ::-1])).convert("L")
        return width / max(1, height), np.asarray(gray.resize(self.SIZE, Image.Resampling.BILINEAR), np.float32)
