"""Stage 3: speech — transcribe the first audio stream with word timestamps (faster-whisper)."""

from __future__ import annotations

from pathlib import Path

from core.models.segment import TextSegment, Word
from core.modelstore import ModelLoader
from core.pipeline.stage import StageContext
from core.speech import SpokenSegment, WhisperTranscriber, decode_audio

NO_SPEECH = "No speech"


class SpeechStage:
    name = "speech"
    title = "Speech transcript"
    version = 1
    # Measured on 2 cores: 0.1-0.35 x real time for continuous speech (int8, 2 threads), the
    # visual pass ~0.03-0.1 x real time (weight 10); silent stretches cost far less.
    weight = 30.0
    requires: tuple[str, ...] = ("probe",)

    def __init__(self, data_dir: Path | None = None, model: str = "whisper-base", cpu_threads: int = 2) -> None:
        """`data_dir` holds `models/`; by default the folder above the media cache."""
        self.data_dir = data_dir
        self.loader = ModelLoader(lambda store: WhisperTranscriber(store.resolve(model), model, cpu_threads))

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        media = ctx.require_media()
        if not media.has_audio:
            self._no_speech(ctx)
            return
        ctx.report(0.0, "Loading the speech model")
        transcriber = self.loader.get(self.data_dir or ctx.data_dir)
        ctx.report(0.02, "Decoding audio")
        audio = decode_audio(Path(video.path), lambda f: ctx.report(0.02 + 0.06 * f, "Decoding audio"),
                             media.duration_s)
        if audio is None or audio.duration_s <= 0:
            self._no_speech(ctx)
            return
        ctx.report(0.08, "Detecting speech")
        transcript = transcriber.transcribe(audio.samples)
        if transcript is None:
            self._no_speech(ctx)
            return
        ctx.report(0.1, f"Transcribing ({transcript.language})")
        stored: list[TextSegment] = []
        for spoken in transcript.segments:
            if spoken.text:
                stored.append(self._segment(video.id, spoken, audio.start_s, transcript.language))
            done = spoken.end_s / audio.duration_s
            ctx.report(0.1 + 0.9 * min(1.0, done), f"Transcribing ({transcript.language}): {len(stored)} segments")
        if not stored:
            self._no_speech(ctx)
            return
        ctx.segments.replace_for_stage(video.id, self.name, stored)
        ctx.summary = f"{len(stored)} segments ({transcript.language})"
        ctx.report(1.0, ctx.summary)

    def _no_speech(self, ctx: StageContext) -> None:
        assert ctx.segments is not None
        ctx.segments.replace_for_stage(ctx.video.id, self.name, [])
        ctx.summary = NO_SPEECH
        ctx.report(1.0, NO_SPEECH)

    def _segment(self, video_id: str, spoken: SpokenSegment, offset_s: float, language: str) -> TextSegment:
        words = [Word(w.text, round(w.start_s + offset_s, 3), round(w.end_s + offset_s, 3), round(w.probability, 4))
                 for w in spoken.words if w.text]
        return TextSegment(video_id=video_id, kind="speech", stage=self.name, version=self.version,
                           start_s=round(spoken.start_s + offset_s, 3), end_s=round(spoken.end_s + offset_s, 3),
                           text=spoken.text, language=language, confidence=round(spoken.confidence, 4),
                           words=words)
