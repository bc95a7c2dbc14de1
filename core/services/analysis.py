"""The operator's action "analyse these paths": import, estimate the cloud cost, refuse a batch
that would pass the project's budget, queue. One use case for `vip analyze` and the REST API
(the GUI's own copy in ui/main_controller.py is to move here next: issue #15)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import VipError
from core.models import Job, Project
from core.services.importing import ImportItem, ImportService
from core.services.jobs import JobService
from core.services.projects import ProjectService
from core.services.providers import Estimate, ProviderService


class NothingToAnalyze(VipError):
    """No video file under the given paths."""


class OverBudget(VipError):
    """The batch's estimated cloud cost would pass the project's budget: nothing was queued."""

    def __init__(self, project: Project, estimate: Estimate) -> None:
        self.project, self.estimate = project, estimate
        super().__init__(f"Not queued: the estimated cloud cost would pass the budget of project "
                         f"'{project.name}'. {estimate.message()}")


@dataclass
class Queued:
    """What one "analyse" did: the project, one item per video file found, the estimate, and the
    job of each video (a video with an open job keeps it)."""

    project: Project
    items: list[ImportItem]
    estimate: Estimate
    jobs: list[Job]

    def job_of(self, item: ImportItem) -> Job:
        return self._by_video[item.video.id]

    def queued(self, item: ImportItem) -> bool:
        """False for a file `only_new` left out (its content was in the library already)."""
        return item.video.id in self._by_video

    @property
    def unique_jobs(self) -> list[Job]:
        """Each job once (two files with the same content are one video, one job)."""
        return list(self._by_video.values())

    def __post_init__(self) -> None:
        self._by_video = {job.video_id: job for job in self.jobs}


class AnalysisService:
    """Import, estimate, budget gate and queue, in that order, with one set of rules."""

    def __init__(self, projects: ProjectService, imports: ImportService, providers: ProviderService,
                 jobs: JobService) -> None:
        self._projects, self._imports, self._providers, self._jobs = projects, imports, providers, jobs

    async def analyze_paths(self, paths: list[Path], project_name: str | None = None, force: bool = False,
                            over_budget_ok: bool = False, only_new: bool = False) -> Queued:
        """Import every video under `paths` into the project (created if missing; None: Default)
        and queue their analysis. NothingToAnalyze when no video file is there; OverBudget (nothing
        queued) when the estimate passes the budget, unless `over_budget_ok`. `only_new`: a file
        whose content the project has already is not analysed again (watch folders)."""
        project = await self._projects.ensure(project_name)
        imported = await self._imports.import_paths(project.id, paths)
        if not imported.items:
            raise NothingToAnalyze("no video files found in " + ", ".join(map(str, paths)))
        videos = [item.video for item in imported.items if item.created or not only_new]
        if not videos:
            return Queued(project, imported.items, await self._providers.estimate(project.id, []), [])
        estimate = await self._providers.estimate(project.id, videos)
        if estimate.over_budget and not over_budget_ok:
            raise OverBudget(project, estimate)
        jobs = await self._jobs.analyze(videos, force=force)
        return Queued(project, imported.items, estimate, jobs)
