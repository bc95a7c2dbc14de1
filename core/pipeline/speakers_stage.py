"""Stage: speakers — who speaks each transcript line (diarization, offline).

pyannote's segmentation-3.0 (ONNX) finds speech turns and overlaps in sliding windows;
the windows' local speakers are linked into speakers of the whole file by GE2E voice
embeddings (Resemblyzer's encoder, run in numpy) together with MFCC + pitch statistics
(core.speech.diarization, where benchmarks/bench_diarization.py's measurements are summed up). Each transcript line then gets the speaker it overlaps most ("S1", "S2"...,
numbered in order of first appearance in the transcript), and the video records its speakers
(the operator's names for labels still present survive a re-run). Runs in a worker process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.models.segment import TextSegment
from core.modelstore import PYANNOTE_SEGMENTATION, RESEMBLYZER_ENCODER, ModelLoader, ModelStore
from core.pipeline.stage import StageContext
from core.speech import decode_audio

if TYPE_CHECKING:
    from core.speech.diarization import Diarizer

NO_SPEECH = "No speech"
MODEL_FILE = "segmentation-3.0.onnx"
ENCODER_FILE = "pretrained.pt"


def speaker_labels(speakers: list[int | None]) -> list[str | None]:
    """Diarization's speaker numbers as labels numbered by first appearance: [3, 1, 3] -> S1, S2, S1."""
    order: dict[int, str] = {}
    for number in speakers:
        if number is not None and number not in order:
            order[number] = f"S{len(order) + 1}"
    return [order[n] if n is not None else None for n in speakers]


class SpeakersStage:
    name = "speakers"
    title = "Speakers"
    version = 1
    weight = 1.5  # segmentation + voice embeddings + linking ≈ 0.03× real time on 2 cores (bench_diarization)
    requires: tuple[str, ...] = ("probe", "speech")

    def __init__(self, data_dir: Path | None = None) -> None:
        """Imports nothing heavy: the GUI and the CLI build the stage list only for its names."""
        self.data_dir = data_dir
        self.loader = ModelLoader(_load_diarizer)

    def run(self, ctx: StageContext) -> None:
        from core.speech.diarization import assign_speakers

        video = ctx.video
        media = ctx.require_media()
        lines = [s for s in ctx.segments.for_video(video.id, "speech") if s.stage == "speech"]
        if not lines:
            ctx.videos.save_speakers(video.id, [])
            ctx.summary = NO_SPEECH
            ctx.report(1.0, ctx.summary)
            return
        ctx.report(0.0, "Loading the speaker model")
        diarizer = self.loader.get(self.data_dir or ctx.data_dir)
        audio = decode_audio(Path(video.path), lambda f: ctx.report(0.02 + 0.18 * f, "Decoding audio"),
                             media.duration_s)
        if audio is None or not len(audio.samples):
            ctx.videos.save_speakers(video.id, [])
            ctx.summary = NO_SPEECH
            ctx.report(1.0, ctx.summary)
            return
        turns = diarizer.diarize(audio.samples, lambda f: ctx.report(0.2 + 0.75 * f, "Finding who speaks when"))
        # transcript lines carry media (PTS) times; the decoded audio starts at audio.start_s
        spans = [(s.start_s - audio.start_s, s.end_s - audio.start_s) for s in lines]
        labels = speaker_labels(assign_speakers(spans, turns))
        labelled = [_with_speaker(s, label) for s, label in zip(lines, labels)]
        ctx.segments.replace_for_stage(video.id, "speech", labelled)
        found = sorted({label for label in labels if label}, key=lambda lab: int(lab[1:]))
        ctx.videos.save_speakers(video.id, found)
        ctx.summary = f"{len(found)} speaker{'s' if len(found) != 1 else ''}" if found else NO_SPEECH
        ctx.report(1.0, ctx.summary)


def _load_diarizer(store: ModelStore) -> Diarizer:
    from core.speech.diarization import Diarizer  # onnxruntime: only in the worker that runs the stage
    from core.speech.voice_encoder import VoiceEncoder

    segmentation = store.files(PYANNOTE_SEGMENTATION.name)[MODEL_FILE]
    encoder = VoiceEncoder.from_file(store.files(RESEMBLYZER_ENCODER.name)[ENCODER_FILE])
    return Diarizer(segmentation, voice_encoder=encoder)


def _with_speaker(segment: TextSegment, label: str | None) -> TextSegment:
    segment.speaker = label
    return segment
