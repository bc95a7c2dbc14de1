"""Stage: the visual pass — shots, keyframes, timeline sprite, black segments, features."""

from __future__ import annotations

from pathlib import Path

from core.pipeline.stage import StageContext
from core.visual.shots import ShotDetector
from core.visual.visual_pass import run_visual_pass


class VisualStage:
    name = "visual"
    title = "Shots + keyframes"
    version = 1 * 100 + ShotDetector.version  # bump either to re-run stored results
    weight = 10.0
    requires: tuple[str, ...] = ("probe",)

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        out_dir = ctx.media_dir / "videos" / video.id
        ctx.report(0.0, "Decoding")
        result = run_visual_pass(Path(video.path), video.id, ctx.require_media(), out_dir, ctx.report)
        ctx.shots.replace_for_video(video.id, result.shots)
        ctx.videos.save_visual(video.id, result.timeline, result.black_segments)
        ctx.report(1.0, f"{len(result.shots)} shots")
