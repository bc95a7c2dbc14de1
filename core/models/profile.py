"""A project's analysis profile: which pipeline stages its jobs run, and the translation target.

Stored per project in the `analysis_profiles` collection (core/repositories/profiles.py), shape
{_id: project_id, enabled: [stage], disabled: [stage], translate_to: "en", updated_at}.
`enabled`/`disabled` hold only what the operator chose; a stage in neither takes its default
(every stage on except those in DEFAULT_OFF), so stages added in a later release get their
default in every existing project. The essential stages always run.

This module is data and pure functions: it knows stage *names*, never the stage objects
(core.models must not import core.pipeline). The pipeline's own order comes from the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# The stages every job runs: the others read their output (media info, shots, keyframes).
ESSENTIAL_STAGES: tuple[str, ...] = ("probe", "visual")
# Off unless the operator switches them on (translation needs a target language chosen).
DEFAULT_OFF: frozenset[str] = frozenset({"translate"})
DEFAULT_TRANSLATE_TO = "en"
# Every stage the operator may know by name, in pipeline order, with the title shown in the GUI
# and the CLI. A stage the running pipeline lacks is left out of the lists shown; one the
# pipeline has but this table does not is shown by its name.
STAGE_TITLES: dict[str, str] = {
    "probe": "Probe + poster",
    "visual": "Shots + keyframes",
    "speech": "Speech transcript",
    "speakers": "Speakers (who speaks when)",
    "translate": "Translation of the transcript",
    "ocr": "On-screen text",
    "captions": "Keyframe captions",
    "embed": "Search embeddings",
    "summary": "Summary",
    "faces": "Faces",
    "people": "People (faces grouped by person)",
}
OFF_MESSAGE = "Off in this project's analysis profile"
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def stage_title(name: str) -> str:
    return STAGE_TITLES.get(name, name)


def normalize_language(code: str) -> str | None:
    """'EN', ' pt-br ' -> 'en', 'pt-BR' style code, or None if it is not a language code (BCP 47 subset)."""
    text = code.strip().replace("_", "-").lower()
    if not _LANGUAGE.match(text):
        return None
    primary, *rest = text.split("-")
    return "-".join([primary, *(part.upper() if len(part) == 2 else part for part in rest)])


@dataclass(frozen=True)
class AnalysisProfile:
    """The operator's choices for one project; `is_on` applies the defaults for the rest."""

    enabled: frozenset[str] = field(default_factory=frozenset)
    disabled: frozenset[str] = field(default_factory=frozenset)
    translate_to: str = DEFAULT_TRANSLATE_TO

    def is_on(self, name: str) -> bool:
        """Whether the operator wants stage `name` (essential stages: always)."""
        if name in ESSENTIAL_STAGES:
            return True
        if name in self.disabled:
            return False
        if name in self.enabled:
            return True
        return name not in DEFAULT_OFF

    def with_changes(self, on: Iterable[str] = (), off: Iterable[str] = (),
                     translate_to: str | None = None) -> AnalysisProfile:
        """A copy with stages `on` switched on and `off` switched off (essential ones are ignored)."""
        on_set = frozenset(on) - set(ESSENTIAL_STAGES)
        off_set = frozenset(off) - set(ESSENTIAL_STAGES)
        return replace(self, enabled=(self.enabled - off_set) | on_set, disabled=(self.disabled - on_set) | off_set,
                       translate_to=self.translate_to if translate_to is None else translate_to)

    def to_doc(self) -> dict[str, Any]:
        return {"enabled": sorted(self.enabled), "disabled": sorted(self.disabled), "translate_to": self.translate_to}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> AnalysisProfile:
        if not doc:
            return cls()
        return cls(enabled=frozenset(doc.get("enabled") or ()), disabled=frozenset(doc.get("disabled") or ()),
                   translate_to=doc.get("translate_to") or DEFAULT_TRANSLATE_TO)


def optional_stages(stage_names: Sequence[str]) -> list[str]:
    """The stages of this pipeline that a profile may switch off, in pipeline order."""
    return [n for n in stage_names if n not in ESSENTIAL_STAGES]


def blocked_by(name: str, profile: AnalysisProfile, stage_names: Sequence[str],
               requires: Mapping[str, Sequence[str]]) -> list[str]:
    """The stages `name` requires that this profile leaves out (directly or through their own
    requirements); a required stage this pipeline does not have is not counted."""
    missing: list[str] = []
    for needed in requires.get(name, ()):
        if needed not in stage_names:
            continue
        if not profile.is_on(needed) or blocked_by(needed, profile, stage_names, requires):
            missing.append(needed)
    return missing


def stages_to_run(stage_names: Sequence[str], profile: AnalysisProfile,
                  requires: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The names, from the pipeline's ordered `stage_names`, that a job of this profile runs.

    Essential stages always; a stage switched off is left out, and so is one that requires
    (per `requires`: stage name -> names it needs) a stage left out, so it does not fail
    for want of its input ("speakers" with "speech" off).
    """
    requires = requires or {}
    return [n for n in stage_names if profile.is_on(n) and not blocked_by(n, profile, stage_names, requires)]
