"""The provider_calls collection: the cost ledger, one entry per gateway call.

Written by the provider gateway (sync, worker processes), never updated: each entry is an
insert, so several workers can record calls at once without read-modify-write. Read by the
budget check (`spent`, sync) and by the Costs view (`totals`, async). Totals use `$group` with
`$sum` only (the FerretDB 1.24 subset) or are summed here in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Literal

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models.ids import new_id
from core.timeutil import as_utc, utc_now

TotalsBy = Literal["project", "provider", "day"]
_FIELDS = {"project_id": 1, "provider": 1, "cost_usd": 1, "saved_usd": 1, "cached": 1, "ok": 1, "at": 1}


@dataclass(frozen=True)
class ProviderCall:
    """One ledger entry: what was asked of which provider, what it used and cost."""

    provider: str
    model: str
    operation: str
    ok: bool
    cached: bool = False
    units: dict[str, float] = field(default_factory=dict)
    unit_prices: dict[str, float] = field(default_factory=dict)  # USD per billing unit (prices.UNIT_SCALE)
    cost_usd: float = 0.0
    saved_usd: float = 0.0
    estimated: bool = False  # units are the request's estimate: the provider reported no usage
    error: str | None = None
    attempts: int = 1
    latency_ms: float = 0.0
    project_id: str | None = None
    video_id: str | None = None
    job_id: str | None = None
    cache_key: str | None = None
    price_version: str = ""
    at: datetime = field(default_factory=utc_now)
    id: str = field(default_factory=new_id)

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id, "provider": self.provider, "model": self.model, "operation": self.operation,
            "ok": self.ok, "cached": self.cached, "units": dict(self.units),
            "unit_prices": dict(self.unit_prices), "cost_usd": self.cost_usd, "saved_usd": self.saved_usd,
            "estimated": self.estimated, "error": self.error, "attempts": self.attempts,
            "latency_ms": self.latency_ms, "project_id": self.project_id, "video_id": self.video_id,
            "job_id": self.job_id, "cache_key": self.cache_key, "price_version": self.price_version,
            "at": self.at,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ProviderCall:
        return cls(
            id=doc["_id"], provider=doc.get("provider", ""), model=doc.get("model", ""),
            operation=doc.get("operation", ""), ok=bool(doc.get("ok")), cached=bool(doc.get("cached")),
            units={k: float(v) for k, v in (doc.get("units") or {}).items()},
            unit_prices={k: float(v) for k, v in (doc.get("unit_prices") or {}).items()},
            cost_usd=float(doc.get("cost_usd") or 0.0), saved_usd=float(doc.get("saved_usd") or 0.0),
            estimated=bool(doc.get("estimated")), error=doc.get("error"),
            attempts=int(doc.get("attempts") or 1), latency_ms=float(doc.get("latency_ms") or 0.0),
            project_id=doc.get("project_id"), video_id=doc.get("video_id"), job_id=doc.get("job_id"),
            cache_key=doc.get("cache_key"), price_version=doc.get("price_version", ""),
            at=as_utc(doc.get("at")) or utc_now(),
        )


@dataclass(frozen=True)
class CostTotal:
    """Calls, cost and cache savings of one project, provider or day."""

    key: str
    cost_usd: float = 0.0
    saved_usd: float = 0.0
    calls: int = 0
    cached_calls: int = 0
    failed_calls: int = 0


def _query(project_id: str | None, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if project_id is not None:
        query["project_id"] = project_id
    if since is not None or until is not None:
        at: dict[str, datetime] = {}
        if since is not None:
            at["$gte"] = since
        if until is not None:
            at["$lt"] = until
        query["at"] = at
    return query


def _bucket(docs: Iterable[dict[str, Any]], by: TotalsBy, tz: tzinfo) -> list[CostTotal]:
    sums: dict[str, dict[str, float]] = {}
    for doc in docs:
        if by == "day":
            at = as_utc(doc.get("at"))
            key = at.astimezone(tz).date().isoformat() if at else ""
        elif by == "project":
            key = doc.get("project_id") or ""
        else:
            key = doc.get("provider") or ""
        s = sums.setdefault(key, {"cost": 0.0, "saved": 0.0, "calls": 0, "cached": 0, "failed": 0})
        s["cost"] += float(doc.get("cost_usd") or 0.0)
        s["saved"] += float(doc.get("saved_usd") or 0.0)
        s["calls"] += 1
        s["cached"] += 1 if doc.get("cached") else 0
        s["failed"] += 0 if doc.get("ok") else 1
    return [
        CostTotal(key=k, cost_usd=s["cost"], saved_usd=s["saved"], calls=int(s["calls"]),
                  cached_calls=int(s["cached"]), failed_calls=int(s["failed"]))
        for k, s in sorted(sums.items())
    ]


def _spent_pipeline(project_id: str) -> list[dict[str, Any]]:
    return [
        {"$match": {"project_id": project_id}},
        {"$group": {"_id": None, "cost": {"$sum": "$cost_usd"}}},
    ]


class ProviderCallRepository:
    """Sync access for worker processes: record calls, and what a project has spent."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["provider_calls"]

    def record(self, call: ProviderCall) -> None:
        self._coll.insert_one(call.to_doc())

    def spent(self, project_id: str) -> float:
        """USD the project's provider calls have cost so far (cache hits cost nothing)."""
        rows = self._coll.aggregate(_spent_pipeline(project_id)).to_list(None)
        return float(rows[0]["cost"]) if rows else 0.0

    def cost_of(self, *, job_id: str | None = None, video_id: str | None = None) -> float:
        """USD that the calls of one job (all its attempts) or of one video (all its jobs) cost."""
        query = {"job_id": job_id} if job_id is not None else {"video_id": video_id}
        return float(sum(float(d.get("cost_usd") or 0.0) for d in self._coll.find(query, {"cost_usd": 1})))

    def for_job(self, job_id: str) -> list[ProviderCall]:
        docs = self._coll.find({"job_id": job_id}).to_list(None)
        return sorted((ProviderCall.from_doc(d) for d in docs), key=lambda c: c.at)

    def recent(self, limit: int = 100) -> list[ProviderCall]:
        docs = self._coll.find({}).sort("at", -1).limit(limit).to_list(None)
        return [ProviderCall.from_doc(d) for d in docs]

    def totals(self, by: TotalsBy, *, project_id: str | None = None, since: datetime | None = None,
               until: datetime | None = None, tz: tzinfo = timezone.utc) -> list[CostTotal]:
        """Cost, savings and call counts per project, provider or day (`tz`'s calendar days)."""
        docs = self._coll.find(_query(project_id, since, until), _FIELDS)
        return _bucket(docs, by, tz)


class AsyncProviderCallRepository:
    """Async reads for the GUI's Costs view and the CLI."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["provider_calls"]

    async def spent(self, project_id: str) -> float:
        cursor = await self._coll.aggregate(_spent_pipeline(project_id))
        rows = await cursor.to_list(None)
        return float(rows[0]["cost"]) if rows else 0.0

    async def recent(self, limit: int = 100, project_id: str | None = None) -> list[ProviderCall]:
        docs = await self._coll.find(_query(project_id, None, None)).sort("at", -1).limit(limit).to_list(None)
        return [ProviderCall.from_doc(d) for d in docs]

    async def totals(self, by: TotalsBy, *, project_id: str | None = None, since: datetime | None = None,
                     until: datetime | None = None, tz: tzinfo = timezone.utc) -> list[CostTotal]:
        docs = await self._coll.find(_query(project_id, since, until), _FIELDS).to_list(None)
        return _bucket(docs, by, tz)
