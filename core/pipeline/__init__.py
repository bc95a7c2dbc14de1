"""The analysis pipeline: stages, the job runner that executes them, progress reporting."""

from collections.abc import Callable
from pathlib import Path

from core.pipeline.captions_stage import CaptionsStage
from core.pipeline.embed_stage import EmbedStage
from core.pipeline.faces_stage import FacesStage
from core.pipeline.ocr_stage import OcrStage
from core.pipeline.people_stage import PeopleStage
from core.pipeline.probe_stage import ProbeStage
from core.pipeline.runner import JobRunner
from core.pipeline.speakers_stage import SpeakersStage
from core.pipeline.speech_stage import SpeechStage
from core.pipeline.stage import Stage, StageContext
from core.pipeline.summary_stage import SummaryStage
from core.pipeline.translate_stage import TranslateStage, english
from core.pipeline.visual_stage import VisualStage
from core.models import Video
from core.providers.access import ProviderAccess
from core.repositories.people import PeopleRepository

__all__ = ["CaptionsStage", "EmbedStage", "FacesStage", "JobRunner", "OcrStage", "PeopleStage", "ProbeStage",
           "SpeakersStage", "SpeechStage", "Stage", "StageContext", "SummaryStage", "TranslateStage", "VisualStage",
           "default_stages"]


def default_stages(data_dir: Path | None = None, providers: ProviderAccess | None = None,
                   people: Callable[[], PeopleRepository] | None = None,
                   target_language: Callable[[Video], str | None] | None = None) -> list[Stage]:
    """Return the pipeline's stages in pipeline order (docs/ARCHITECTURE.md §5); the job runner
    starts each once the earlier stages it requires or uses have ended, heaviest remaining work first.

    `data_dir` holds the user models dir (`models/`); by default the folder above the
    media cache the runner is given. `providers` gives the stages that may call cloud
    providers (speech, captions, summary) the project's routing and the gateway; None: local only.
    `people` opens the worker's people repository (the people stage keeps people there);
    `target_language` says which language a video's transcript is translated into (its project's
    analysis profile; None: English). The translate stage shares the speech stage's Whisper.
    """
    speech = SpeechStage(data_dir, providers=providers)
    translate = TranslateStage(data_dir, providers=providers, target_language=target_language or english,
                               loader=speech.loader)
    return [ProbeStage(), VisualStage(), speech, SpeakersStage(data_dir), translate, OcrStage(data_dir),
            CaptionsStage(providers), EmbedStage(data_dir), SummaryStage(providers), FacesStage(data_dir),
            PeopleStage(data_dir, people)]
