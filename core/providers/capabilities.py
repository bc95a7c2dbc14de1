"""The capabilities a pipeline stage asks for, as interfaces (ARCHITECTURE.md §6).

Local implementations run in the worker process; cloud ones are requests through the
gateway (ProviderAccess), chosen per project by routing (core/providers/routing.py):

| capability | interface | local | cloud (through the gateway) |
|---|---|---|---|
| transcriber | `Transcriber` | `core.speech.WhisperTranscriber` | OpenAI-compatible `transcribe` |
| ocr | `TextReader` | `core.ocr.OcrEngine` | — |
| faces | `FaceFinder` | `core.faces.FaceDetector` | — |
| embedder | `Embedder` | `core.search.embedder.TextEmbedder` | — (the index needs one vector space) |
| captioner | (vision request) | — | OpenAI-compatible / Gemini `vision` |
| summarizer | (chat request) | `core.summary.extractive.local_summary` | OpenAI-compatible / Gemini `chat` |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from core.faces.detector import FaceBox
from core.ocr.engine import TextLine
from core.speech.transcriber import Transcript


class Transcriber(Protocol):
    def transcribe(self, samples: npt.NDArray[np.float32]) -> Transcript | None:
        """16 kHz mono audio → a transcript with word times; None when there is no speech."""


class TextReader(Protocol):
    def read(self, rgb: npt.NDArray[np.uint8]) -> list[TextLine]:
        """The text lines of one RGB image, top to bottom."""


class FaceFinder(Protocol):
    def detect(self, rgb: npt.NDArray[np.uint8]) -> list[FaceBox]:
        """The faces of one RGB image."""


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised vectors of `texts`, one row each."""


def _conforms() -> None:
    """Checked by mypy: the local implementations satisfy the interfaces."""
    from core.faces.detector import FaceDetector
    from core.ocr.engine import OcrEngine
    from core.search.embedder import TextEmbedder
    from core.speech.transcriber import WhisperTranscriber

    transcriber: type[Transcriber] = WhisperTranscriber  # noqa: F841
    reader: type[TextReader] = OcrEngine  # noqa: F841
    finder: type[FaceFinder] = FaceDetector  # noqa: F841
    embedder: type[Embedder] = TextEmbedder  # noqa: F841
