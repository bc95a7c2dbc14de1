"""Stage: probe metadata and pick an upright, non-black poster frame."""

from __future__ import annotations

from pathlib import Path

from core.media.poster import pick_poster, save_poster
from core.media.probe import probe
from core.pipeline.stage import StageContext


class ProbeStage:
    name = "probe"
    title = "Probe + poster"
    version = 1
    weight = 1.0
    requires: tuple[str, ...] = ()

    def run(self, ctx: StageContext) -> None:
        path = Path(ctx.video.path)
        ctx.report(0.0, "Reading container and streams")
        media = probe(path)
        # Metadata first: the library shows duration and resolution while the poster is chosen
        # (seconds on a long video with few keyframes). An earlier analysis's poster stays until then.
        ctx.videos.save_probe(ctx.video.id, media, ctx.video.poster_path)
        ctx.report(0.2, f"{media.resolution}, {media.duration_s:.1f} s — choosing a poster")
        image, _ = pick_poster(path, media, lambda f, m: ctx.report(0.2 + 0.75 * f, m))
        poster = save_poster(image, ctx.media_dir / "posters", ctx.video.id)
        ctx.videos.save_probe(ctx.video.id, media, str(poster))
        ctx.report(1.0, "Probed")
