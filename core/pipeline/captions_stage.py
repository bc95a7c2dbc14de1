"""Stage: keyframe captions and labels from the vision provider routed to the project.

Only when a vision provider is routed to the project's "captioner" (Providers page); with
none the stage says so and stores nothing (not a failure). Each shot's keyframe gets a
one-sentence caption and a few labels, stored as segments of kind "caption" (the shot's
time range); the embed stage makes them searchable (modality "visual"). Calls go through the
gateway: an image already captioned (same bytes, same model) costs nothing the second time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.errors import VipError
from core.models.segment import SegmentKind, TextSegment
from core.pipeline.stage import StageContext
from core.providers.access import ProviderAccess
from core.providers.base import ProviderRequest
from core.models.routing import Route

NOT_CONFIGURED = "No vision provider chosen for this project (Providers page): no captions"
MAX_KEYFRAMES = 200  # per video: caps what one long video can cost


class CaptionsStage:
    name = "captions"
    title = "Keyframe captions"
    version = 1
    weight = 3.0  # one vision call per shot, a second or two each
    requires: tuple[str, ...] = ("visual",)

    def __init__(self, providers: ProviderAccess | None = None) -> None:
        self.providers = providers

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        route = self.providers.route(video.project_id, "captioner") if self.providers else Route()
        if route.is_local or self.providers is None:
            ctx.segments.replace_for_stage(video.id, self.name, [])
            ctx.summary = NOT_CONFIGURED
            return
        shots = [s for s in ctx.shots.for_video(video.id) if s.keyframe_path][:MAX_KEYFRAMES]
        captions: list[TextSegment] = []
        stopped = ""
        for i, shot in enumerate(shots):
            ctx.report(i / max(1, len(shots)), f"Captioning keyframe {i + 1} of {len(shots)}")
            image = Path(str(shot.keyframe_path))
            request = ProviderRequest(
                provider=route.provider, model=route.model, operation="vision",
                payload={"image_path": str(image), "image_sha256": hashlib.sha256(image.read_bytes()).hexdigest(),
                         "labels": True, "max_tokens": 120},
                estimate={"images": 1.0, "input_tokens": 100.0, "output_tokens": 80.0},
                project_id=video.project_id, video_id=video.id, job_id=ctx.job_id or None)
            try:
                data = self.providers.call(request)
            except VipError as exc:  # budget reached, provider down: keep what we have, say why
                stopped = str(exc)
                break
            text = str(data.get("text", "")).strip()
            labels = [str(label) for label in data.get("labels") or []]
            if text or labels:
                captions.append(TextSegment(
                    video_id=video.id, kind=SegmentKind.CAPTION, stage=self.name, version=self.version,
                    start_s=shot.start_s, end_s=shot.end_s,
                    text=text + (f" [{', '.join(labels)}]" if labels else "")))
        ctx.segments.replace_for_stage(video.id, self.name, captions)
        ctx.summary = f"{len(captions)} captions ({route.provider}/{route.model})"
        if stopped:
            if not captions:
                raise VipError(f"No captions: {stopped}")
            ctx.summary += f"; stopped early: {stopped}"
        ctx.report(1.0, ctx.summary)
