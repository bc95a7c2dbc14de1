"""The cost ledger read by day (core.repositories.ledger_days) on the real test server: totals,
spent and recent calls equal what summing every ledger row gives, before and after days are
rolled up, in UTC and other time zones; old ledgers are backfilled; reads stay small."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.repositories import DatabaseAddress, connect, connect_async
from core.repositories import ledger_days as ld
from core.repositories import provider_calls as pc
from core.repositories.jobs import MIGRATIONS
from core.repositories.provider_calls import (
    AsyncProviderCallRepository,
    ProviderCallRepository,
    backfill_ledger_days,
)
from core.models.costs import CostTotal, ProviderCall

NOW = datetime(2026, 12, 5, 8, 30, tzinfo=timezone.utc)
ZONES: list[tzinfo] = [timezone.utc, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]


def calls(n: int, seed: int = 1, days: int = 70) -> list[ProviderCall]:
    """`n` calls over the `days` days before NOW (some of them today), two projects, odd costs."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = NOW - timedelta(minutes=rng.randrange(days * 24 * 60)) if i % 5 else NOW - timedelta(minutes=rng.randrange(500))
        cached = i % 4 == 3
        cost = rng.uniform(0.0001, 0.3)
        out.append(ProviderCall(provider=rng.choice(["openai", "gemini"]), model="m", operation="summary",
                                ok=i % 7 != 6, cached=cached, cost_usd=0.0 if cached else cost,
                                saved_usd=cost if cached else 0.0, at=at.replace(microsecond=0),
                                project_id=rng.choice(["p1", "p2", None])))
    return out


def expected(rows: list[ProviderCall], by: str, tz: tzinfo = timezone.utc, project_id: str | None = None,
             since: datetime | None = None, until: datetime | None = None) -> list[CostTotal]:
    """Summing every row, as the ledger was read before (but exactly: see ledger_days)."""
    sums: dict[str, list[Any]] = {}
    for c in rows:
        if (project_id is not None and c.project_id != project_id) or (since and c.at < since) or (until and c.at >= until):
            continue
        key = {"day": c.at.astimezone(tz).date().isoformat(), "project": c.project_id or "", "provider": c.provider}[by]
        s = sums.setdefault(key, [Fraction(0), Fraction(0), 0, 0, 0])
        s[0] += Fraction(c.cost_usd)
        s[1] += Fraction(c.saved_usd)
        s[2] += 1
        s[3] += 1 if c.cached else 0
        s[4] += 0 if c.ok else 1
    return [CostTotal(k, float(s[0]), float(s[1]), s[2], s[3], s[4]) for k, s in sorted(sums.items())]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    now = [NOW]
    monkeypatch.setattr(pc, "utc_now", lambda: now[0])
    yield now


@pytest.fixture
def ledger(sync_db: Any, clock: list[datetime]) -> ProviderCallRepository:
    return ProviderCallRepository(sync_db)


def record(repo: ProviderCallRepository, rows: list[ProviderCall]) -> None:
    for call in rows:
        repo.record(call)


