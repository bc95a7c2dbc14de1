"""What a pipeline stage is, and what it gets to work with.

Every stage (the `*_stage` modules) runs in a worker process, in one of the job runner's lane
threads (core.pipeline.runner): it reads and writes through the repositories its StageContext
carries and reports progress through `report`, never by writing the job record itself. The
pipeline order and the order stages start in are in docs/ARCHITECTURE.md §5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.errors import VipError
from core.models import MediaInfo, Video
from core.repositories import SegmentRepository, ShotRepository, VideoRepository


class ProgressSink(Protocol):
    def __call__(self, fraction: float, message: str = "") -> None:
        """Report progress 0..1 within the stage; raises JobCanceled or JobInterrupted."""


@dataclass
class StageContext:
    """Everything a stage may touch while it runs in a worker process."""

    video: Video
    videos: VideoRepository
    shots: ShotRepository
    segments: SegmentRepository
    media_dir: Path
    report: ProgressSink
    summary: str = ""  # a stage may set a one-line outcome ("No speech"); else "Done"
    job_id: str = ""  # provider calls carry it, so the job's cost can be summed from the ledger

    @property
    def data_dir(self) -> Path:
        """The data dir above the media cache; it holds the user models dir (`models/`)."""
        return self.media_dir.parent

    def require_media(self) -> MediaInfo:
        """The probe stage's metadata (stages that read the media list "probe" in `requires`)."""
        if self.video.media is None:
            raise VipError("The probe stage has not stored this video's metadata yet")
        return self.video.media


class Stage(Protocol):
    """One step of the pipeline; idempotent, so a re-queued job can run it again."""

    name: str
    title: str  # shown to operators, e.g. "Probe + poster"
    version: int  # bump when the output changes; stored outputs of older versions re-run
    weight: float  # share of the job's total time, for overall progress and ETA
    requires: tuple[str, ...]  # stages that must have succeeded first (others still run)
    # Optional `uses: tuple[str, ...]`: stages whose output it reads where there is any. A stage
    # re-runs, even when up to date, if a stage it requires or uses ran in the same job.

    def run(self, ctx: StageContext) -> None: ...
