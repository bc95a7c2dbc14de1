"""Build the objects each kind of process needs, and nothing more."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.embedded_db import DatabaseLease
from app.migrate import MigrationProgress, TerminalProgress, prepare_database
from app.settings import Settings
from core.errors import VipError
from core.modelstore import MINILM, ModelLoader
from core.pipeline import JobRunner, default_stages
from core.pipeline.runner import RunnerConfig
from core.providers import PriceTable, Provider, ProviderGateway
from core.providers.budgets import HOLD_TTL, BudgetChecker
from core.providers.cache import purge_expired_cache
from core.providers.gemini import GeminiProvider
from core.providers.keys import KeyStore
from core.providers.openai_compat import OpenAICompatibleProvider
from core.providers.stage_access import GatewayAccess
from core.repositories import (
    ApiCacheRepository,
    AsyncFaceRejectionRepository,
    AsyncJobRepository,
    AsyncPassageRepository,
    AsyncSegmentRepository,
    AsyncShotRepository,
    AsyncVideoRepository,
    AsyncWorkerRepository,
    BudgetHoldRepository,
    AsyncProjectRepository,
    AsyncProviderCallRepository,
    DatabaseAddress,
    JobRepository,
    LeaseRepository,
    ProjectRepository,
    ProviderCallRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
    connect,
    connect_async,
)
from core.repositories.routing import AsyncRoutingRepository, RoutingRepository
from core.repositories.people import AsyncPeopleRepository, PeopleRepository
from core.repositories.profiles import AsyncProfileRepository, ProfileRepository
from core.search.embedder import TextEmbedder
from core.search.index import SearchIndex
from core.search.service import SearchService
from core.search.sync import IndexSync
from core.services.analysis import AnalysisService
from core.services.exports import ExportService
from core.services.providers import ProviderService
from core.services.watch import WatchService
from core.repositories.watch import AsyncWatchRepository
from core.services import ClientServices, ImportService, JobLauncher, JobService, LibraryService, ProjectService, StaleJobReaper
from core.services.listing_cache import ListingCache
from core.services.people import PeopleService, WhoLookup
from core.services.profiles import ProfileService
from core.timeutil import utc_now
from tasks import AnalysisTasks, HueyLauncher, WorkerRuntime, make_huey


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


def make_tasks(settings: Settings) -> AnalysisTasks:
    return AnalysisTasks(make_huey(settings.queue_dir, settings.redis_url))


class Services(ClientServices):
    """The client services plus the AsyncMongoClient they share (close it when done), the
    provider service (keys, routing, budgets, costs, estimates), and the "analyse these paths",
    "export this video" and watch-folder use cases over them (all present here)."""

    providers: ProviderService
    analysis: AnalysisService
    exports: ExportService
    watch: WatchService

    def __init__(self, services: ClientServices, client: AsyncMongoClient[dict[str, Any]],
                 providers: ProviderService, watch: AsyncWatchRepository) -> None:
        super().__init__(services.projects, services.imports, services.library, services.jobs, services.search,
                         services.profiles, services.people)
        self.providers = providers
        self.analysis = AnalysisService(self.projects, self.imports, providers, self.jobs)
        self.exports = ExportService(self.library, self.people)
        self.watch = WatchService(watch, self.analysis, self.projects)
        self._client = client

    async def close(self) -> None:
        await self._client.close()


async def build_services(settings: Settings, database: DatabaseAddress,
                         migration_progress: MigrationProgress | None = None) -> Services:
    """Create the GUI/CLI services; on the way (in a thread) ensure the indexes and run the
    one-off migrations an older release's data needs, reporting to `migration_progress`."""
    await asyncio.to_thread(prepare_database, settings, database, worker_id(), migration_progress)
    client, db = connect_async(database)
    launcher = HueyLauncher(make_tasks(settings))
    keys = KeyStore()
    providers = ProviderService(
        AsyncProjectRepository(db), AsyncRoutingRepository(db), AsyncProviderCallRepository(db),
        lambda: PriceTable.load(settings.data_dir), keys,
        {"openai": settings.openai_base_url, "gemini": settings.gemini_base_url},
        lambda name: build_providers(settings, keys)[name])
    stages = default_stages()
    return Services(client_services(db, launcher, [s.name for s in stages], settings.data_dir,
                                    {s.name: s.requires for s in stages}), client,
                    providers, AsyncWatchRepository(db))


@asynccontextmanager
async def services_for(settings: Settings) -> AsyncIterator[Services]:
    """The services over this host's database (the embedded one started or shared), released after."""
    lease = DatabaseLease(settings)
    database = await asyncio.to_thread(lease.acquire)
    try:
        services = await build_services(settings, database, TerminalProgress())
    except BaseException:
        await asyncio.to_thread(lease.release)  # the last user stops the server: none left running
        raise
    try:
        yield services
    finally:
        await services.close()
        await asyncio.to_thread(lease.release)


async def with_services(settings: Settings, body: Callable[[Services], Awaitable[int]]) -> int:
    """Run a CLI command's `body` with the services over this host's database, then release it;
    a VipError becomes one line on stderr and exit code 1."""
    async with services_for(settings) as services:
        try:
            return await body(services)
        except VipError as exc:
            print(f"vip: {exc}", file=sys.stderr)
            return 1


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_providers(settings: Settings, keys: KeyStore | None = None) -> dict[str, Provider]:
    """The cloud providers, with their keys from the OS keyring or the environment."""
    keys = keys or KeyStore()
    return {"openai": OpenAICompatibleProvider(settings.openai_base_url, keys.get("openai")),
            "gemini": GeminiProvider(keys.get("gemini"), settings.gemini_base_url)}


def build_gateway(settings: Settings, db: Any) -> ProviderGateway:
    """The gateway every provider call of this process goes through (cache, budget, ledger)."""
    ledger = ProviderCallRepository(db)
    return ProviderGateway(build_providers(settings), ApiCacheRepository(db), ledger,
                           PriceTable.load(settings.data_dir), BudgetChecker(ProjectRepository(db), ledger, BudgetHoldRepository(db)))


def _purge(db: Any) -> int:
    """The hourly clean-up: expired provider answers, and budget holds of workers that died mid-call."""
    BudgetHoldRepository(db).prune(utc_now() - HOLD_TTL)
    return purge_expired_cache(ApiCacheRepository(db))


def build_worker_runtime(
    settings: Settings, db: Any, tasks: AnalysisTasks, should_stop: Any
) -> WorkerRuntime:
    jobs = JobRepository(db)
    videos = VideoRepository(db)
    gateway = build_gateway(settings, db)
    providers = GatewayAccess(RoutingRepository(db), gateway)
    runner = JobRunner(
        jobs, videos, ShotRepository(db), SegmentRepository(db), default_stages(settings.data_dir, providers,
                                                                             lambda: PeopleRepository(db),
                                                                             ProfileRepository(db).target_language),
        RunnerConfig(worker_id=worker_id(), media_dir=settings.media_dir,
                     heartbeat_s=settings.heartbeat_s, ledger=ProviderCallRepository(db),
                     lanes=settings.stage_lanes),
        should_stop=should_stop,
    )
    stale_after = timedelta(seconds=settings.stale_after_s)
    reaper = StaleJobReaper(jobs, videos, tasks.analyze_video, stale_after, queued_tasks=tasks.queued_job_ids)
    return WorkerRuntime(runner=runner, reaper=reaper,
                         leases=LeaseRepository(db, worker_id()), lease_ttl=max(stale_after, timedelta(seconds=10)),
                         purge_cache=lambda: _purge(db))
