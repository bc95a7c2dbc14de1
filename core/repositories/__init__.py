"""Repositories: the only code that touches pymongo and bson.

Each collection has a sync repository (worker processes, `MongoClient`) and, where the GUI
or CLI needs it, an async one (`AsyncMongoClient` on the event loop). Both speak domain
models; documents never leave this package.
"""

from core.repositories.api_cache import ApiCacheRepository, CachedResponse
from core.repositories.budget_holds import BudgetHoldRepository
from core.repositories.database import DatabaseAddress, connect, connect_async, database_unavailable, ensure_indexes, ping
from core.repositories.face_rejections import AsyncFaceRejectionRepository
from core.repositories.jobs import AsyncJobRepository, JobRepository
from core.repositories.leases import LeaseRepository
from core.repositories.migrations import MigrationOutcome, Step, has_data, mark_all_done, pending_migrations, run_migrations
from core.repositories.passages import AsyncPassageRepository, PassageRepository
from core.repositories.projects import AsyncProjectRepository, ProjectRepository
from core.repositories.provider_calls import AsyncProviderCallRepository, ProviderCallRepository
from core.repositories.segment_sets import MigrationReport, migrate_segment_sets
from core.repositories.segments import AsyncSegmentRepository, SegmentRepository
from core.repositories.shots import AsyncShotRepository, ShotRepository
from core.repositories.summaries import AsyncSummaryRepository, SummaryRepository
from core.repositories.videos import AsyncVideoRepository, VideoRepository
from core.repositories.workers import AsyncWorkerRepository, WorkerRepository

__all__ = [
    "database_unavailable",
    "ping",
    "ApiCacheRepository",
    "AsyncFaceRejectionRepository",
    "AsyncProviderCallRepository",
    "BudgetHoldRepository",
    "CachedResponse",
    "ProjectRepository",
    "ProviderCallRepository",
    "AsyncSegmentRepository",
    "SegmentRepository",
    "AsyncJobRepository",
    "AsyncPassageRepository",
    "PassageRepository",
    "AsyncProjectRepository",
    "AsyncShotRepository",
    "AsyncSummaryRepository",
    "SummaryRepository",
    "AsyncVideoRepository",
    "AsyncWorkerRepository",
    "DatabaseAddress",
    "JobRepository",
    "LeaseRepository",
    "MigrationReport",
    "ShotRepository",
    "VideoRepository",
    "WorkerRepository",
    "connect",
    "connect_async",
    "ensure_indexes",
    "migrate_segment_sets",
    "MigrationOutcome",
    "Step",
    "has_data",
    "mark_all_done",
    "pending_migrations",
    "run_migrations",
]
