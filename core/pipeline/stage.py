"""What a pipeline stage is, and what it gets to work with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.models import Video
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
    media_dir: Path
    report: ProgressSink
    segments: SegmentRepository | None = None
    summary: str = ""  # a stage may set a one-line outcome ("No speech"); else "Done"


class Stage(Protocol):
    """One step of the pipeline; idempotent, so a re-queued job can run it again."""

    name: str
    title: str  # shown to operators, e.g. "Probe + poster"
    version: int  # bump when the output changes; stored outputs of older versions re-run
    weight: float  # share of the job's total time, for overall progress and ETA
    requires: tuple[str, ...]  # stages that must have succeeded first (others still run)

    def run(self, ctx: StageContext) -> None: ...
