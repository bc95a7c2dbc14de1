"""The OCR engine: rapidocr 3.x (PP-OCR det/cls/rec ONNX models shipped in its wheel) on onnxruntime."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ModelError

MODEL_NAME = "pp-ocr"  # in the models manager (core/modelstore/registry.py)
DET, CLS, REC = "PP-OCRv6_det_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx", "PP-OCRv6_rec_small.onnx"
MIN_SCORE = 0.5
# The text detector (nearly all of OCR's time: ~0.15 s of 0.155 s per 960 px frame) sees the
# sampled image at most 640 px wide; the recogniser still reads each line from the ≤ 960 px image.
# Measured on 400 generated lines of 18-72 px (benchmarks/bench_ocr.py, 200 frames): 97.5 % exact
# lines against 98.75 % at 960 px (800 and 880 px: 97.5 % too), at 0.59× the time per frame; on
# bench_pipeline's clip the same readings at 0.38× the time. rapidocr's default scales the short
# side up to 736 px (a 960×540 frame becomes 1308×736), 2.6× the time of 960 px.
DET_MAX_SIDE = 640


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

    def read(self, rgb: npt.NDArray[np.uint8]) -> list[TextLine]:
        """Text lines of `rgb` (H×W×3, RGB) with score ≥ MIN_SCORE, top to bottom."""
        result = self._engine(np.ascontiguousarray(rgb[:, :, ::-1]))  # rapidocr takes OpenCV's BGR
        texts = getattr(result, "txts", None)
        lines = []
        for text, score, quad in zip(texts, result.scores, result.boxes) if texts else ():
            if float(score) < MIN_SCORE or not str(text).strip():
                continue
            points = np.asarray(quad, np.float32).reshape(-1, 2)
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            lines.append(TextLine(str(text), float(score), float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
        lines.sort(key=lambda line: (line.y, line.x))
        return lines
