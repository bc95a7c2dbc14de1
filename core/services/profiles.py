"""Read, change and apply a project's analysis profile (async; GUI loop or CLI)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.errors import VipError
from core.models.profile import (
    ESSENTIAL_STAGES,
    STAGE_TITLES,
    AnalysisProfile,
    blocked_by,
    normalize_language,
    optional_stages,
    stage_title,
    stages_to_run,
)
from core.repositories.profiles import AsyncProfileRepository


@dataclass(frozen=True)
class StageChoice:
    """One stage of the pipeline as the profile page and `vip profile` show it."""

    name: str
    title: str
    on: bool  # what the profile says (essential stages: always)
    essential: bool
    blocked_by: tuple[str, ...] = ()  # stages it requires that are off: it does not run either

    @property
    def runs(self) -> bool:
        return self.on and not self.blocked_by


class ProfileService:
    """The profiles of the projects over the pipeline whose stages are `stage_names` (in order);
    `requires` (stage -> the stages it needs) keeps a stage whose input is off out of jobs."""

    def __init__(self, profiles: AsyncProfileRepository, stage_names: Sequence[str],
                 requires: Mapping[str, Sequence[str]] | None = None) -> None:
        self._profiles = profiles
        self.stage_names = list(stage_names)
        self._requires = dict(requires or {})

    async def get(self, project_id: str) -> AnalysisProfile:
        return await self._profiles.get(project_id)

    async def stages_for(self, project_id: str) -> list[str]:
        """The stage names a new job of this project runs, in pipeline order."""
        return stages_to_run(self.stage_names, await self._profiles.get(project_id), self._requires)

    def choices(self, profile: AnalysisProfile) -> list[StageChoice]:
        """Every stage of this pipeline, on or off under `profile`, in pipeline order."""
        return [StageChoice(name, stage_title(name), profile.is_on(name), name in ESSENTIAL_STAGES,
                            tuple(blocked_by(name, profile, self.stage_names, self._requires)))
                for name in self.stage_names]

    def optional(self) -> list[str]:
        """The stages of this pipeline a project may switch off."""
        return optional_stages(self.stage_names)

    def known(self) -> list[str]:
        """The names a profile may switch: this pipeline's optional stages, then those the
        catalogue (STAGE_TITLES) knows that this pipeline lacks (kept for a version that has them)."""
        names = self.optional()
        return names + [n for n in optional_stages(list(STAGE_TITLES)) if n not in names]

    async def save(self, project_id: str, profile: AnalysisProfile) -> AnalysisProfile:
        """Check and store the project's profile; new jobs of the project follow it."""
        language = normalize_language(profile.translate_to)
        if language is None:
            raise VipError(f"{profile.translate_to!r} is not a language code: use one like en, de or pt-BR")
        profile = AnalysisProfile(profile.enabled, profile.disabled, language)
        await self._profiles.set(project_id, profile)
        return profile

    async def change(self, project_id: str, on: Iterable[str] = (), off: Iterable[str] = (),
                     translate_to: str | None = None) -> AnalysisProfile:
        """Switch stages on or off by name and/or set the target language; unknown names are refused."""
        on, off = list(on), list(off)
        self.check_names([*on, *off])
        both = sorted(set(on) & set(off))
        if both:
            raise VipError(f"{', '.join(both)}: asked to be both on and off")
        profile = (await self._profiles.get(project_id)).with_changes(on, off, translate_to)
        return await self.save(project_id, profile)

    def check_names(self, names: Iterable[str]) -> None:
        """Raise VipError naming the stages that cannot be switched, with the valid ones."""
        valid = self.known()
        essential = [n for n in names if n in ESSENTIAL_STAGES]
        if essential:
            raise VipError(f"{', '.join(essential)}: always run (every other stage needs them); "
                           f"stages that can be switched: {', '.join(valid)}")
        unknown = [n for n in names if n not in valid]
        if unknown:
            raise VipError(f"unknown stage{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                           f"stages that can be switched: {', '.join(valid)}")
