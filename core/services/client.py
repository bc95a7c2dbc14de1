"""The set of async services the GUI and the CLI use, built over one async database."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from core.modelstore import MINILM, ModelLoader
from core.repositories import (
    AsyncFaceRejectionRepository,
    AsyncJobRepository,
    AsyncPassageRepository,
    AsyncProjectRepository,
    AsyncSegmentRepository,
    AsyncShotRepository,
    AsyncVideoRepository,
    AsyncWorkerRepository,
)
from core.repositories.people import AsyncPeopleRepository
from core.repositories.profiles import AsyncProfileRepository
from core.services.importing import ImportService
from core.services.jobs import JobLauncher, JobService
from core.services.library import LibraryService
from core.services.listing_cache import ListingCache
from core.search.embedder import TextEmbedder
from core.search.index import SearchIndex
from core.search.service import SearchService
from core.search.sync import IndexSync
from core.services.people import PeopleService, WhoLookup
from core.services.profiles import ProfileService
from core.services.projects import ProjectService


@dataclass
class ClientServices:
    projects: ProjectService
    imports: ImportService
    library: LibraryService
    jobs: JobService
    search: SearchService
    profiles: ProfileService | None = None  # analysis profiles (which stages a project's jobs run)
    people: PeopleService | None = None  # people across the library (the People page, `person:` searches)


def search_service(db: AsyncDatabase[dict[str, Any]], data_dir: Path) -> SearchService:
    """Search over this host's indexes in `<data_dir>/index`, synced from `db`; the query
    embedder (`<data_dir>/models`) loads on the first search, on a worker thread."""
    videos = AsyncVideoRepository(db)
    index = SearchIndex(data_dir / "index")
    embedder = ModelLoader(lambda store: TextEmbedder(store.files(MINILM.name), cpu_threads=1))
    who = WhoLookup(PeopleService(AsyncPeopleRepository(db)), videos, AsyncSegmentRepository(db))
    return SearchService(index, lambda text: embedder.get(data_dir).embed_one(text), videos,
                         AsyncShotRepository(db), IndexSync(videos, AsyncPassageRepository(db), index), who)


def client_services(db: AsyncDatabase[dict[str, Any]], launcher: JobLauncher,
                    stage_names: list[str], data_dir: Path,
                    stage_requires: Mapping[str, Sequence[str]] | None = None) -> ClientServices:
    """Wire the repositories of `db` into the services (runs on the event loop that owns db);
    `data_dir` holds this host's search indexes and models. `stage_names` are the pipeline's
    stages in order, `stage_requires` what each needs (a project's profile picks among them)."""
    videos = AsyncVideoRepository(db)
    profiles = ProfileService(AsyncProfileRepository(db), stage_names, stage_requires)
    return ClientServices(
        projects=ProjectService(AsyncProjectRepository(db)),
        imports=ImportService(videos),
        library=LibraryService(videos, AsyncWorkerRepository(db), AsyncShotRepository(db),
                               AsyncSegmentRepository(db), AsyncJobRepository(db),
                               AsyncFaceRejectionRepository(db), ListingCache(data_dir / "cache"),
                               AsyncPeopleRepository(db)),
        jobs=JobService(AsyncJobRepository(db), videos, launcher, stage_names, profiles),
        search=search_service(db, data_dir),
        profiles=profiles,
        people=PeopleService(AsyncPeopleRepository(db)),
    )
