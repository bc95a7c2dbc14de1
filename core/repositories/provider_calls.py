"""The provider_calls collection: the cost ledger, one entry per gateway call.

Written by the provider gateway (sync, worker processes), never updated: each entry is an
insert, so several workers can record calls at once without read-modify-write. Read by the
budget check (`spent`, sync, before every paid call) and by the Costs view (`totals`,
`recent`, async).

Each entry carries its UTC `day`; the reads go through per-day and per-month rollups and the
open days' entries (core.repositories.ledger_days), never the whole ledger. A ledger written
by an older release lacks `day` until `backfill_ledger_days` stamps it (one-off, idempotent;
it leaves a mark in `migrations`); until then the reads sum every entry, as before. A fresh
ledger is marked by its first `record`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase
from pymongo.errors import DuplicateKeyError

from core.models.costs import CostTotal, ProviderCall
from core.repositories import ledger_days as ld
from core.repositories.jobs import MIGRATIONS
from core.repositories.ledger_days import TotalsBy
from core.timeutil import as_utc, utc_now

log = structlog.get_logger(__name__)

_FIELDS = ld.ROW_FIELDS
LEDGER_DAYS_MARK = "provider_calls.day"
_BACKFILL_CHUNK = 500


def entry_doc(call: ProviderCall) -> dict[str, Any]:
    """The ledger entry of `call` as stored: the call's fields and its UTC `day`."""
    return {**call.to_doc(), "day": ld.day_of(call.at)}


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
    totals = ld.Totals(by, tz, None)
    for doc in docs:
        totals.add_row(doc)
    return _cost_totals(totals)


def _cost_totals(totals: ld.Totals) -> list[CostTotal]:
    return [
        CostTotal(key=k, cost_usd=float(s.cost), saved_usd=float(s.saved), calls=s.calls,
                  cached_calls=s.cached, failed_calls=s.failed)
        for k, s in sorted(totals.sums.items())
    ]


def _totals_plan(by: TotalsBy, project_id: str | None, since: datetime | None, until: datetime | None,
                 tz: tzinfo) -> ld.Plan[list[CostTotal]]:
    totals = yield from ld.collect(ld.Totals(by, tz, project_id), as_utc(since), as_utc(until), utc_now())
    return _cost_totals(totals)


def _spent_plan(project_id: str) -> ld.Plan[float]:
    totals = yield from ld.collect(ld.Totals("project", timezone.utc, project_id), None, None, utc_now())
    sums = totals.sums.get(project_id)
    return float(sums.cost) if sums else 0.0


def _spent_pipeline(project_id: str) -> list[dict[str, Any]]:
    return [
        {"$match": {"project_id": project_id}},
        {"$group": {"_id": None, "cost": {"$sum": "$cost_usd"}}},
    ]


def _record_plan(doc: dict[str, Any], months_seen: set[str]) -> ld.Plan[None]:
    """The month marker (first, so a reader never misses the row's month), the row, and, for a
    row of a closed day, the end of that day's rollups."""
    day = doc["day"]
    if ld.month_of(day) not in months_seen:
        yield ("insert", ld.MONTHS, {"_id": ld.month_of(day)})
        months_seen.add(ld.month_of(day))
    yield ("insert", ld.LEDGER, doc)
    if ld.is_closed(ld.day_start(day) + timedelta(days=1), utc_now()):
        yield from ld.forget_rollups(day)


def _old_rows_stamped(docs: list[dict[str, Any]]) -> bool:
    return all("day" in d for d in docs)


def backfill_ledger_days(db: SyncDatabase[dict[str, Any]]) -> int:
    """Stamp `day` on ledger entries an older release wrote (and their months in
    `ledger_months`), forget any rollup of their days, then mark the migration done. Ledger
    entries are never updated by anyone else, so this cannot lose a write. Idempotent; returns
    the entries stamped."""
    coll = db["provider_calls"]
    groups: dict[str, list[str]] = {}
    for doc in coll.find({"day": {"$exists": False}}, {"_id": 1, "at": 1}):
        groups.setdefault(ld.day_of(as_utc(doc.get("at")) or utc_now()), []).append(doc["_id"])
    for month in sorted({ld.month_of(d) for d in groups}):
        try:
            db[ld.MONTHS].insert_one({"_id": month})
        except DuplicateKeyError:
            pass
    for day, ids in sorted(groups.items()):
        for i in range(0, len(ids), _BACKFILL_CHUNK):
            coll.update_many({"_id": {"$in": ids[i:i + _BACKFILL_CHUNK]}}, {"$set": {"day": day}})
        ld.run_sync(db, ld.forget_rollups(day))
    _insert_mark(db)
    stamped = sum(len(ids) for ids in groups.values())
    log.info("ledger_days_backfilled", entries=stamped, days=len(groups))
    return stamped


