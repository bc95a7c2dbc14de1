"""The analysis pipeline: stages, the job runner that executes them, progress reporting."""

from core.pipeline.probe_stage import ProbeStage
from core.pipeline.runner import JobRunner
from core.pipeline.stage import Stage, StageContext
from core.pipeline.visual_stage import VisualStage

__all__ = ["JobRunner", "ProbeStage", "Stage", "StageContext", "VisualStage", "default_stages"]


def default_stages() -> list[Stage]:
    """Return the pipeline's stages in the order they run (ARCHITECTURE.md §5)."""
    return [ProbeStage(), VisualStage()]
