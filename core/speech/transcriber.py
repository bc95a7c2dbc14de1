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
        _share_first_window(self._model)

    def transcribe(self, samples: npt.NDArray[np.float32],
                   on_vad: Callable[[float], None] | None = None, task: str = "transcribe",
                   language: str | None = None) -> Transcript | None:
        """Transcribe 16 kHz mono audio; None when voice activity detection finds no speech.

        `task="translate"`: Whisper's own speech-to-English translation (segment times as for a
        transcript; `Transcript.language` stays the spoken language). `language`: the spoken
        language when already known (skips detection); None detects it.
        """
        if task not in ("transcribe", "translate"):
            raise ValueError(f"unknown Whisper task {task!r}: transcribe or translate")
        if len(samples) < SAMPLE_RATE // 10:
            return None
        # benchmarks/bench_speech.py, 2 cores: real-time factor ~0.07 on long recordings, ~0.16
        # on 4 s clips. Greedy decoding (beam 1) is ~20-25 % faster but lost 1.7 points of WER
        # on generated speech; the temperature fallback (rescues repetition loops) costs ~nothing
        # on clean speech; no conditioning on the previous window (no runaway repetitions).
        segments, info = self._model.transcribe(
            samples, beam_size=5, vad_filter=True, word_timestamps=True,
            condition_on_previous_text=False, task=task, language=language)
        if info.duration_after_vad is not None and info.duration_after_vad <= 0.0:
            return None
        return Transcript(language=str(info.language), language_probability=float(info.language_probability),
                          segments=(_segment(s) for s in segments))


def _segment(s: Any) -> SpokenSegment:
    words = [SpokenWord(str(w.word).strip(), float(w.start), float(w.end), float(w.probability))
             for w in (s.words or [])]
    return SpokenSegment(start_s=float(s.start), end_s=float(s.end), text=str(s.text).strip(),
                         confidence=float(np.exp(min(0.0, float(s.avg_logprob)))), words=words)


def _share_first_window(model: Any) -> None:
    """Encode the first 30 s window once instead of twice.

    faster-whisper (1.2) encodes the first window to detect the language, then encodes it
    again to decode it: for a clip of up to 30 s of speech that is half the work. Here the
    language is detected on exactly the window the decoder asks for next (the features
    `generate_segments` takes: the last frame dropped, padded to 30 s), and the encoder output
    is handed over once. Transcripts are unchanged; when the library calls differ (another
    version), the hand-over just misses and both encodes run as before. One model, one
    transcription at a time (a worker process owns its transcriber).
    """
    from faster_whisper.audio import pad_or_trim

    encode = model.encode
    detect_language = model.detect_language
    frames = int(model.feature_extractor.nb_max_frames)
    kept: list[tuple[npt.NDArray[np.float32], Any]] = []

    def detect_on_first_window(*args: Any, **kwargs: Any) -> Any:
        features = kwargs.get("features")
        if args or features is None or kwargs.get("audio") is not None \
                or kwargs.get("language_detection_segments", 1) != 1:
            return detect_language(*args, **kwargs)
        window = pad_or_trim(features[..., : max(1, min(frames, features.shape[-1] - 1))])
        output = encode(window)
        kept[:] = [(window, output)]
        # With one segment the library keeps the most likely language whatever its probability.
        probabilities = [(str(token)[2:-2], float(p)) for token, p in model.model.detect_language(output)[0]]
        return probabilities[0][0], probabilities[0][1], probabilities

    def encode_once(features: npt.NDArray[np.float32]) -> Any:
        if kept:
            window, output = kept.pop()
            if window.shape == features.shape and np.array_equal(window, features):
                return output
        return encode(features)

    model.detect_language = detect_on_first_window
    model.encode = encode_once
