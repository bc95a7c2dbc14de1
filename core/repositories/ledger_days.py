"""The cost ledger by day: what the Costs view, `vip costs` and the budget check read instead of
every ledger row. Used by core.repositories.provider_calls (sync in workers, async in the GUI
and CLI); this module does no I/O itself: each read is a *plan*, a generator that yields the
database requests it needs and gets their answers back, run by `run_sync` or `run_async`.

Layout (all inside the subset FerretDB 1.24 and MongoDB 6 share; inserts and deletes only):

- every ledger row carries `day`, the UTC day of its `at` ('YYYY-MM-DD', indexed);
- `ledger_months` holds one tiny document per month that has rows (`_id` 'YYYY-MM'), inserted
  by `record` (a duplicate insert is ignored): the months a read has to look at;
- `cost_days` holds one rollup per closed day (`_id` = the day): sums per (UTC hour, project,
  provider) as one compact JSON string (FerretDB's cost is per field value), exact sums as
  fractions, so the content is a function of the day's rows alone and two processes that roll
  up the same day write the same document (the second insert fails as a duplicate, harmlessly);
- `cost_months` the same per closed month and (project, provider), made from its days.

A day is closed, and rolled up by the first read that needs it, once it has been over for
GRACE (an hour: a call's row is written when the call ends). A row recorded later for a
closed day (a backdated row: benchmarks, imports) deletes that day's and month's rollups, so
the next read makes them again. Totals are exact sums (`math.fsum` of the rows' values), so
they are the same whichever rollups and rows they came from.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from typing import Any, Literal, TypeVar

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database as SyncDatabase
from pymongo.errors import DuplicateKeyError

from core.timeutil import as_utc

TotalsBy = Literal["project", "provider", "day"]
Doc = dict[str, Any]
T = TypeVar("T")
# ("find", collection, filter, projection) -> list of documents; ("insert", collection, doc);
# ("delete", collection, filter) -> None
Request = tuple[Any, ...]
Plan = Generator[Request, Any, T]

LEDGER = "provider_calls"
MONTHS = "ledger_months"
DAYS = "cost_days"
MONTH_ROLLUPS = "cost_months"
GRACE = timedelta(hours=1)
FORMAT = 1
ROW_FIELDS = {"project_id": 1, "provider": 1, "cost_usd": 1, "saved_usd": 1, "cached": 1, "ok": 1, "at": 1}
_IN_CHUNK = 500  # values per `$in` (the embedded server pushes down at most 1,000)
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)


def day_of(at: datetime) -> str:
    """A row's `day`: the UTC date of `at` ('YYYY-MM-DD'; naive times are UTC)."""
    utc = as_utc(at)
    assert utc is not None
    return utc.date().isoformat()


def month_of(day: str) -> str:
    return day[:7]


