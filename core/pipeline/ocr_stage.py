"""Stage: on-screen text — OCR of sampled frames and each shot's keyframe (rapidocr, PP-OCR).

The frames come from the visual pass's single decode when this job ran it (core.ocr.frames)."""

from __future__ import annotations

from pathlib import Path

from threadpoolctl import threadpool_limits

from core.models.segment import Box, SegmentKind, TextSegment
from core.modelstore import PP_OCR, ModelLoader
from core.ocr import OcrEngine, TrackBuilder, iter_ocr_frames
from core.ocr.frames import EVERY_S, MAX_WIDTH
from core.ocr.sparse import SparseReader
from core.ocr.tracks import TextTrack
from core.pipeline.stage import StageContext
from core.visual.sampled_frames import read_sampled_frames, sampled_frames_dir

NO_TEXT = "No on-screen text"


class OcrStage:
    name = "ocr"
    title = "On-screen text"
    version = 2  # v2: a near-miss reading no longer continues a track across a cut or a changed number
    # Measured on 2 cores: ~0.06-0.15 s per read frame (detector ≤ 640 px), one sample a second at
    # most, unchanged pictures skipped and about every other sample read while the text stays: about
    # the visual pass's time (bench_pipeline: 32 s against 30 s for 5 minutes of 720p; weight 10).
    weight = 10.0
    requires: tuple[str, ...] = ("probe", "visual")

    def __init__(self, data_dir: Path | None = None, cpu_threads: int = 2, every_s: float = EVERY_S,
                 max_width: int = MAX_WIDTH, skip: int = 1) -> None:
        """`data_dir` holds `models/`; by default the folder above the media cache. Two threads
        that sleep while they wait (core.ocr.engine): OCR runs beside speech (the runner's lanes)
        and has both cores once speech is done (bench_pipeline: 113.8 s against 129.2 s with one
        thread, 139.8 s with two spinning threads and Whisper on two, before the sparse reading
        and the 640 px detector)."""
        self.data_dir = data_dir
        self.loader = ModelLoader(lambda store: OcrEngine(store.files(PP_OCR.name), cpu_threads))
        self.every_s = every_s
        self.max_width = max_width
        self.skip = skip  # core.ocr.sparse: changed samples in a row left unread while the text stays

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        media = ctx.require_media()
        ctx.report(0.0, "Loading the OCR model")
        engine = self.loader.get(self.data_dir or ctx.data_dir)
        shots = ctx.shots.for_video(video.id)
        keyframes = [s.keyframe_s for s in shots if s.keyframe_path]
        builder = TrackBuilder(cuts=[s.start_s for s in shots[1:]])
        reader = SparseReader(builder, engine.read, self.skip)
        end_s = media.start_s + media.duration_s
        ctx.report(0.02, "Reading on-screen text")
        with threadpool_limits(limits=1, user_api="blas"):
            sampled = read_sampled_frames(sampled_frames_dir(ctx.media_dir, video.id))
            for frame in iter_ocr_frames(Path(video.path), media, keyframes, self.every_s, self.max_width, sampled):
                reader.feed(frame)
                ctx.report(0.02 + 0.97 * media.fraction_at(frame.time_s), f"Read {reader.reads} frames")
            reader.finish()
        tracks = builder.finish()
        segments = [self._segment(video.id, t, end_s) for t in tracks]
        ctx.segments.replace_for_stage(video.id, self.name, segments)
        ctx.summary = f"{len(segments)} text segments" if segments else NO_TEXT
        ctx.report(1.0, ctx.summary)

    def _segment(self, video_id: str, track: TextTrack, end_s: float) -> TextSegment:
        boxes = [Box(round(x), round(y), max(1, round(w)), max(1, round(h)), round(score, 4))
                 for x, y, w, h, score in track.boxes]
        end = min(track.last_s + self.every_s, end_s) if end_s > track.last_s else track.last_s + self.every_s
        return TextSegment(video_id=video_id, kind=SegmentKind.OCR, stage=self.name, version=self.version,
                           start_s=round(track.start_s, 3), end_s=round(end, 3), text=track.text,
                           confidence=round(track.confidence, 4), boxes=boxes)
