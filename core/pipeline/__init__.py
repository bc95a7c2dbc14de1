"""The analysis pipeline: stages, the job runner that executes them, progress reporting.

The stage classes are imported on first use (PEP 562): the GUI and the CLI only need the
stage names (STAGE_NAMES) to create jobs, not the decoders and model runtimes behind them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.pipeline.captions_stage import CaptionsStage
    from core.pipeline.embed_stage import EmbedStage
    from core.pipeline.faces_stage import FacesStage
    from core.pipeline.ocr_stage import OcrStage
    from core.pipeline.probe_stage import ProbeStage
    from core.pipeline.runner import JobRunner
    from core.pipeline.speech_stage import SpeechStage
    from core.pipeline.stage import Stage, StageContext
    from core.pipeline.summary_stage import SummaryStage
    from core.pipeline.visual_stage import VisualStage
    from core.providers.access import ProviderAccess

# The stages in the order they run (ARCHITECTURE.md §5); default_stages() builds exactly these.
STAGE_NAMES = ("probe", "visual", "speech", "ocr", "captions", "embed", "summary", "faces")

_HOMES = {
    "CaptionsStage": "captions_stage", "EmbedStage": "embed_stage", "FacesStage": "faces_stage",
    "OcrStage": "ocr_stage", "ProbeStage": "probe_stage", "JobRunner": "runner", "SpeechStage": "speech_stage",
    "Stage": "stage", "StageContext": "stage", "SummaryStage": "summary_stage", "VisualStage": "visual_stage",
}

__all__ = ["STAGE_NAMES", "CaptionsStage", "EmbedStage", "FacesStage", "JobRunner", "OcrStage", "ProbeStage",
           "SpeechStage", "Stage", "StageContext", "SummaryStage", "VisualStage", "default_stages"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'core.pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(f"core.pipeline.{_HOMES[name]}"), name)


def default_stages(data_dir: Path | None = None, providers: ProviderAccess | None = None) -> list[Stage]:
    """Return the pipeline's stages in the order they run (STAGE_NAMES).

    `data_dir` holds the user models dir (`models/`); by default the folder above the
    media cache the runner is given. `providers` gives the stages that may call cloud
    providers (speech, captions, summary) the project's routing and the gateway; None: local only.
    """
    from core.pipeline.captions_stage import CaptionsStage
    from core.pipeline.embed_stage import EmbedStage
    from core.pipeline.faces_stage import FacesStage
    from core.pipeline.ocr_stage import OcrStage
    from core.pipeline.probe_stage import ProbeStage
    from core.pipeline.speech_stage import SpeechStage
    from core.pipeline.summary_stage import SummaryStage
    from core.pipeline.visual_stage import VisualStage

    return [ProbeStage(), VisualStage(), SpeechStage(data_dir, providers=providers), OcrStage(data_dir),
            CaptionsStage(providers), EmbedStage(data_dir), SummaryStage(providers), FacesStage(data_dir)]
