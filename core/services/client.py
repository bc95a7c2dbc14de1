"""The set of async services the GUI and the CLI use, built over one async database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from core.repositories import (
    AsyncJobRepository,
    AsyncProjectRepository,
    AsyncSegmentRepository,
    AsyncShotRepository,
    AsyncVideoRepository,
    AsyncWorkerRepository,
)
from core.services.importing import ImportService
from core.services.jobs import JobLauncher, JobService
from core.services.library import LibraryService
from core.services.projects import ProjectService


@dataclass
class ClientServices:
    projects: ProjectService
    imports: ImportService
    library: LibraryService
    jobs: JobService


def client_services(db: AsyncDatabase[dict[str, Any]], launcher: JobLauncher,
                    stage_names: list[str]) -> ClientServices:
    """Wire the repositories of `db` into the services (runs on the event loop that owns db)."""
    videos = AsyncVideoRepository(db)
    return ClientServices(
        projects=ProjectService(AsyncProjectRepository(db)),
        imports=ImportService(videos),
        library=LibraryService(videos, AsyncWorkerRepository(db), AsyncShotRepository(db),
                               AsyncSegmentRepository(db), AsyncJobRepository(db)),
        jobs=JobService(AsyncJobRepository(db), videos, launcher, stage_names),
    )
