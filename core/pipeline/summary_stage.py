"""Stage 7: summary — an overview and timestamped chapters of the video.

Without an LLM provider configured this is the local extractive summary (core/summary):
sentences picked from the transcript and on-screen text, clearly labelled as such.
"""

from __future__ import annotations

from core.pipeline.stage import StageContext
from core.summary.extractive import local_summary


class SummaryStage:
    name = "summary"
    title = "Summary"
    version = 1
    weight = 0.5  # the local summary is arithmetic on stored passages: well under a second
    requires: tuple[str, ...] = ("probe", "visual")
    uses: tuple[str, ...] = ("speech", "ocr", "embed")  # reads their output where there is any

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        media = ctx.require_media()
        shots = ctx.shots.for_video(video.id)
        lines = [p for p in ctx.segments.passages.for_video(video.id) if p.unit == "line"]
        on_screen = ctx.segments.for_video(video.id, "ocr")
        summary = local_summary(shots, lines, on_screen, media.start_s, media.start_s + media.duration_s)
        ctx.segments.summaries.replace_for_video(video.id, summary, self.name, self.version)
        ctx.summary = f"{len(summary.chapters)} chapters (local extractive)"
        ctx.report(1.0, ctx.summary)
