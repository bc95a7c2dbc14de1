"""The jobs collection on the real test server: the poll query (exact, answered from an index) and
`recent` walking days back (the newest jobs, reading little; old databases backfilled)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from core.models import Job, JobStatus, StageRecord
from core.repositories import DatabaseAddress, connect, connect_async
from core.repositories.jobs import (
    JOB_DAYS_MARK,
    MIGRATIONS,
    AsyncJobRepository,
    JobRepository,
    backfill_job_days,
    changed_query,
    day_of,
    minute_of,
    walk_days,
)
from core.timeutil import utc_now

T0 = datetime(2026, 12, 5, 8, 0, 59, 500_000, tzinfo=timezone.utc)


def job_at(at: datetime, name: str) -> Job:
    return Job(kind="analyze", video_id=name, project_id="p", stages=[StageRecord(name="probe")],
               created_at=at, updated_at=at)


def test_changed_since_returns_exactly_the_jobs_written_since(database: DatabaseAddress) -> None:
    since = utc_now() - timedelta(minutes=5)

    async def scenario() -> list[str]:
        client, db = connect_async(database)
        jobs = AsyncJobRepository(db)
        try:
            for offset_s, name in ((-61, "a minute before"), (-0.001, "just before"), (0, "at since"),
                                   (0.5, "after"), (60, "a minute later"), (240, "four minutes later")):
                await jobs.add(job_at(since + timedelta(seconds=offset_s), name))
            return sorted(j.video_id for j in await jobs.changed_since(since))
        finally:
            await client.close()

    assert asyncio.run(scenario()) == ["a minute later", "after", "at since", "four minutes later"]


def test_the_poll_filter_asks_for_a_few_minutes_by_equality() -> None:
    query = changed_query(T0, T0 + timedelta(seconds=1))
    assert query["updated_minute"] == {"$in": ["202612050800", "202612050801", "202612050802"]}
    assert query["updated_at"] == {"$gte": T0}
    # A GUI that slept for a day asks by date range (slow, but once).
    assert set(changed_query(T0, T0 + timedelta(days=1))) == {"updated_at"}


def test_worker_writes_keep_the_minute_stamp(database: DatabaseAddress) -> None:
    client, db = connect(database)
    try:
        job = job_at(T0, "v")
        db["jobs"].insert_one({**job.to_doc(), "updated_minute": "202612050800"})
        job.message = "Reading frames"
        JobRepository(db).save(job)
        doc = db["jobs"].find_one({"_id": job.id})
        assert doc is not None
        assert doc["updated_minute"] == doc["updated_at"].strftime("%Y%m%d%H%M")
        plan = db.command("explain", {"find": "jobs", "filter": changed_query(T0, T0)})
        if "ferretdbVersion" in plan.get("serverInfo", {}):  # the embedded server says which index it used
            assert "USING INDEX" in " ".join(plan["queryPlanner"]["Plan"]), plan["queryPlanner"]
    finally:
        client.close()


# -- recent: walking days backwards ----------------------------------------------------------
NOW = datetime(2026, 12, 5, 8, 30, tzinfo=timezone.utc)


def history(n: int, seed: int = 1, days: int = 500) -> list[Job]:
    """`n` jobs over the `days` days before NOW, a few of them today, in two projects."""
    import random

    rng = random.Random(seed)
    jobs = []
    for i in range(n):
        at = NOW - timedelta(minutes=rng.randrange(days * 24 * 60) if i % 6 else rng.randrange(300))
        job = job_at(at.replace(microsecond=0), f"v{i}")
        job.project_id = "p1" if i % 3 else "p2"
        job.status = JobStatus.SUCCEEDED
        jobs.append(job)
    return jobs


def newest(jobs: list[Job], limit: int, project_id: str | None = None) -> list[str]:
    """What the old query gave: the newest `limit` (of the walk's 400 days: today and 399 before)."""
    first = (NOW - timedelta(days=399)).date()
    keep = [j for j in jobs if (project_id is None or j.project_id == project_id) and j.created_at.date() >= first]
    return [j.id for j in sorted(keep, key=lambda j: (j.created_at, j.id), reverse=True)[:limit]]


class CountingFind:
    """Wraps the repository's collection: counts the documents its finds return."""

    def __init__(self, coll: object) -> None:
        self._coll = coll
        self.read = 0

    def find(self, *args: object, **kwargs: object) -> object:
        cursor = self._coll.find(*args, **kwargs)  # type: ignore[attr-defined]
        outer = self

        class Counted:
            def sort(self, *a: object) -> Counted:
                cursor.sort(*a)
                return self

            def limit(self, n: int) -> Counted:
                cursor.limit(n)
                return self

            async def to_list(self, n: int | None) -> list[dict[str, object]]:
                docs = await cursor.to_list(n)
                outer.read += len(docs)
                return docs  # type: ignore[no-any-return]

        return Counted()

    def __getattr__(self, name: str) -> object:
        return getattr(self._coll, name)


def test_recent_walks_days_back_and_reads_only_the_newest(database: DatabaseAddress, monkeypatch: object) -> None:
    import core.repositories.jobs as jobs_module

    monkeypatch.setattr(jobs_module, "utc_now", lambda: NOW)  # type: ignore[attr-defined]
    jobs = history(240)

    async def scenario() -> None:
        client, db = connect_async(database)
        repo = AsyncJobRepository(db)
        try:
            for job in jobs:
                await repo.add(job)
            counting = CountingFind(repo._coll)
            repo._coll = counting  # type: ignore[assignment]
            got = [j.id for j in await repo.recent(None, 10)]
            assert got == newest(jobs, 10)
            today = sum(1 for j in jobs if j.created_at.date() == NOW.date())
            assert today < 60 and counting.read == today + 10  # today's (_id, created_at), then 10 whole jobs
            for project, limit in (("p1", 30), ("p2", 5), ("p2", 500), (None, 500)):
                assert [j.id for j in await repo.recent(project, limit)] == newest(jobs, limit, project), (project, limit)
            assert await repo.recent("nobody", 10) == []
        finally:
            await client.close()

    asyncio.run(scenario())


def test_jobs_of_an_older_release_are_listed_and_backfilled(database: DatabaseAddress, monkeypatch: object) -> None:
    import core.repositories.jobs as jobs_module

    monkeypatch.setattr(jobs_module, "utc_now", lambda: NOW)  # type: ignore[attr-defined]
    old = history(60, seed=2, days=300)
    old[0].status = JobStatus.RUNNING  # its worker stamps it with its next write
    client, db = connect(database)
    try:
        for job in old:  # as the previous release stored them: no day stamps
            db["jobs"].insert_one({**job.to_doc(), "updated_minute": minute_of(job.updated_at)})

        async def listed(project_id: str | None, limit: int) -> list[str]:
            aclient, adb = connect_async(database)
            try:
                repo = AsyncJobRepository(adb)
                if project_id == "add":
                    fresh = job_at(NOW - timedelta(minutes=1), "new")
                    await repo.add(fresh)
                    old.append(fresh)
                    return []
                return [j.id for j in await repo.recent(project_id, limit)]
            finally:
                await aclient.close()

        assert asyncio.run(listed(None, 20)) == newest(old, 20)  # the walk found none: asked the old way
        asyncio.run(listed("add", 0))  # a new job in an old database does not mark it
        assert db[MIGRATIONS].find_one({"_id": JOB_DAYS_MARK}) is None
        assert asyncio.run(listed("p1", 15)) == newest(old, 15, "p1")
        assert backfill_job_days(db) == len(old) - 2  # all but the running one and the new one
        assert backfill_job_days(db) == 0  # idempotent
        assert db[MIGRATIONS].find_one({"_id": JOB_DAYS_MARK}) is not None
        stamped = db["jobs"].find_one({"_id": old[1].id})
        assert stamped is not None and stamped["created_day"] == old[1].created_at.strftime("%Y%m%d")
        assert stamped["project_day"] == f"{old[1].project_id}/{stamped['created_day']}"
        assert "created_day" not in db["jobs"].find_one({"_id": old[0].id})  # type: ignore[operator]
        old[0].message = "Reading frames"
        JobRepository(db).save(old[0])  # the owner's write stamps it
        assert db["jobs"].find_one({"_id": old[0].id})["created_day"] == day_of(old[0].created_at)  # type: ignore[index]
        assert asyncio.run(listed(None, 500)) == newest(old, 500)
        assert asyncio.run(listed("p2", 7)) == newest(old, 7, "p2")
    finally:
        client.close()


def test_a_new_database_is_marked_by_its_first_job(database: DatabaseAddress) -> None:
    async def scenario() -> None:
        client, db = connect_async(database)
        try:
            await AsyncJobRepository(db).add(job_at(utc_now(), "first"))
            assert await db[MIGRATIONS].find_one({"_id": JOB_DAYS_MARK}) is not None
        finally:
            await client.close()

    asyncio.run(scenario())


def test_walk_days_covers_400_days_in_doubling_batches() -> None:
    batches = list(walk_days(NOW))
    assert batches[0] == ["20261206", "20261205"] and batches[1] == ["20261204"] and len(batches[3]) == 4
    days = [d for b in batches for d in b]
    assert len(days) == len(set(days)) == 401 and days[-1] == (NOW - timedelta(days=399)).strftime("%Y%m%d")
    assert len(batches) <= 11
