"""The analysis pipeline: stages, the job runner that executes them, progress reporting."""

from pathlib import Path

from core.pipeline.embed_stage import EmbedStage
from core.pipeline.faces_stage import FacesStage
from core.pipeline.ocr_stage import OcrStage
from core.pipeline.probe_stage import ProbeStage
from core.pipeline.runner import JobRunner
from core.pipeline.speech_stage import SpeechStage
from core.pipeline.stage import Stage, StageContext
from core.pipeline.summary_stage import SummaryStage
from core.pipeline.visual_stage import VisualStage

__all__ = ["EmbedStage", "FacesStage", "JobRunner", "OcrStage", "ProbeStage", "SpeechStage", "Stage", "StageContext",
           "SummaryStage", "VisualStage", "default_stages"]


def default_stages(data_dir: Path | None = None) -> list[Stage]:
    """Return the pipeline's stages in the order they run (ARCHITECTURE.md §5).

    `data_dir` holds the user models dir (`models/`); by default the folder above the
    media cache the runner is given.
    """
    return [ProbeStage(), VisualStage(), SpeechStage(data_dir), OcrStage(data_dir), EmbedStage(data_dir),
            SummaryStage(), FacesStage(data_dir)]
