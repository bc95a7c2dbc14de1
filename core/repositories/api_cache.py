"""The api_cache collection: provider responses keyed by a hash of what was asked.

Written and read by the provider gateway (sync, worker processes). `expires_at` is checked on
every read and expired entries are purged by a periodic task (FerretDB has no TTL indexes).
The response is stored as JSON text: provider answers hold nested arrays (batches of
embeddings) and arbitrary keys, which FerretDB documents cannot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pymongo.database import Database as SyncDatabase
from pymongo.errors import DocumentTooLarge, WriteError

from core.timeutil import as_utc

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CachedResponse:
    key: str
    provider: str
    model: str
    operation: str
    data: dict[str, Any]
    usage: dict[str, float]
    cost_usd: float
    created_at: datetime
    expires_at: datetime | None


class ApiCacheRepository:
    """Sync access for worker processes (and the GUI's worker threads)."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["api_cache"]

    def get(self, key: str, now: datetime) -> CachedResponse | None:
        """The entry stored under `key`, or None when there is none or it expired by `now`."""
        doc = self._coll.find_one({"_id": key})
        if doc is None:
            return None
        expires_at = as_utc(doc.get("expires_at"))
        if expires_at is not None and expires_at <= now:
            return None
        try:
            data = json.loads(doc["response"])
        except (KeyError, TypeError, ValueError):
            log.warning("api_cache_entry_unreadable", cache_key=key)
            return None
        return CachedResponse(
            key=key,
            provider=doc.get("provider", ""),
            model=doc.get("model", ""),
            operation=doc.get("operation", ""),
            data=data,
            usage={k: float(v) for k, v in (doc.get("usage") or {}).items()},
            cost_usd=float(doc.get("cost_usd") or 0.0),
            created_at=as_utc(doc.get("created_at")) or now,
            expires_at=expires_at,
        )

    def put(self, key: str, *, provider: str, model: str, operation: str, data: dict[str, Any],
            usage: dict[str, float], cost_usd: float, created_at: datetime,
            expires_at: datetime | None) -> bool:
        """Store (or replace) a response; False, logged, when the database refuses it (too large)."""
        doc = {
            "_id": key, "provider": provider, "model": model, "operation": operation,
            "response": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            "usage": dict(usage), "cost_usd": cost_usd,
            "created_at": created_at, "expires_at": expires_at,
        }
        try:
            self._coll.replace_one({"_id": key}, doc, upsert=True)
        except (DocumentTooLarge, WriteError) as exc:
            log.warning("api_cache_store_failed", cache_key=key, provider=provider, error=str(exc))
            return False
        return True

    def purge_expired(self, now: datetime) -> int:
        """Delete the entries that expired by `now`; returns how many (entries without expiry stay)."""
        return self._coll.delete_many({"expires_at": {"$lte": now}}).deleted_count

    def count(self) -> int:
        return self._coll.count_documents({})