def _insert_mark(db: SyncDatabase[dict[str, Any]]) -> None:
    try:
        db[MIGRATIONS].insert_one({"_id": LEDGER_DAYS_MARK, "at": utc_now()})
    except DuplicateKeyError:
        pass


class ProviderCallRepository:
    """Sync access for worker processes: record calls, and what a project has spent."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._coll = db["provider_calls"]
        self._months_seen: set[str] = set()
        self._stamped = False  # every entry carries its day (LEDGER_DAYS_MARK seen or made)
        self._checked_fresh = False

    def record(self, call: ProviderCall) -> None:
        if not self._checked_fresh:  # the first entry of a new ledger: nothing to backfill, ever
            self._checked_fresh = True
            if not self._is_stamped() and self._coll.find_one({}, {"_id": 1}) is None:
                _insert_mark(self._db)
                self._stamped = True
        ld.run_sync(self._db, _record_plan(entry_doc(call), self._months_seen))

    def _is_stamped(self) -> bool:
        if not self._stamped:
            self._stamped = self._db[MIGRATIONS].find_one({"_id": LEDGER_DAYS_MARK}) is not None
        return self._stamped

    def spent(self, project_id: str) -> float:
        """USD the project's provider calls have cost so far (cache hits cost nothing)."""
        if self._is_stamped():
            return ld.run_sync(self._db, _spent_plan(project_id))
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
        if self._is_stamped():
            docs = ld.run_sync(self._db, ld.recent_rows(limit, None, utc_now()))
        else:
            docs = self._coll.find({}).sort("at", -1).limit(limit).to_list(None)
        return [ProviderCall.from_doc(d) for d in docs]

    def totals(self, by: TotalsBy, *, project_id: str | None = None, since: datetime | None = None,
               until: datetime | None = None, tz: tzinfo = timezone.utc) -> list[CostTotal]:
        """Cost, savings and call counts per project, provider or day (`tz`'s calendar days)."""
        if self._is_stamped():
            return ld.run_sync(self._db, _totals_plan(by, project_id, since, until, tz))
        docs = self._coll.find(_query(project_id, since, until), {**_FIELDS, "day": 1}).to_list(None)
        if (project_id, since, until) == (None, None, None) and _old_rows_stamped(docs):
            _insert_mark(self._db)  # every entry was read: none lacks its day
        return _bucket(docs, by, tz)


class AsyncProviderCallRepository:
    """Async reads for the GUI's Costs view and the CLI."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._coll = db["provider_calls"]
        self._stamped = False

    async def _is_stamped(self) -> bool:
        if not self._stamped:
            self._stamped = await self._db[MIGRATIONS].find_one({"_id": LEDGER_DAYS_MARK}) is not None
        return self._stamped

    async def spent(self, project_id: str) -> float:
        if await self._is_stamped():
            return await ld.run_async(self._db, _spent_plan(project_id))
        cursor = await self._coll.aggregate(_spent_pipeline(project_id))
        rows = await cursor.to_list(None)
        return float(rows[0]["cost"]) if rows else 0.0

    async def recent(self, limit: int = 100, project_id: str | None = None) -> list[ProviderCall]:
        if await self._is_stamped():
            docs = await ld.run_async(self._db, ld.recent_rows(limit, project_id, utc_now()))
        else:
            docs = await self._coll.find(_query(project_id, None, None)).sort("at", -1).limit(limit).to_list(None)
        return [ProviderCall.from_doc(d) for d in docs]

    async def totals(self, by: TotalsBy, *, project_id: str | None = None, since: datetime | None = None,
                     until: datetime | None = None, tz: tzinfo = timezone.utc) -> list[CostTotal]:
        if await self._is_stamped():
            return await ld.run_async(self._db, _totals_plan(by, project_id, since, until, tz))
        docs = await self._coll.find(_query(project_id, since, until), {**_FIELDS, "day": 1}).to_list(None)
        if (project_id, since, until) == (None, None, None) and _old_rows_stamped(docs):
            try:
                await self._db[MIGRATIONS].insert_one({"_id": LEDGER_DAYS_MARK, "at": utc_now()})
            except DuplicateKeyError:
                pass
        return _bucket(docs, by, tz)
