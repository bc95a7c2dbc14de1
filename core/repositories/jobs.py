"""Jobs collection: async for the GUI/CLI, sync for the worker that owns a job.

Every write is an absolute `$set` (FerretDB updates are not atomic, so no read-modify-write
on shared fields). The owning worker writes progress; the GUI writes only
`cancel_requested` and, for jobs that no worker holds, the status.

A cancel request is also a document of its own in `job_cancels` (`_id` = the job's id), and
that is what workers obey: FerretDB 1.x rewrites a whole document on every update, so the
GUI's `cancel_requested` flag could be overwritten by a worker's progress write landing at
the same moment; a separate document cannot be.

Every write stamps `updated_minute` (the minute of `updated_at`, a string) beside
`updated_at`: the GUI's poll asks for the few minutes since its last tick by equality on that
indexed field, which the embedded FerretDB (and MongoDB) answer from the index, instead of a
date range that FerretDB answers by reading every job ever run.

Every job also carries the UTC day it was created, `created_day` ('YYYYMMDD'), and
`project_day` ('<project_id>/YYYYMMDD'), both indexed and both derived from fields that never
change. `recent` (`vip jobs`, the GUI's jobs panel) walks days backwards, newest first, in
batches asked by `$in` on one of them, until it has the jobs it shows: FerretDB sorts and
limits in memory, so `find().sort().limit()` read every job ever run. Jobs written by an
older release lack the fields until `backfill_job_days` (a one-off, idempotent) stamps them
and leaves a mark in `migrations`; until that mark exists, a walk that finds too few jobs
also asks the old way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase
from pymongo.errors import DuplicateKeyError

from core.models import Job, JobStatus
from core.repositories.database import ping
from core.repositories.leases import LeaseRepository
from core.timeutil import as_utc, utc_now

log = structlog.get_logger(__name__)

_OPEN = [str(JobStatus.QUEUED), str(JobStatus.RUNNING)]
_MINUTE = timedelta(minutes=1)
MAX_POLL_MINUTES = 600  # a poll further back than this (a suspended GUI) reads by date range
WALK_DAYS = 400  # `recent` looks this many days back (and one ahead: another host's clock)
MIGRATIONS = "migrations"  # one document per one-off data migration that has finished
JOB_DAYS_MARK = "jobs.created_day"
_BACKFILL_CHUNK = 500  # `_id`s per `$in` (the embedded server pushes down at most 1,000)
_WALK_FIELDS = {"_id": 1, "created_at": 1}
CLAIM_TTL = timedelta(minutes=2)  # a worker killed while starting a job delays it this long at most


def minute_of(at: datetime) -> str:
    """The `updated_minute` bucket of a time: 'YYYYMMDDHHMM' (UTC)."""
    return at.strftime("%Y%m%d%H%M")


def _stamped(at: datetime) -> dict[str, Any]:
    return {"updated_at": at, "updated_minute": minute_of(at)}


def day_of(at: datetime) -> str:
    """The `created_day` bucket of a time: 'YYYYMMDD' (UTC; naive times are UTC)."""
    utc = as_utc(at)
    assert utc is not None
    return utc.strftime("%Y%m%d")


def project_day(project_id: str, day: str) -> str:
    return f"{project_id}/{day}"


def _day_fields(created_at: datetime, project_id: str | None) -> dict[str, Any]:
    day = day_of(created_at)
    fields: dict[str, Any] = {"created_day": day}
    if project_id:
        fields["project_day"] = project_day(project_id, day)
    return fields


def _new_doc(job: Job) -> dict[str, Any]:
    return {**job.to_doc(), "updated_minute": minute_of(job.updated_at),
            **_day_fields(job.created_at, job.project_id)}


def _owned_fields(job: Job) -> dict[str, Any]:
    """Return the fields that only the job's owner writes (never `cancel_requested`); the day
    stamps too (they never change), so a job an older release queued gets them when it runs."""
    doc = job.to_doc()
    for key in ("_id", "cancel_requested", "created_at", "kind", "video_id", "project_id", "force"):
        doc.pop(key)
    doc.update(_stamped(utc_now()))
    doc.update(_day_fields(job.created_at, job.project_id))
    return doc


def _attempt(job: Job) -> dict[str, Any]:
    """The query that matches `job` only while it is the same worker's same running attempt."""
    return {"_id": job.id, "worker_id": job.worker_id, "attempts": job.attempts, "status": str(JobStatus.RUNNING)}


