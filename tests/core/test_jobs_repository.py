"""The jobs collection's poll query on the real test server: exact, and answered from an index."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from core.models import Job, Stage
from core.repositories import Database, connect, connect_async
from core.repositories.jobs import AsyncJobRepository, JobRepository, changed_query
from core.timeutil import utc_now

T0 = datetime(2026, 12, 5, 8, 0, 59, 500_000, tzinfo=timezone.utc)


def job_at(at: datetime, name: str) -> Job:
    return Job(kind="analyze", video_id=name, project_id="p", stages=[Stage(name="probe")],
               created_at=at, updated_at=at)


def test_changed_since_returns_exactly_the_jobs_written_since(database: Database) -> None:
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


def test_worker_writes_keep_the_minute_stamp(database: Database) -> None:
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
