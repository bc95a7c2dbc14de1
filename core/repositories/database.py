"""Open MongoDB connections and create the indexes the repositories rely on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pymongo
from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase
from pymongo.errors import ConnectionFailure

# (collection, keys, options). Only index kinds FerretDB 1.24 supports: no TTL/partial/text.
# The embedded FerretDB (patched, see packaging/ferretdb-sqlite-pushdown.patch) uses them for
# `_id` and for top-level equality / $in on strings; ranges and sorts still read every
# document the equality part selects.
INDEXES: list[tuple[str, list[tuple[str, int]], dict[str, Any]]] = [
    ("projects", [("name", 1)], {"unique": True}),
    ("videos", [("project_id", 1), ("fingerprint", 1)], {"unique": True}),
    ("jobs", [("status", 1)], {}),
    ("jobs", [("updated_at", 1)], {}),
    ("jobs", [("updated_minute", 1)], {}),  # the GUI's poll (see repositories/jobs.py)
    ("jobs", [("video_id", 1)], {}),
    ("jobs", [("project_id", 1)], {}),
    ("jobs", [("created_day", 1)], {}),  # `recent` walks days (see repositories/jobs.py)
    ("jobs", [("project_day", 1)], {}),  # ... of one project
    ("shots", [("video_id", 1), ("index", 1)], {}),
    ("segments", [("video_id", 1), ("kind", 1)], {}),  # summaries; segments of data dirs not yet migrated
    ("segment_sets", [("video_id", 1), ("stage", 1), ("kind", 1)], {}),  # see repositories/segment_sets.py
    ("face_rejections", [("video_id", 1)], {}),
    ("api_cache", [("expires_at", 1)], {}),
    ("provider_calls", [("project_id", 1), ("at", 1)], {}),
    ("provider_calls", [("job_id", 1)], {}),
    ("provider_calls", [("at", 1)], {}),
    ("provider_calls", [("day", 1)], {}),  # open days and rollups (see repositories/ledger_days.py)
    ("provider_calls", [("video_id", 1)], {}),  # cost_of(video_id)
    ("budget_holds", [("project_id", 1), ("at", 1)], {}),
    ("watched_files", [("folder_id", 1)], {}),
]

_CLIENT_OPTIONS: dict[str, Any] = {
    "tz_aware": True,
    "serverSelectionTimeoutMS": 10_000,
    "connectTimeoutMS": 5_000,
    "appname": "vip-desktop",
}


@dataclass(frozen=True)
class DatabaseAddress:
    """Where the data lives: a MongoDB URI and a database name."""

    uri: str
    name: str = "vip"


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the server could not be reached: down,
    restarting, or the network between. The operation did not happen or its outcome is unknown;
    writes that set absolute values can simply be done again once the server is back."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionFailure):  # AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def ping(db: SyncDatabase[dict[str, Any]]) -> bool:
    """True when the server answers within 2 s (not the client's 10 s selection timeout)."""
    try:
        with pymongo.timeout(2.0):
            db.client.admin.command("ping")
        return True
    except ConnectionFailure:
        return False


async def ping_async(db: AsyncDatabase[dict[str, Any]]) -> bool:
    """`ping` for the async client (the GUI's status poll)."""
    try:
        with pymongo.timeout(2.0):
            await db.client.admin.command("ping")
        return True
    except ConnectionFailure:
        return False


def connect(database: DatabaseAddress) -> tuple[MongoClient[dict[str, Any]], SyncDatabase[dict[str, Any]]]:
    """Open a sync client (worker processes and threads); the caller closes it."""
    client: MongoClient[dict[str, Any]] = MongoClient(database.uri, **_CLIENT_OPTIONS)
    return client, client[database.name]


def connect_async(
    database: DatabaseAddress,
) -> tuple[AsyncMongoClient[dict[str, Any]], AsyncDatabase[dict[str, Any]]]:
    """Open an async client bound to the running event loop; `await client.close()` when done."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(database.uri, **_CLIENT_OPTIONS)
    return client, client[database.name]


def ensure_indexes(db: SyncDatabase[dict[str, Any]]) -> None:
    """Create the indexes (idempotent; sync, run once per process at start-up)."""
    for collection, keys, options in INDEXES:
        db[collection].create_index(keys, **options)