def walk_days(now: datetime, days: int = WALK_DAYS) -> Iterator[list[str]]:
    """`created_day`s from tomorrow back `days` days, newest first, in batches that double:
    [tomorrow, today], [yesterday], [the 2 days before], [the 4 before], ..."""
    yield [day_of(now + timedelta(days=1)), day_of(now)]
    covered, size = 1, 1
    while covered < days:
        n = min(size, days - covered)
        yield [day_of(now - timedelta(days=covered + i)) for i in range(n)]
        covered += n
        size *= 2


def _walk_query(days: list[str], project_id: str | None) -> dict[str, Any]:
    if project_id:
        return {"project_day": {"$in": [project_day(project_id, d) for d in days]}}
    return {"created_day": {"$in": days}}


def _newest(docs: dict[str, dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    def key(doc: dict[str, Any]) -> tuple[datetime, str]:
        return as_utc(doc.get("created_at")) or datetime.min.replace(tzinfo=timezone.utc), str(doc["_id"])

    return sorted(docs.values(), key=key, reverse=True)[:limit]


def backfill_job_days(db: SyncDatabase[dict[str, Any]]) -> int:
    """Stamp `created_day`/`project_day` on finished jobs an older release wrote, then mark the
    migration done (`recent` stops asking the old way). Idempotent; returns the jobs stamped.

    One scan of the jobs collection, then one update per (day, project) by `_id $in`. Queued
    and running jobs are left alone (their owner's writes would race with a whole-document
    rewrite): the owner stamps them with its next write."""
    coll = db["jobs"]
    groups: dict[tuple[str, str | None], list[str]] = {}
    stamped = 0
    for _ in range(3):  # a job a worker wrote over in the meantime is stamped again
        groups.clear()
        query = {"created_day": {"$exists": False}, "status": {"$nin": _OPEN}}
        for doc in coll.find(query, {"_id": 1, "created_at": 1, "project_id": 1}):
            created = as_utc(doc.get("created_at")) or utc_now()
            groups.setdefault((day_of(created), doc.get("project_id")), []).append(doc["_id"])
        if not groups:
            break
        for (day, project_id), ids in groups.items():
            fields = {"created_day": day, **({"project_day": project_day(project_id, day)} if project_id else {})}
            for i in range(0, len(ids), _BACKFILL_CHUNK):
                coll.update_many({"_id": {"$in": ids[i:i + _BACKFILL_CHUNK]}}, {"$set": fields})
            stamped += len(ids)
    else:
        log.warning("job_days_backfill_unfinished", left=sum(len(v) for v in groups.values()))
        return stamped
    mark_migration(db, JOB_DAYS_MARK)
    log.info("job_days_backfilled", jobs=stamped)
    return stamped


def mark_migration(db: SyncDatabase[dict[str, Any]], name: str) -> None:
    """Record that the one-off migration `name` has finished (idempotent)."""
    try:
        db[MIGRATIONS].insert_one({"_id": name, "at": utc_now()})
    except DuplicateKeyError:
        pass


def changed_query(since: datetime, now: datetime) -> dict[str, Any]:
    """The filter for jobs written at or after `since`: by the minutes from `since` to a minute
    past `now` (another host's clock may run a little ahead), then exactly by `updated_at`."""
    first = since.replace(second=0, microsecond=0)
    minutes = int((now - first) / _MINUTE) + 2
    if minutes > MAX_POLL_MINUTES:
        return {"updated_at": {"$gte": since}}
    return {"updated_minute": {"$in": [minute_of(first + i * _MINUTE) for i in range(minutes)]},
            "updated_at": {"$gte": since}}


class AsyncJobRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["jobs"]
        self._cancels = db["job_cancels"]
        self._migrations = db[MIGRATIONS]
        self._days_stamped = False  # every job carries its day stamps (JOB_DAYS_MARK seen)
        self._checked_fresh = False

    async def add(self, job: Job) -> None:
        if not self._checked_fresh:  # the first job of a new database: nothing to backfill, ever
            self._checked_fresh = True
            if not await self._all_stamped() and await self._coll.find_one({}, {"_id": 1}) is None:
                await self._mark_stamped()
        await self._coll.insert_one(_new_doc(job))

    async def get(self, job_id: str) -> Job | None:
        doc = await self._coll.find_one({"_id": job_id})
        return Job.from_doc(doc) if doc else None

    async def recent(self, project_id: str | None = None, limit: int = 500) -> list[Job]:
        """Return the newest jobs first (of the last WALK_DAYS days, once all jobs carry their day).

        Reads the jobs of the newest days only: a batch of days at a time by `$in` on the
        indexed day stamp, until the batches hold `limit` jobs (every job of an older day is
        older than all of them). The walk asks only for `_id` and `created_at` (a whole job,
        with its stages, costs the server about twice as much), then the newest `limit` jobs
        are read whole by `_id`."""
        if limit <= 0:
            return []
        found: dict[str, dict[str, Any]] = {}
        for days in walk_days(utc_now()):
            for doc in await self._coll.find(_walk_query(days, project_id), _WALK_FIELDS).to_list(None):
                found[doc["_id"]] = doc
            if len(found) >= limit:
                break
        found = {d["_id"]: d for d in await self._whole(_newest(found, limit))}
        if len(found) < limit and not await self._all_stamped():
            query = {"project_id": project_id} if project_id else {}
            old = await self._coll.find(query).sort("created_at", -1).limit(limit).to_list(None)
            found.update((d["_id"], d) for d in old)
            if not project_id and len(old) < limit and all("created_day" in d for d in old):
                await self._mark_stamped()  # the old way read every job: none lacks its day
        return [Job.from_doc(d) for d in _newest(found, limit)]

    async def _whole(self, picked: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [d["_id"] for d in picked]
        docs: list[dict[str, Any]] = []
        for i in range(0, len(ids), _BACKFILL_CHUNK):
            docs += await self._coll.find({"_id": {"$in": ids[i:i + _BACKFILL_CHUNK]}}).to_list(None)
        return docs

    async def _all_stamped(self) -> bool:
        if not self._days_stamped:
            self._days_stamped = await self._migrations.find_one({"_id": JOB_DAYS_MARK}) is not None
        return self._days_stamped

    async def _mark_stamped(self) -> None:
        try:
            await self._migrations.insert_one({"_id": JOB_DAYS_MARK, "at": utc_now()})
        except DuplicateKeyError:
            pass
        self._days_stamped = True

    async def changed_since(self, since: datetime) -> list[Job]:
        """Return jobs written at or after `since` (the GUI's poll: small and cheap)."""
        docs = await self._coll.find(changed_query(since, utc_now())).to_list(None)
        return [Job.from_doc(d) for d in docs]

    async def with_id_prefix(self, prefix: str, limit: int = 2) -> list[Job]:
        """Jobs whose id (lowercase hex) starts with `prefix`: a range on `_id`."""
        docs = await self._coll.find({"_id": {"$gte": prefix, "$lt": prefix + "g"}}).limit(limit).to_list(None)
        return [Job.from_doc(d) for d in docs]

    async def with_status(self, status: JobStatus, project_id: str | None = None, limit: int = 500) -> list[Job]:
        """The newest jobs in `status` (of a project), newest first."""
        query: dict[str, Any] = {"status": str(status), **({"project_id": project_id} if project_id else {})}
        docs = await self._coll.find(query).sort("created_at", -1).limit(limit).to_list(None)
        return [Job.from_doc(d) for d in docs]

    async def get_many(self, job_ids: list[str]) -> list[Job]:
        if not job_ids:
            return []
        docs = await self._coll.find({"_id": {"$in": job_ids}}).to_list(None)
        return [Job.from_doc(d) for d in docs]

    async def find_open_for_video(self, video_id: str) -> Job | None:
        doc = await self._coll.find_one({"video_id": video_id, "status": {"$in": _OPEN}})
        return Job.from_doc(doc) if doc else None

    async def delete_for_video(self, video_id: str) -> None:
        job_ids = [d["_id"] for d in await self._coll.find({"video_id": video_id}, {"_id": 1}).to_list(None)]
        await self._cancels.delete_many({"_id": {"$in": job_ids}})
        await self._coll.delete_many({"video_id": video_id})

    async def request_cancel(self, job_id: str) -> None:
        """Flag the job; a queued job (no owner yet) is canceled at once."""
        now = utc_now()
        await self._cancels.replace_one({"_id": job_id}, {"_id": job_id, "at": now}, upsert=True)
        await self._coll.update_one(
            {"_id": job_id}, {"$set": {"cancel_requested": True, **_stamped(now)}}
        )
        await self._coll.update_one(
            {"_id": job_id, "status": str(JobStatus.QUEUED)},
            {"$set": {"status": str(JobStatus.CANCELED), "message": "Canceled", "eta_s": None}},
        )

    async def replace_unowned(self, job: Job, expected: list[JobStatus]) -> bool:
        """Write `job` in full if it is still in one of `expected` states (retry, re-queue)."""
        if not job.cancel_requested:
            await self._cancels.delete_one({"_id": job.id})  # before: a worker may take it at once
        doc = _owned_fields(job)
        doc["cancel_requested"] = job.cancel_requested
        doc["force"] = job.force
        result = await self._coll.update_one(
            {"_id": job.id, "status": {"$in": [str(s) for s in expected]}}, {"$set": doc}
        )
        return result.matched_count == 1


class JobRepository:
    """Sync access for worker processes."""

    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["jobs"]
        self._cancels = db["job_cancels"]
        self._claims = LeaseRepository(db, "job-claim")

    def get(self, job_id: str) -> Job | None:
        doc = self._coll.find_one({"_id": job_id})
        return Job.from_doc(doc) if doc else None

    def reachable(self) -> bool:
        """True when the database answers now (see core.repositories.database.ping)."""
        return ping(self._coll.database)

    @contextmanager
    def claiming(self, job_id: str) -> Iterator[Job | None]:
        """`with jobs.claiming(id) as job:` — the job as it is now, read while no other process
        may start it; None while another one is starting it (or when there is no such job).

        FerretDB 1.x answers a conditional update by a read and then a write, so two workers
        that dequeue the same job id (a re-enqueued job, a queue that delivered twice) could
        both see it queued and both run it. A lease (`claim:<job id>`, an insert on a unique
        `_id`) makes starting a job exclusive: whoever holds it reads the job, and, when it is
        still queued, writes it running before letting go. The lease expires, so a worker
        killed while starting delays the job by `CLAIM_TTL` at most.
        """
        with self._claims.hold(f"claim:{job_id}", CLAIM_TTL) as mine:
            yield self.get(job_id) if mine else None

    def save(self, job: Job) -> None:
        """Write the owner's view of the job (status, stages, progress, error, heartbeat)."""
        self._coll.update_one({"_id": job.id}, {"$set": _owned_fields(job)})

    def is_cancel_requested(self, job_id: str) -> bool:
        if self._cancels.find_one({"_id": job_id}) is not None:
            return True
        doc = self._coll.find_one({"_id": job_id}, {"cancel_requested": 1})  # flagged by an older release
        return bool(doc and doc.get("cancel_requested"))

    def save_owned(self, job: Job) -> bool:
        """Write the running attempt's view of the job if the job is still this attempt's
        (same worker, same attempt, running); False, writing nothing, when it is not."""
        result = self._coll.update_one(_attempt(job), {"$set": _owned_fields(job)})
        return result.matched_count == 1

    def owns(self, job: Job) -> bool:
        """True while the job is still the running attempt `job` describes."""
        return self._coll.find_one(_attempt(job), {"_id": 1}) is not None

    def heartbeat(self, job: Job) -> bool:
        """Refresh the running attempt's heartbeat; False when the job is no longer its."""
        result = self._coll.update_one(_attempt(job), {"$set": {"heartbeat_at": utc_now()}})
        return result.matched_count == 1

    def find_stale(self, before: datetime) -> list[Job]:
        """Return running jobs whose owner has not sent a heartbeat since `before`."""
        docs = self._coll.find(
            {"status": str(JobStatus.RUNNING), "heartbeat_at": {"$lt": before}}
        ).to_list(None)
        return [Job.from_doc(d) for d in docs]

    def find_queued(self, before: datetime) -> list[Job]:
        """Return jobs queued (or last changed while queued) before `before`."""
        docs = self._coll.find(
            {"status": str(JobStatus.QUEUED), "updated_at": {"$lt": before}}
        ).to_list(None)
        return [Job.from_doc(d) for d in docs]

    def release(self, job: Job, worker_id: str | None) -> bool:
        """Hand a running job back to the queue if `worker_id` still owns it."""
        result = self._coll.update_one(
            {"_id": job.id, "status": str(JobStatus.RUNNING), "worker_id": worker_id},
            {"$set": _owned_fields(job)},
        )
        return result.matched_count == 1
