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
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase

from core.models import Job, JobStatus
from core.timeutil import utc_now

_OPEN = [str(JobStatus.QUEUED), str(JobStatus.RUNNING)]
_MINUTE = timedelta(minutes=1)
MAX_POLL_MINUTES = 600  # a poll further back than this (a suspended GUI) reads by date range


def minute_of(at: datetime) -> str:
    """The `updated_minute` bucket of a time: 'YYYYMMDDHHMM' (UTC)."""
    return at.strftime("%Y%m%d%H%M")


def _stamped(at: datetime) -> dict[str, Any]:
    return {"updated_at": at, "updated_minute": minute_of(at)}


def _new_doc(job: Job) -> dict[str, Any]:
    return {**job.to_doc(), "updated_minute": minute_of(job.updated_at)}


def _owned_fields(job: Job) -> dict[str, Any]:
    """Return the fields that only the job's owner writes (never `cancel_requested`)."""
    doc = job.to_doc()
    for key in ("_id", "cancel_requested", "created_at", "kind", "video_id", "project_id", "force"):
        doc.pop(key)
    doc.update(_stamped(utc_now()))
    return doc


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

    async def add(self, job: Job) -> None:
        await self._coll.insert_one(_new_doc(job))

    async def get(self, job_id: str) -> Job | None:
        doc = await self._coll.find_one({"_id": job_id})
        return Job.from_doc(doc) if doc else None

    async def recent(self, project_id: str | None = None, limit: int = 500) -> list[Job]:
        """Return the newest jobs first."""
        query = {"project_id": project_id} if project_id else {}
        docs = await self._coll.find(query).sort("created_at", -1).limit(limit).to_list(None)
        return [Job.from_doc(d) for d in docs]

    async def changed_since(self, since: datetime) -> list[Job]:
        """Return jobs written at or after `since` (the GUI's poll: small and cheap)."""
        docs = await self._coll.find(changed_query(since, utc_now())).to_list(None)
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

    def get(self, job_id: str) -> Job | None:
        doc = self._coll.find_one({"_id": job_id})
        return Job.from_doc(doc) if doc else None

    def save(self, job: Job) -> None:
        """Write the owner's view of the job (status, stages, progress, error, heartbeat)."""
        self._coll.update_one({"_id": job.id}, {"$set": _owned_fields(job)})

    def is_cancel_requested(self, job_id: str) -> bool:
        if self._cancels.find_one({"_id": job_id}) is not None:
            return True
        doc = self._coll.find_one({"_id": job_id}, {"cancel_requested": 1})  # flagged by an older release
        return bool(doc and doc.get("cancel_requested"))

    def heartbeat(self, job_id: str, worker_id: str) -> None:
        self._coll.update_one(
            {"_id": job_id, "worker_id": worker_id, "status": str(JobStatus.RUNNING)},
            {"$set": {"heartbeat_at": utc_now()}},
        )

    def find_stale(self, before: datetime) -> list[Job]:
        """Return running jobs whose owner has not sent a heartbeat since `before`."""
        docs = self._coll.find(
            {"status": str(JobStatus.RUNNING), "heartbeat_at": {"$lt": before}}
        ).to_list(None)
        return [Job.from_doc(d) for d in docs]

    def release(self, job: Job, worker_id: str | None) -> bool:
        """Hand a running job back to the queue if `worker_id` still owns it."""
        result = self._coll.update_one(
            {"_id": job.id, "status": str(JobStatus.RUNNING), "worker_id": worker_id},
            {"$set": _owned_fields(job)},
        )
        return result.matched_count == 1
