"""The budget_holds collection: what paid provider calls in flight are expected to cost.

A worker about to make a paid call inserts a hold with the call's estimate *before* it checks
the project's budget, and deletes it once the call is in the ledger. A check counts the ledger
and every live hold, its own included, so of several workers checking at once, the later ones
see the earlier ones' holds: together they cannot pass the budget by more than their estimates
were off (they may refuse a call that would just have fitted). Inserts and deletes only, no
read-modify-write: safe on FerretDB. A hold older than the caller's time to live (a worker that
died mid-call) no longer counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database as SyncDatabase

from core.models.ids import new_id


class BudgetHoldRepository:
    def __init__(self, db: SyncDatabase[dict[str, Any]]) -> None:
        self._coll = db["budget_holds"]

    def add(self, project_id: str, usd: float, at: datetime) -> str:
        hold_id = new_id()
        self._coll.insert_one({"_id": hold_id, "project_id": project_id, "usd": float(usd), "at": at})
        return hold_id

    def remove(self, hold_id: str) -> None:
        self._coll.delete_one({"_id": hold_id})

    def total(self, project_id: str, since: datetime) -> float:
        """USD held for the project's calls in flight (holds made at or after `since`)."""
        docs = self._coll.find({"project_id": project_id, "at": {"$gte": since}}, {"usd": 1})
        return float(sum(float(d.get("usd") or 0.0) for d in docs))

    def prune(self, before: datetime) -> int:
        """Delete holds made before `before` (left by workers that died mid-call)."""
        return int(self._coll.delete_many({"at": {"$lt": before}}).deleted_count)