def day_start(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime(year, mon, 1, tzinfo=timezone.utc)
    return start, start + timedelta(days=calendar.monthrange(year, mon)[1])


def days_of(month: str) -> list[str]:
    start, end = month_bounds(month)
    return [(start + i * _DAY).date().isoformat() for i in range((end - start) // _DAY)]


def is_closed(end: datetime, now: datetime) -> bool:
    """A day or month ending at `end` is closed (its rows are all in) at `now`."""
    return now >= end + GRACE


# -- sums ------------------------------------------------------------------------------------
class Sums:
    """Exact running sums of one total: cost and savings as fractions (a float is a fraction)."""

    __slots__ = ("cost", "saved", "calls", "cached", "failed")

    def __init__(self, cost: Fraction = Fraction(0), saved: Fraction = Fraction(0), calls: int = 0,
                 cached: int = 0, failed: int = 0) -> None:
        self.cost, self.saved, self.calls, self.cached, self.failed = cost, saved, calls, cached, failed

    def add_row(self, doc: Doc) -> None:
        self.cost += Fraction(float(doc.get("cost_usd") or 0.0))
        self.saved += Fraction(float(doc.get("saved_usd") or 0.0))
        self.calls += 1
        self.cached += 1 if doc.get("cached") else 0
        self.failed += 0 if doc.get("ok") else 1

    def add(self, other: Sums) -> None:
        self.cost += other.cost
        self.saved += other.saved
        self.calls += other.calls
        self.cached += other.cached
        self.failed += other.failed

    def encode(self) -> list[Any]:
        return [str(self.cost), str(self.saved), self.calls, self.cached, self.failed]

    @classmethod
    def decode(cls, values: list[Any]) -> Sums:
        return cls(Fraction(values[0]), Fraction(values[1]), int(values[2]), int(values[3]), int(values[4]))


@dataclass(frozen=True)
class Cell:
    """A rollup's unit: the sums of one (UTC hour or None for a month, project, provider)."""

    hour: int | None
    project_id: str | None
    provider: str


def _sort_key(item: tuple[Cell, Sums]) -> tuple[int, str, str]:
    cell = item[0]
    return (-1 if cell.hour is None else cell.hour, cell.project_id or "", cell.provider)


def encode_cells(cells: dict[Cell, Sums]) -> str:
    """The rollup's content: deterministic (sorted, exact), one string."""
    rows = [[c.hour, c.project_id, c.provider, *s.encode()] for c, s in sorted(cells.items(), key=_sort_key)]
    return json.dumps(rows, separators=(",", ":"))


def decode_cells(text: str) -> dict[Cell, Sums]:
    return {Cell(r[0], r[1], r[2]): Sums.decode(r[3:]) for r in json.loads(text)}


def row_cell(doc: Doc, hourly: bool) -> Cell:
    at = as_utc(doc.get("at"))
    return Cell(at.hour if hourly and at else (0 if hourly else None), doc.get("project_id"), doc.get("provider") or "")


def day_rollup(day: str, rows: Iterable[Doc]) -> Doc:
    cells: dict[Cell, Sums] = {}
    count = 0
    for doc in rows:
        cells.setdefault(row_cell(doc, True), Sums()).add_row(doc)
        count += 1
    return {"_id": day, "v": FORMAT, "rows": count, "cells": encode_cells(cells)}


def month_rollup(month: str, days: Iterable[Doc]) -> Doc:
    cells: dict[Cell, Sums] = {}
    count = 0
    for doc in days:
        for cell, sums in decode_cells(doc["cells"]).items():
            cells.setdefault(Cell(None, cell.project_id, cell.provider), Sums()).add(sums)
        count += int(doc["rows"])
    return {"_id": month, "v": FORMAT, "rows": count, "cells": encode_cells(cells)}


# -- plans -----------------------------------------------------------------------------------
def _find_in(collection: str, field: str, values: list[str], projection: Doc | None = None) -> Plan[list[Doc]]:
    docs: list[Doc] = []
    for i in range(0, len(values), _IN_CHUNK):
        docs += yield ("find", collection, {field: {"$in": values[i:i + _IN_CHUNK]}}, projection)
    return docs


def _whole_hours(tz: tzinfo, start: datetime) -> bool:
    """Each UTC hour of the day starting at `start` falls on one calendar date in `tz`."""
    for h in range(24):
        offset = (start + h * _HOUR).astimezone(tz).utcoffset() or timedelta(0)
        if offset % _HOUR:
            return False
    return True


def _inside(start: datetime, end: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or since <= start) and (until is None or end <= until)


def _overlaps(start: datetime, end: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or end > since) and (until is None or start < until)


class Totals:
    """Sums by the key a Costs total is asked by (project, provider or `tz`'s calendar day)."""

    def __init__(self, by: TotalsBy, tz: tzinfo, project_id: str | None) -> None:
        self.by, self.tz, self.project_id = by, tz, project_id
        self.sums: dict[str, Sums] = {}

    def _key(self, project_id: str | None, provider: str, at: datetime | None) -> str:
        if self.by == "day":
            return at.astimezone(self.tz).date().isoformat() if at else ""
        return (project_id or "") if self.by == "project" else provider

    def add_row(self, doc: Doc) -> None:
        if self.project_id is None or doc.get("project_id") == self.project_id:
            key = self._key(doc.get("project_id"), doc.get("provider") or "", as_utc(doc.get("at")))
            self.sums.setdefault(key, Sums()).add_row(doc)

    def add_rollup(self, doc: Doc, start: datetime) -> None:
        for cell, sums in decode_cells(doc["cells"]).items():
            if self.project_id is None or cell.project_id == self.project_id:
                at = start + cell.hour * _HOUR if cell.hour is not None else None
                self.sums.setdefault(self._key(cell.project_id, cell.provider, at), Sums()).add(sums)


def _rollups(days: list[str]) -> Plan[dict[str, Doc]]:
    """The rollups of these closed days, making (and storing) those not made yet."""
    have = {d["_id"]: d for d in (yield from _find_in(DAYS, "_id", days)) if d.get("v") == FORMAT}
    missing = [d for d in days if d not in have]
    if missing:
        rows: dict[str, list[Doc]] = {d: [] for d in missing}
        for doc in (yield from _find_in(LEDGER, "day", missing, {**ROW_FIELDS, "day": 1})):
            rows[doc["day"]].append(doc)
        for day in missing:
            have[day] = day_rollup(day, rows[day])
            yield ("insert", DAYS, have[day])
    return have


def months_with_rows() -> Plan[list[str]]:
    docs = yield ("find", MONTHS, {}, {"_id": 1})
    return sorted(str(d["_id"]) for d in docs)


def collect(totals: Totals, since: datetime | None, until: datetime | None, now: datetime) -> Plan[Totals]:
    """Add every ledger row in [since, until) to `totals`: closed months and days from their
    rollups, the rest (open days, days cut by since/until) from their rows by `day`."""
    month_ids, day_ids, row_days = [], [], []
    for month in (yield from months_with_rows()):
        start, end = month_bounds(month)
        if not _overlaps(start, end, since, until):
            continue
        if totals.by != "day" and _inside(start, end, since, until) and is_closed(end, now):
            month_ids.append(month)
            continue
        for day in days_of(month):
            d0 = day_start(day)
            if not _overlaps(d0, d0 + _DAY, since, until):
                continue
            whole = totals.by != "day" or _whole_hours(totals.tz, d0)
            if whole and _inside(d0, d0 + _DAY, since, until) and is_closed(d0 + _DAY, now):
                day_ids.append(day)
            else:
                row_days.append(day)
    months = {d["_id"]: d for d in (yield from _find_in(MONTH_ROLLUPS, "_id", month_ids)) if d.get("v") == FORMAT}
    missing_months = [m for m in month_ids if m not in months]
    rollups = yield from _rollups(day_ids + [d for m in missing_months for d in days_of(m)])
    for month in missing_months:
        months[month] = month_rollup(month, (rollups[d] for d in days_of(month)))
        yield ("insert", MONTH_ROLLUPS, months[month])
    for month in month_ids:
        totals.add_rollup(months[month], month_bounds(month)[0])
    for day in day_ids:
        totals.add_rollup(rollups[day], day_start(day))
    for doc in (yield from _find_in(LEDGER, "day", row_days, ROW_FIELDS)):
        at = as_utc(doc.get("at"))
        if at is not None and (since is None or at >= since) and (until is None or at < until):
            totals.add_row(doc)
    return totals


def recent_rows(limit: int, project_id: str | None, now: datetime) -> Plan[list[Doc]]:
    """The newest `limit` rows (of one project): the days that have rows, newest first, a
    batch at a time (1, 1, 2, 4, ... days), until the batches hold `limit` rows."""
    last = day_of(now + _DAY)
    days = [d for m in reversed((yield from months_with_rows())) for d in reversed(days_of(m)) if d <= last]
    found: dict[str, Doc] = {}
    taken, size = 0, 2  # tomorrow (another host's clock) and today, then 1, 2, 4, ... days
    while taken < len(days) and len(found) < limit:
        batch = days[taken:taken + size]
        size = 1 if taken == 0 else size * 2
        taken += len(batch)
        for doc in (yield from _find_in(LEDGER, "day", batch)):
            if project_id is None or doc.get("project_id") == project_id:
                found[doc["_id"]] = doc
    return newest(found.values(), limit)


def newest(docs: Iterable[Doc], limit: int) -> list[Doc]:
    def key(doc: Doc) -> tuple[datetime, str]:
        return as_utc(doc.get("at")) or datetime.min.replace(tzinfo=timezone.utc), str(doc["_id"])

    return sorted(docs, key=key, reverse=True)[:limit]


def forget_rollups(day: str) -> Plan[None]:
    """A row landed in a closed day: its day's and month's rollups are made again when read."""
    yield ("delete", DAYS, {"_id": day})
    yield ("delete", MONTH_ROLLUPS, {"_id": month_of(day)})


# -- running plans ---------------------------------------------------------------------------
def run_sync(db: SyncDatabase[Doc], plan: Plan[T]) -> T:
    answer: Any = None
    try:
        while True:
            request = plan.send(answer)
            op, collection = request[0], db[request[1]]
            if op == "find":
                answer = collection.find(request[2], request[3]).to_list(None)
            elif op == "insert":
                try:
                    collection.insert_one(request[2])
                except DuplicateKeyError:
                    pass  # another process wrote the same content first
                answer = None
            else:
                collection.delete_many(request[2])
                answer = None
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_async(db: AsyncDatabase[Doc], plan: Plan[T]) -> T:
    answer: Any = None
    try:
        while True:
            request = plan.send(answer)
            op, collection = request[0], db[request[1]]
            if op == "find":
                answer = await collection.find(request[2], request[3]).to_list(None)
            elif op == "insert":
                try:
                    await collection.insert_one(request[2])
                except DuplicateKeyError:
                    pass
                answer = None
            else:
                await collection.delete_many(request[2])
                answer = None
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
