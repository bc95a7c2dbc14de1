"""Stage: summary — an overview and timestamped chapters, and a commentary script.

With an LLM routed to the project's summarizer, it writes the summary and the commentary
(through the gateway: cached, budgeted, ledgered). Without one — or when the provider fails
or the budget is reached — the stage stores the local extractive summary (core/summary),
clearly labelled, and says why in its message. Runs in a worker process.
"""

from __future__ import annotations

from core.errors import VipError
from core.pipeline.stage import StageContext
from core.providers.access import ProviderAccess
from core.models.routing import Route
from core.models.passage import Passage
from core.summary.extractive import local_summary
from core.summary.llm import llm_summary


class SummaryStage:
    name = "summary"
    title = "Summary"
    version = 2  # 2: sentences at their own times, on-screen text, no sign-off filler
    weight = 0.5  # the local summary takes well under a second; an LLM call a few seconds
    requires: tuple[str, ...] = ("probe", "visual")
    uses: tuple[str, ...] = ("speech", "ocr", "embed")  # reads their output where there is any

    def __init__(self, providers: ProviderAccess | None = None) -> None:
        self.providers = providers

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        media = ctx.require_media()
        shots = ctx.shots.for_video(video.id)
        on_screen = ctx.segments.for_video(video.id, "ocr")
        end_s = media.start_s + media.duration_s
        route = self.providers.route(video.project_id, "summarizer") if self.providers else Route()
        why_local = ""
        if not route.is_local and self.providers is not None:
            ctx.report(0.1, f"Asking {route.provider}/{route.model} for the summary")
            try:
                summary = llm_summary(self.providers.call, route.provider, route.model, video.name,
                                      media.duration_s, media.start_s, ctx.segments.for_video(video.id, "speech"),
                                      on_screen, shots, project_id=video.project_id, video_id=video.id,
                                      job_id=ctx.job_id or None)
            except VipError as exc:  # ProviderError, BudgetExceeded, UnknownPrice, a bad answer
                why_local = f"{exc} — local summary instead"
            else:
                ctx.segments.summaries.replace_for_video(video.id, summary, self.name, self.version)
                ctx.summary = f"{len(summary.chapters)} chapters, {len(summary.commentary)} commentary lines"
                ctx.report(1.0, ctx.summary)
                return
        lines = [p for p in ctx.segments.passages.for_video(video.id) if p.unit == "line"]
        if not lines:  # no embeddings (embed not run): the transcript itself, in the order it was said
            lines = [Passage(s.id, video.id, "speech", "line", s.start_s, s.end_s, s.text)
                     for s in ctx.segments.for_video(video.id, "speech")]
        summary = local_summary(shots, lines, on_screen, media.start_s, end_s)
        ctx.segments.summaries.replace_for_video(video.id, summary, self.name, self.version)
        ctx.summary = f"{len(summary.chapters)} chapters (local extractive)" + (f"; {why_local}" if why_local else "")
        ctx.report(1.0, ctx.summary)