class Counting:
    """Runs plans on the real database and counts the documents each collection returned."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.read: dict[str, int] = {}

    def run(self, plan: ld.Plan[Any]) -> Any:
        answer: Any = None
        try:
            while True:
                request = plan.send(answer)
                answer = ld.run_sync(self.db, _one(request))
                if request[0] == "find":
                    self.read[request[1]] = self.read.get(request[1], 0) + len(answer)
        except StopIteration as done:
            return done.value


def _one(request: tuple[Any, ...]) -> ld.Plan[Any]:
    return (yield request)


def test_totals_equal_summing_every_row_before_and_after_rollups(ledger: ProviderCallRepository, sync_db: Any,
                                                                 clock: list[datetime]) -> None:
    rows = calls(300)
    record(ledger, rows)
    since, until = NOW - timedelta(days=30, hours=5, minutes=17), NOW - timedelta(days=2, minutes=3)
    for _ in range(2):  # first read rolls the closed days up; the second reads the rollups
        for by in ("project", "provider", "day"):
            assert ledger.totals(by) == expected(rows, by), by
            assert ledger.totals(by, since=since) == expected(rows, by, since=since), by
            assert ledger.totals(by, project_id="p1", since=since, until=until) == \
                expected(rows, by, project_id="p1", since=since, until=until), by
        for tz in ZONES:
            assert ledger.totals("day", tz=tz) == expected(rows, "day", tz), tz
            assert ledger.totals("day", tz=tz, since=since) == expected(rows, "day", tz, since=since), tz
        for project in ("p1", "p2", "nobody"):
            assert ledger.spent(project) == sum(t.cost_usd for t in expected(rows, "project", project_id=project))
    assert sync_db[ld.DAYS].count_documents({}) > 50 and sync_db[ld.MONTH_ROLLUPS].count_documents({}) >= 1
    # The old computation (a float sum in the order the server returns rows) agrees to the last digits.
    old = ProviderCallRepository(sync_db)._coll.find({}, ld.ROW_FIELDS).to_list(None)
    naive: dict[str, float] = {}
    for doc in old:
        naive[doc["provider"]] = naive.get(doc["provider"], 0.0) + doc["cost_usd"]
    assert {t.key: t.cost_usd for t in ledger.totals("provider")} == pytest.approx(naive, rel=1e-12)


def test_a_day_read_while_open_and_again_once_rolled_up(ledger: ProviderCallRepository, sync_db: Any,
                                                        clock: list[datetime]) -> None:
    today = [c for c in calls(60, seed=2, days=1) if c.at.date() == NOW.date()]
    record(ledger, today)
    assert ledger.totals("provider") == expected(today, "provider")
    rolled = {d["_id"]: d["rows"] for d in sync_db[ld.DAYS].find({})}
    assert rolled == {f"2026-12-0{d}": 0 for d in range(1, 5)}  # today is open: read from its rows
    clock[0] = NOW + timedelta(days=1)  # 08:30 the next day: yesterday is closed
    later = [ProviderCall(provider="openai", model="m", operation="caption", ok=True, cost_usd=0.125,
                          project_id="p1", at=clock[0] - timedelta(minutes=5))]
    record(ledger, later)
    assert ledger.totals("provider") == expected(today + later, "provider")
    assert sync_db[ld.DAYS].find_one({"_id": NOW.date().isoformat()})["rows"] == len(today)
    # A row recorded late for the rolled-up day (a backdated import) is counted: the rollup is made again.
    late = ProviderCall(provider="gemini", model="m", operation="caption", ok=False, cost_usd=0.5, project_id="p2",
                        at=NOW.replace(hour=23))
    record(ledger, [late])
    assert ledger.totals("provider") == expected(today + later + [late], "provider")
    assert ledger.totals("day") == expected(today + later + [late], "day")
    assert ledger.spent("p2") == sum(t.cost_usd for t in expected(today + later + [late], "project", project_id="p2"))


def test_rollups_are_a_function_of_the_rows_so_concurrent_writers_agree(ledger: ProviderCallRepository, sync_db: Any,
                                                                        clock: list[datetime]) -> None:
    rows = [c for c in calls(80, seed=3, days=3) if c.at < NOW - timedelta(days=2)]
    docs = [pc.entry_doc(c) for c in rows]
    day = docs[0]["day"]
    mine = [d for d in docs if d["day"] == day]
    assert ld.day_rollup(day, mine) == ld.day_rollup(day, list(reversed(mine)))
    record(ledger, rows)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            ProviderCallRepository(sync_db).totals("project")
        except BaseException as exc:  # pragma: no cover - what the test is looking for
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = sync_db[ld.DAYS].find_one({"_id": day})
    assert {k: v for k, v in stored.items()} == ld.day_rollup(day, mine)


def test_reads_touch_only_rollups_and_the_open_days(ledger: ProviderCallRepository, sync_db: Any,
                                                    clock: list[datetime]) -> None:
    rows = calls(400, seed=4, days=120)
    record(ledger, rows)
    ledger.totals("project")  # rolls the closed days and months up
    open_rows = sum(1 for c in rows if c.at >= NOW.replace(hour=0, minute=0))  # today's: yesterday is closed
    counting = Counting(sync_db)
    assert counting.run(pc._totals_plan("provider", None, None, None, timezone.utc)) == expected(rows, "provider")
    assert counting.read.get(ld.LEDGER, 0) == open_rows < len(rows) / 3
    assert counting.read[ld.MONTH_ROLLUPS] <= 4 and counting.read.get(ld.DAYS, 0) <= 31
    counting = Counting(sync_db)
    newest = counting.run(ld.recent_rows(10, None, NOW))
    assert [d["_id"] for d in newest] == [c.id for c in sorted(rows, key=lambda c: (c.at, c.id), reverse=True)[:10]]
    assert counting.read[ld.LEDGER] == open_rows  # today's were enough


def test_recent_calls_are_the_newest_rows(ledger: ProviderCallRepository, sync_db: Any, database: DatabaseAddress,
                                          clock: list[datetime]) -> None:
    rows = calls(150, seed=5, days=400)
    record(ledger, rows)
    newest = sorted(rows, key=lambda c: (c.at, c.id), reverse=True)
    assert [c.id for c in ledger.recent(20)] == [c.id for c in newest[:20]]

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        client, db = connect_async(database)
        try:
            repo = AsyncProviderCallRepository(db)
            return ([c.id for c in await repo.recent(200)], [c.id for c in await repo.recent(7, project_id="p2")],
                    [t.key for t in await repo.totals("project")])
        finally:
            await client.close()

    every, p2, projects = asyncio.run(scenario())
    assert every == [c.id for c in newest]  # all of them, older than the walk's first days too
    assert p2 == [c.id for c in newest if c.project_id == "p2"][:7]
    assert projects == ["", "p1", "p2"]


def test_an_old_ledger_is_summed_whole_until_backfilled(sync_db: Any, database: DatabaseAddress,
                                                        clock: list[datetime]) -> None:
    rows = calls(120, seed=6)
    for call in rows:  # as the previous release stored them: no `day`, no months
        sync_db["provider_calls"].insert_one(call.to_doc())
    old = ProviderCallRepository(sync_db)
    assert old.totals("provider") == expected(rows, "provider")  # the old way: every row
    assert sync_db[MIGRATIONS].find_one({"_id": pc.LEDGER_DAYS_MARK}) is None
    new = [ProviderCall(provider="openai", model="m", operation="summary", ok=True, cost_usd=0.25, project_id="p1",
                        at=NOW - timedelta(minutes=1))]
    record(old, new)  # a new row in an old ledger: still not marked
    assert old.totals("project") == expected(rows + new, "project")
    assert backfill_ledger_days(sync_db) == len(rows)
    assert backfill_ledger_days(sync_db) == 0  # idempotent
    assert sync_db["provider_calls"].count_documents({"day": {"$exists": False}}) == 0
    fresh = ProviderCallRepository(sync_db)
    for by in ("project", "provider", "day"):
        assert fresh.totals(by) == expected(rows + new, by)
    assert fresh.spent("p1") == sum(t.cost_usd for t in expected(rows + new, "project", project_id="p1"))
    assert sync_db[ld.DAYS].count_documents({}) > 0  # now through rollups


def test_a_new_ledger_is_marked_by_its_first_row(ledger: ProviderCallRepository, sync_db: Any) -> None:
    assert sync_db[MIGRATIONS].find_one({"_id": pc.LEDGER_DAYS_MARK}) is None
    record(ledger, calls(3, seed=7))
    assert sync_db[MIGRATIONS].find_one({"_id": pc.LEDGER_DAYS_MARK}) is not None
    assert sorted(d["_id"] for d in sync_db[ld.MONTHS].find({})) == sorted({c.at.strftime("%Y-%m") for c in calls(3, 7)})


def test_the_open_days_are_read_by_an_index(sync_db: Any, ledger: ProviderCallRepository) -> None:
    record(ledger, calls(20, seed=8))
    plan = sync_db.command("explain", {"find": "provider_calls", "filter": {"day": {"$in": ["2026-12-05", "2026-12-04"]}}})
    if "ferretdbVersion" in plan.get("serverInfo", {}):
        assert "USING INDEX" in " ".join(plan["queryPlanner"]["Plan"]), plan["queryPlanner"]
