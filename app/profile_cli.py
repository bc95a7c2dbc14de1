"""`vip profile`: show or change which analysis stages a project's jobs run, headless."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from app.settings import Settings
from app.wiring import Services, with_services
from core.errors import VipError
from core.models import Project
from core.models.profile import AnalysisProfile
from core.services.profiles import ProfileService, StageChoice
from core.services.projects import DEFAULT_PROJECT


def split_names(values: list[str] | None) -> list[str]:
    """`--off speakers,people --off ocr` -> ['speakers', 'people', 'ocr'] (case and spaces ignored)."""
    return [n.strip().lower() for value in values or [] for n in value.split(",") if n.strip()]


def _state(choice: StageChoice) -> str:
    if choice.essential:
        return "on (always)"
    if not choice.on:
        return "off"
    if choice.blocked_by:
        return f"off (needs {', '.join(choice.blocked_by)})"
    return "on"


def _write(out: TextIO, project: Project, profile: AnalysisProfile, profiles: ProfileService,
           as_json: bool) -> None:
    choices = profiles.choices(profile)
    if as_json:
        out.write(json.dumps({
            "project": project.name, "project_id": project.id, "translate_to": profile.translate_to,
            "stages": [{"name": c.name, "title": c.title, "on": c.on, "runs": c.runs, "essential": c.essential,
                        "blocked_by": list(c.blocked_by)} for c in choices],
        }) + "\n")
        return
    out.write(f"Analysis profile of “{project.name}”\n")
    for choice in choices:
        out.write(f"  {choice.name:<10} {_state(choice):<22} {choice.title}\n")
    out.write(f"  Translation target: {profile.translate_to}\n")


async def run_profile(settings: Settings, project_name: str | None, on: list[str] | None, off: list[str] | None,
                      translate_to: str | None, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Show the project's stages on and off (default project: Default); with --on/--off/--translate-to,
    change them first. Changing needs --project, so a typo'd command never edits the wrong project."""
    on_names, off_names = split_names(on), split_names(off)
    changing = bool(on_names or off_names or translate_to is not None)

    async def body(services: Services) -> int:
        profiles = services.profiles
        if profiles is None:
            raise VipError("analysis profiles are not available in this setup")
        if changing and project_name is None:
            raise VipError("say which project to change: `vip profile --project NAME --off STAGE`")
        profiles.check_names([*on_names, *off_names])
        if project_name is None or project_name.strip() == DEFAULT_PROJECT:
            project = await services.projects.ensure()  # the app's own project, there from the first start
        else:
            found = await services.projects.find(project_name)
            if found is None:
                names = ", ".join(p.name for p in await services.projects.all()) or "none yet"
                raise VipError(f"no project named {project_name!r} (projects: {names})")
            project = found
        if changing:
            profile = await profiles.change(project.id, on_names, off_names, translate_to)
        else:
            profile = await profiles.get(project.id)
        _write(out, project, profile, profiles, as_json)
        if changing and not as_json:
            absent = [n for n in [*on_names, *off_names] if n not in profiles.stage_names]
            if absent:
                out.write(f"Note: this version has no {', '.join(absent)} stage yet; "
                          "the choice is kept for when it has.\n")
            out.write("New jobs of this project follow it; queued and running ones keep their stages.\n")
        return 0

    return await with_services(settings, body)
