"""The cost ledger's entries (one per provider gateway call, the `provider_calls` collection)
and the totals the Costs view and `vip costs` show. Written by the gateway in worker processes
(core.repositories.provider_calls stores them), read by the GUI, the CLI and the REST API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.models.ids import new_id
from core.timeutil import as_utc, utc_now


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
