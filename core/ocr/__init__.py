"""On-screen text (OCR): frame sampling, the PP-OCR engine (rapidocr) and text tracks."""

from core.ocr.engine import OcrEngine, TextLine
from core.ocr.frames import OcrFrame, iter_ocr_frames
from core.ocr.tracks import TextTrack, TrackBuilder, normalize_text

__all__ = ["OcrEngine", "OcrFrame", "TextLine", "TextTrack", "TrackBuilder", "iter_ocr_frames", "normalize_text"]
