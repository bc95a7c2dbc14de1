"""Stage: speech — transcribe the first audio stream, locally (faster-whisper) or in the cloud.

Local: faster-whisper with word timestamps. When the project routes its "transcriber" to a
cloud provider (Providers page), the decoded audio is cut into chunks of at most ten minutes,
each cut in the quietest half second before the limit (so never in the middle of a word), and
each chunk goes to the provider's `transcribe` as a 16 kHz mono WAV through the gateway
(cached by the chunk's content, budgeted, ledgered). When the provider fails or the budget is
reached, the local model transcribes instead and the stage's message says why.
Runs in a worker process.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import wave
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import VipError
from core.models.segment import SegmentKind, TextSegment, Word
from core.modelstore import ModelLoader
from core.pipeline.stage import StageContext
from core.providers.access import ProviderAccess
from core.providers.base import ProviderRequest
from core.models.routing import Route
from core.speech import SAMPLE_RATE, DecodedAudio, SpokenSegment, WhisperTranscriber, decode_audio

NO_SPEECH = "No speech"
CHUNK_MAX_S = 600.0  # cloud transcription APIs take ~25 MB per file: 10 min of 16 kHz 16-bit mono is ~19 MB
CUT_SEARCH_S = 30.0  # look this far back from each 10-minute limit for a quiet place to cut
QUIET_S = 0.5  # the cut falls in the middle of the quietest stretch this long
# Whisper APIs answer "english"; the local model (and the rest of the app) says "en".
_LANGUAGE_CODES = {"english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it",
                   "portuguese": "pt", "dutch": "nl", "russian": "ru", "chinese": "zh", "japanese": "ja",
                   "korean": "ko", "arabic": "ar", "hindi": "hi", "turkish": "tr", "polish": "pl",
                   "ukrainian": "uk", "swedish": "sv", "danish": "da", "norwegian": "no", "finnish": "fi",
                   "czech": "cs", "greek": "el", "hebrew": "he", "indonesian": "id", "vietnamese": "vi"}


def chunk_bounds(samples: npt.NDArray[np.float32], rate: int = SAMPLE_RATE, max_s: float = CHUNK_MAX_S,
                 search_s: float = CUT_SEARCH_S, quiet_s: float = QUIET_S) -> list[tuple[int, int]]:
    """Cut audio into `(start, end)` sample ranges of at most `max_s` seconds, cut in silence.

    Each cut lies in the middle of the quietest `quiet_s` window (0.1 s steps) within
    `search_s` seconds before the limit; among equally quiet windows, the latest one.
    """
    n = len(samples)
    max_len = int(max_s * rate)
    window = max(1, int(quiet_s * rate))
    hop = max(1, window // 5)
    bounds: list[tuple[int, int]] = []
    start = 0
    while n - start > max_len:
        limit = start + max_len
        lo = max(start + window, limit - int(search_s * rate))
        cut = limit
        if limit - lo >= window:
            region = samples[lo:limit].astype(np.float64)
            energy = np.concatenate(([0.0], np.cumsum(region * region)))
            starts = np.arange(0, len(region) - window + 1, hop)
            sums = energy[starts + window] - energy[starts]
            quietest = starts[len(sums) - 1 - int(np.argmin(sums[::-1]))]
            cut = lo + int(quietest) + window // 2
        bounds.append((start, cut))
        start = cut
    if n > start:
        bounds.append((start, n))
    return bounds


def wav_bytes(samples: npt.NDArray[np.float32], rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM mono WAV of float samples in -1..1."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _language_code(language: str) -> str:
    language = language.strip().lower()
    return _LANGUAGE_CODES.get(language, language)


class SpeechStage:
    name = "speech"
    title = "Speech transcript"
    version = 1
    # Measured on 2 cores: 0.1-0.35 x real time for continuous speech (int8, 2 threads), the
    # visual pass ~0.03-0.1 x real time (weight 10); silent stretches cost far less.
    weight = 30.0
    requires: tuple[str, ...] = ("probe",)
    chunk_max_s = CHUNK_MAX_S  # the longest audio chunk sent to a cloud transcriber

    def __init__(self, data_dir: Path | None = None, model: str = "whisper-base", cpu_threads: int = 1,
                 providers: ProviderAccess | None = None) -> None:
        """`data_dir` holds `models/`; by default the folder above the media cache. `providers`:
        the project's routing and the gateway, for a cloud transcriber; None: local only.
        One CPU thread: Whisper keeps one core busy either way (60 s of dense speech: 20.6 s
        with one thread, 19.8 s with two), and the other core runs the visual stages beside it."""
        self.data_dir = data_dir
        self.providers = providers
        self.loader = ModelLoader(lambda store: WhisperTranscriber(store.resolve(model), model, cpu_threads))

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        media = ctx.require_media()
        if not media.has_audio:
            self._no_speech(ctx)
            return
        route = self.providers.route(video.project_id, "transcriber") if self.providers else Route()
        cloud = not route.is_local and self.providers is not None
        if not cloud:  # a missing model fails before the (longer) decode
            ctx.report(0.0, "Loading the speech model")
            self.loader.get(self.data_dir or ctx.data_dir)
        ctx.report(0.02, "Decoding audio")
        audio = decode_audio(Path(video.path), lambda f: ctx.report(0.02 + 0.06 * f, "Decoding audio"),
                             media.duration_s)
        if audio is None or audio.duration_s <= 0:
            self._no_speech(ctx)
            return
        why_local = ""
        if cloud:
            try:
                self._run_cloud(ctx, route, audio)
                return
            except _CloudFailed as failed:
                why_local = f"{failed} — local model instead"
        self._run_local(ctx, audio, why_local)

    # -- local ------------------------------------------------------------------------------

    def _run_local(self, ctx: StageContext, audio: DecodedAudio, why_local: str) -> None:
        video = ctx.video
        if why_local:
            ctx.report(0.08, "Loading the speech model")
        transcriber = self.loader.get(self.data_dir or ctx.data_dir)
        ctx.report(0.08, "Detecting speech")
        transcript = transcriber.transcribe(audio.samples)
        if transcript is None:
            self._no_speech(ctx, why_local)
            return
        ctx.report(0.1, f"Transcribing ({transcript.language})")
        stored: list[TextSegment] = []
        for spoken in transcript.segments:
            if spoken.text:
                stored.append(self._segment(video.id, spoken, audio.start_s, transcript.language))
            done = spoken.end_s / audio.duration_s
            ctx.report(0.1 + 0.9 * min(1.0, done), f"Transcribing ({transcript.language}): {len(stored)} segments")
        if not stored:
            self._no_speech(ctx, why_local)
            return
        ctx.segments.replace_for_stage(video.id, self.name, stored)
        ctx.summary = f"{len(stored)} segments ({transcript.language})" + (f"; {why_local}" if why_local else "")
        ctx.report(1.0, ctx.summary)

    # -- cloud ------------------------------------------------------------------------------

    def _run_cloud(self, ctx: StageContext, route: Route, audio: DecodedAudio) -> None:
        """Transcribe chunk by chunk with the routed provider; raises _CloudFailed (nothing stored)."""
        assert self.providers is not None
        video = ctx.video
        bounds = chunk_bounds(audio.samples, max_s=self.chunk_max_s)
        who = f"{route.provider}/{route.model}"
        stored: list[TextSegment] = []
        languages: Counter[str] = Counter()
        for i, (start, end) in enumerate(bounds):
            ctx.report(0.1 + 0.9 * i / len(bounds), f"Transcribing with {who}: chunk {i + 1} of {len(bounds)}")
            chunk_start_s = start / SAMPLE_RATE
            duration_s = (end - start) / SAMPLE_RATE
            data = self._transcribe_chunk(ctx, route, audio.samples[start:end], duration_s)
            language = _language_code(str(data.get("language") or ""))
            for segment in self._cloud_segments(data, duration_s):
                seg_start, seg_end, text = segment
                offset = audio.start_s + chunk_start_s
                stored.append(TextSegment(video_id=video.id, kind=SegmentKind.SPEECH, stage=self.name, version=self.version,
                                          start_s=round(seg_start + offset, 3), end_s=round(seg_end + offset, 3),
                                          text=text, language=language or None))
                if language:
                    languages[language] += 1
        if not stored:
            self._no_speech(ctx)
            return
        language = languages.most_common(1)[0][0] if languages else "unknown"
        ctx.segments.replace_for_stage(video.id, self.name, stored)
        ctx.summary = f"{len(stored)} segments ({language}) by {who}"
        ctx.report(1.0, ctx.summary)

    def _transcribe_chunk(self, ctx: StageContext, route: Route, samples: npt.NDArray[np.float32],
                          duration_s: float) -> dict[str, Any]:
        """One provider call for one chunk, written as a WAV in a private temp folder.

        The payload carries the audio's SHA-256, which the gateway's cache key uses instead of
        the file's path: the same chunk of a re-run is answered from the cache."""
        assert self.providers is not None
        content = wav_bytes(samples)
        digest = hashlib.sha256(content).hexdigest()
        folder = Path(tempfile.mkdtemp(prefix="vip-speech-chunk-"))
        path = folder / f"{digest}.wav"
        try:
            path.write_bytes(content)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise _CloudFailed(f"cannot write the audio chunk {path}: {exc.strerror or exc}") from exc
        request = ProviderRequest(
            provider=route.provider, model=route.model, operation="transcribe",
            payload={"path": str(path), "audio_sha256": digest, "duration_s": round(duration_s, 3)},
            estimate={"audio_minutes": duration_s / 60.0},
            project_id=ctx.video.project_id, video_id=ctx.video.id, job_id=ctx.job_id or None)
        try:
            return self.providers.call(request)
        except VipError as exc:  # ProviderError, BudgetExceeded, UnknownPrice (no progress report in here)
            raise _CloudFailed(str(exc)) from exc
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _cloud_segments(data: dict[str, Any], duration_s: float) -> list[tuple[float, float, str]]:
        """(start, end, text) per segment of a transcribe answer, times within the chunk."""
        segments: list[tuple[float, float, str]] = []
        raw = data.get("segments")
        if not isinstance(raw, list):
            raise _CloudFailed("unexpected transcribe answer: no segments")
        for item in raw:
            try:
                text = str(item["text"]).strip()
                start = min(max(0.0, float(item["start_s"])), duration_s)
                end = min(max(start, float(item["end_s"])), duration_s)
            except (KeyError, TypeError, ValueError):
                raise _CloudFailed("unexpected transcribe answer: a malformed segment") from None
            if text:
                segments.append((start, end, text))
        return segments

    # -- shared -----------------------------------------------------------------------------

    def _no_speech(self, ctx: StageContext, why_local: str = "") -> None:
        assert ctx.segments is not None
        ctx.segments.replace_for_stage(ctx.video.id, self.name, [])
        ctx.summary = NO_SPEECH + (f"; {why_local}" if why_local else "")
        ctx.report(1.0, ctx.summary)

    def _segment(self, video_id: str, spoken: SpokenSegment, offset_s: float, language: str) -> TextSegment:
        words = [Word(w.text, round(w.start_s + offset_s, 3), round(w.end_s + offset_s, 3), round(w.probability, 4))
                 for w in spoken.words if w.text]
        return TextSegment(video_id=video_id, kind=SegmentKind.SPEECH, stage=self.name, version=self.version,
                           start_s=round(spoken.start_s + offset_s, 3), end_s=round(spoken.end_s + offset_s, 3),
                           text=spoken.text, language=language, confidence=round(spoken.confidence, 4),
                           words=words)


class _CloudFailed(VipError):
    """The cloud transcriber could not answer (provider, budget, price, a bad answer): go local."""
