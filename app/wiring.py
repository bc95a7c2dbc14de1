"""Build the objects each kind of process needs, and nothing more."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient

from app.embedded_db import EmbeddedDatabase
from app.settings import Settings
from core.pipeline import JobRunner, default_stages
from core.pipeline.runner import RunnerConfig
from core.repositories import (
    Database,
    JobRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
    connect,
    connect_async,
    ensure_indexes,
)
from core.services import ClientServices, StaleJobReaper, client_services
from tasks import AnalysisTasks, HueyLauncher, WorkerRuntime, make_huey


class DatabaseLease:
    """The database this process uses: VIP_MONGO_URI, or a share of the embedded server."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._embedded: EmbeddedDatabase | None = None
        self.embedded = settings.mongo_uri is None

    def acquire(self) -> Database:
        """Blocking (may start FerretDB): call from a thread when on the GUI loop."""
        if self._settings.mongo_uri:
            return Database(self._settings.mongo_uri, self._settings.db_name)
        self._embedded = EmbeddedDatabase(self._settings.data_dir, self._settings.log_dir,
                                          self._settings.ferretdb)
        return Database(self._embedded.acquire(), self._settings.db_name)

    def release(self) -> None:
        if self._embedded:
            self._embedded.release()
            self._embedded = None


def make_tasks(settings: Settings) -> AnalysisTasks:
    return AnalysisTasks(make_huey(settings.queue_dir, settings.redis_url))


class Services(ClientServices):
    """The client services plus the AsyncMongoClient they share (close it when done)."""

    def __init__(self, services: ClientServices, client: AsyncMongoClient[dict[str, Any]]) -> None:
        super().__init__(services.projects, services.imports, services.library, services.jobs, services.search)
        self._client = client

    async def close(self) -> None:
        await self._client.close()


async def build_services(settings: Settings, database: Database) -> Services:
    """Create the GUI/CLI services; ensures indexes (in a thread) on the way."""

    def _indexes() -> None:
        client, db = connect(database)
        try:
            ensure_indexes(db)
        finally:
            client.close()

    await asyncio.to_thread(_indexes)
    client, db = connect_async(database)
    launcher = HueyLauncher(make_tasks(settings))
    return Services(client_services(db, launcher, [s.name for s in default_stages()], settings.data_dir), client)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_worker_runtime(
    settings: Settings, db: Any, tasks: AnalysisTasks, should_stop: Any
) -> WorkerRuntime:
    jobs = JobRepository(db)
    videos = VideoRepository(db)
    runner = JobRunner(
        jobs, videos, ShotRepository(db), SegmentRepository(db), default_stages(settings.data_dir),
        RunnerConfig(worker_id=worker_id(), media_dir=settings.media_dir,
                     heartbeat_s=settings.heartbeat_s),
        should_stop=should_stop,
    )
    reaper = StaleJobReaper(jobs, videos, tasks.analyze_video,
                            timedelta(seconds=settings.stale_after_s))
    return WorkerRuntime(runner=runner, reaper=reaper)
