"""The operator's action "analyse these paths" (and "analyse these videos" again): import,
estimate the cloud cost, refuse a batch that would pass the project's budget, queue. One use
case, one set of rules, for the GUI, `vip analyze`, the REST API and watch folders; they only
render what it returns (following the jobs is JobService.watch)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import VipError
from core.models import Job, Project, Video
from core.services.importing import ImportItem, ImportService
from core.services.jobs import JobService
from core.services.projects import ProjectService
from core.services.providers import Estimate, ProviderService


class NothingToAnalyze(VipError):
    """No video file under the given paths."""


class OverBudget(VipError):
    """The batch's estimated cloud cost would pass the project's budget: nothing was queued.
    `videos` are the batch (imported already, when it came from paths): `analyze_videos` with
    `over_budget_ok` queues them once the operator agrees."""

    def __init__(self, project: Project, estimate: Estimate, videos: list[Video] | None = None) -> None:
        self.project, self.estimate, self.videos = project, estimate, list(videos or [])
        self.items: list[ImportItem] = []  # the files imported on the way (import_and_analyze)
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
        and queue their analysis (see import_and_analyze)."""
        project = await self._projects.ensure(project_name)
        return await self.import_and_analyze(project, paths, force, over_budget_ok, only_new)

    async def import_and_analyze(self, project: Project, paths: list[Path], force: bool = False,
                                 over_budget_ok: bool = False, only_new: bool = False) -> Queued:
        """Import every video under `paths` into `project` and queue their analysis.
        NothingToAnalyze when no video file is there; OverBudget (imported, nothing queued) when
        the estimate passes the budget, unless `over_budget_ok`. `only_new`: a file whose content
        the project has already is not analysed again (the GUI's import, watch folders)."""
        imported = await self._imports.import_paths(project.id, paths)
        if not imported.items:
            raise NothingToAnalyze("no video files found in " + ", ".join(map(str, paths)))
        videos = [item.video for item in imported.items if item.created or not only_new]
        try:
            queued = await self.analyze_videos(project, videos, force, over_budget_ok)
        except OverBudget as refused:
            refused.items = imported.items  # imported all the same: the GUI lists them
            raise
        return Queued(project, imported.items, queued.estimate, queued.jobs)

    async def analyze_videos(self, project: Project, videos: list[Video], force: bool = False,
                             over_budget_ok: bool = False) -> Queued:
        """Queue the analysis of `videos` of `project` (all stages again with `force`) after the
        cloud cost estimate: OverBudget, nothing queued, when it would pass the project's budget,
        unless `over_budget_ok`. A video with an open job keeps it."""
        estimate = await self._providers.estimate(project.id, videos)
        if estimate.over_budget and not over_budget_ok:
            raise OverBudget(project, estimate, videos)
        jobs = await self._jobs.analyze(videos, force=force) if videos else []
        return Queued(project, [], estimate, jobs)
