"""Speech to text with faster-whisper (CTranslate2, int8, CPU); no torch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ModelError
from core.speech.audio import SAMPLE_RATE


@dataclass
class SpokenWord:
    text: str
    start_s: float  # relative to the first audio sample
    end_s: float
    probability: float


@dataclass
class SpokenSegment:
    start_s: float  # relative to the first audio sample
    end_s: float
    text: str
    confidence: float  # exp(avg_logprob), 0..1
    words: list[SpokenWord] = field(default_factory=list)


@dataclass
class Transcript:
    language: str
    language_probability: float
    segments: Iterator[SpokenSegment]  # lazy: each one is decoded when it is asked for


class WhisperTranscriber:
    """One loaded Whisper model; loading takes a second or two, so keep the instance."""

    def __init__(self, model_dir: Path, model_name: str = "whisper-base", cpu_threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(str(model_dir), device="cpu", compute_type="int8",
                                       cpu_threads=cpu_threads, num_workers=1)
        except Exception as exc:  # noqa: BLE001 - CTranslate2 raises RuntimeError/ValueError
            raise ModelError(model_name, f"cannot load {model_dir} ({exc})",
                             f"delete {model_dir} (it is rebuilt from the installed packages) and try again") from exc

    def transcribe(self, samples: npt.NDArray[np.float32],
                   on_vad: Callable[[float], None] | None = None) -> Transcript | None:
        """Transcribe 16 kHz mono audio; None when voice activity detection finds no speech."""
        if len(samples) < SAMPLE_RATE // 10:
            return None
        segments, info = self._model.transcribe(
            samples, beam_size=5, vad_filter=True, word_timestamps=True,
            condition_on_previous_text=False)
        if info.duration_after_vad is not None and info.duration_after_vad <= 0.0:
            return None
        return Transcript(language=str(info.language), language_probability=float(info.language_probability),
                          segments=(_segment(s) for s in segments))


def _segment(s: Any) -> SpokenSegment:
    words = [SpokenWord(str(w.word).strip(), float(w.start), float(w.end), float(w.probability))
             for w in (s.words or [])]
    return SpokenSegment(start_s=float(s.start), end_s=float(s.end), text=str(s.text).strip(),
                         confidence=float(np.exp(min(0.0, float(s.avg_logprob)))), words=words)
