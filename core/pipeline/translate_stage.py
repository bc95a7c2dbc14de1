"""Stage: translate — a second, translated track of the transcript (segments of kind "translation").

Into English, offline: Whisper's own `task="translate"` on the video's audio (the same local
model as the speech stage), its lines labelled with the speaker of the original line they
overlap most. Into any other language: the transcript's lines, in numbered batches, through the
LLM routed to the project's `capability` (the summarizer by default) via the gateway (cached,
budgeted, ledgered); each translated line keeps its original's times and speaker. Speech already
in the target language, or no speech, stores nothing and says so. Runs in a worker process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from core.errors import VipError
from core.models import Video
from core.models.segment import SegmentKind, TextSegment
from core.modelstore import ModelLoader
from core.pipeline.stage import StageContext
from core.providers.access import ProviderAccess
from core.models.routing import Route
from core.speech import Transcript, WhisperTranscriber, decode_audio
from core.speech.translation import language_name, llm_translate, speaker_at, translated_segments

NO_SPEECH = "No speech"


class TranslatingTranscriber(Protocol):
    def transcribe(self, samples: npt.NDArray[np.float32], on_vad: Callable[[float], None] | None = None,
                   task: str = "transcribe", language: str | None = None) -> Transcript | None:
        """16 kHz mono audio → Whisper's segments; `task="translate"` gives English text."""


def english(video: Video) -> str | None:
    """The default target language: English for every video."""
    return "en"


class TranslateStage:
    name = "translate"
    title = "Translation"
    version = 1
    # Whisper's translate pass costs about what the transcription did; an LLM run is network time.
    weight = 20.0
    requires: tuple[str, ...] = ("probe", "speech")
    uses: tuple[str, ...] = ("speakers",)  # copies their labels: re-run when they ran (order it after them)

    def __init__(self, data_dir: Path | None = None, model: str = "whisper-base", cpu_threads: int = 2,
                 providers: ProviderAccess | None = None,
                 target_language: Callable[[Video], str | None] = english,
                 capability: str = "summarizer",
                 loader: ModelLoader[WhisperTranscriber] | ModelLoader[TranslatingTranscriber] | None = None,
                 ) -> None:
        """`target_language(video)`: the language code to translate into ("en", "fr"...; None or ""
        means the project wants no translation). `providers`: routing and the gateway, for targets
        other than English (the LLM routed to `capability`); None: English only. `loader`: share
        the speech stage's Whisper loader (`SpeechStage.loader`) so a worker loads one model."""
        self.data_dir = data_dir
        self.providers = providers
        self.target_language = target_language
        self.capability = capability
        self.loader = loader or ModelLoader[TranslatingTranscriber](
            lambda store: WhisperTranscriber(store.resolve(model), model, cpu_threads))

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        speech = [s for s in ctx.segments.for_video(video.id, "speech") if s.text.strip()]
        target = (self.target_language(video) or "").strip().lower()
        if not speech:
            self._store(ctx, [], NO_SPEECH)
            return
        if not target:
            self._store(ctx, [], "No translation language chosen for this project")
            return
        source = _spoken_language(speech)
        if source == target:
            self._store(ctx, [], f"Already {language_name(target)}")
            return
        if target == "en":
            self._whisper(ctx, speech, source)
        else:
            self._llm(ctx, speech, source, target)

    # -- into English, offline ----------------------------------------------------------------

    def _whisper(self, ctx: StageContext, speech: list[TextSegment], source: str | None) -> None:
        video = ctx.video
        media = ctx.require_media()
        ctx.report(0.0, "Loading the speech model")
        transcriber: TranslatingTranscriber = self.loader.get(self.data_dir or ctx.data_dir)
        ctx.report(0.02, "Decoding audio")
        audio = None
        if media.has_audio:
            audio = decode_audio(Path(video.path), lambda f: ctx.report(0.02 + 0.06 * f, "Decoding audio"),
                                 media.duration_s)
        if audio is None or audio.duration_s <= 0:
            self._store(ctx, [], NO_SPEECH)
            return
        ctx.report(0.08, "Translating speech into English")
        transcript = transcriber.transcribe(audio.samples, task="translate", language=source)
        if transcript is None:
            self._store(ctx, [], NO_SPEECH)
            return
        stored: list[TextSegment] = []
        for spoken in transcript.segments:
            start, end = round(spoken.start_s + audio.start_s, 3), round(spoken.end_s + audio.start_s, 3)
            if spoken.text:
                stored.append(TextSegment(video_id=video.id, kind=SegmentKind.TRANSLATION, stage=self.name,
                                          version=self.version, start_s=start, end_s=end, text=spoken.text,
                                          language="en", confidence=round(spoken.confidence, 4),
                                          speaker=speaker_at(start, end, speech)))
            done = min(1.0, spoken.end_s / audio.duration_s)
            ctx.report(0.08 + 0.92 * done, f"Translating speech into English: {len(stored)} lines")
        if not stored:
            self._store(ctx, [], NO_SPEECH)
            return
        spoken_in = f" from {language_name(transcript.language)}" if transcript.language else ""
        self._store(ctx, stored, f"{len(stored)} lines in English{spoken_in} (Whisper)")

    # -- any other language, through the LLM ----------------------------------------------------

    def _llm(self, ctx: StageContext, speech: list[TextSegment], source: str | None, target: str) -> None:
        video = ctx.video
        name = language_name(target)
        route = self.providers.route(video.project_id, self.capability) if self.providers else Route()
        if route.is_local or self.providers is None:
            self._store(ctx, [], f"Not translated into {name}: no LLM chosen (Providers page, "
                                 f"{self.capability}); only English is translated offline")
            return
        who = f"{route.provider}/{route.model}"
        ctx.report(0.0, f"Translating into {name} with {who}")
        try:
            texts = llm_translate(self.providers.call, route.provider, route.model, [s.text for s in speech],
                                  target, source,
                                  lambda done, total: ctx.report(done / total, f"Translating into {name} with "
                                                                               f"{who}: batch {done + 1} of {total}"),
                                  project_id=video.project_id, video_id=video.id, job_id=ctx.job_id or None)
        except VipError as exc:  # ProviderError, BudgetExceeded, UnknownPrice, a bad answer
            raise VipError(f"Translation into {name} by {who} failed: {exc}") from exc
        self._store(ctx, translated_segments(speech, texts, target, self.name, self.version),
                    f"{len(texts)} lines in {name} by {who}")

    def _store(self, ctx: StageContext, segments: list[TextSegment], summary: str) -> None:
        ctx.segments.replace_for_stage(ctx.video.id, self.name, segments)
        ctx.summary = summary
        ctx.report(1.0, summary)


def _spoken_language(speech: list[TextSegment]) -> str | None:
    """The language most lines of the transcript are in (None when the transcript does not say)."""
    languages = Counter(s.language.lower() for s in speech if s.language)
    return languages.most_common(1)[0][0] if languages else None
