"""Leases: cluster-wide locks that expire, so a holder killed mid-way never blocks the others.

A lease is one document `{_id: name, owner, expires_at}` in `leases`. Taking it is an insert
(the unique `_id` makes exactly one of several racing workers win); an expired lease is
deleted by a conditional delete first, so a SIGKILLed holder delays the others by at most
the lease's time to live. Works the same on FerretDB and on a MongoDB cluster, whichever
queue (SQLite or Redis) the workers share.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pymongo.database import Database as SyncDatabase
from pymongo.errors import DuplicateKeyError

from core.timeutil import utc_now


class LeaseRepository:
    """Sync leases for worker processes (the reaper, the hourly cache purge)."""

    def __init__(self, db: SyncDatabase[dict[str, Any]], holder: str) -> None:
        self._coll = db["leases"]
        self._holder = holder

    def try_acquire(self, name: str, ttl: timedelta) -> str | None:
        """Take lease `name` for `ttl`; its owner token, or None when someone else holds it."""
        owner = f"{self._holder}/{uuid.uuid4().hex[:8]}"
        for _ in range(2):
            try:
                self._coll.insert_one({"_id": name, "owner": owner, "expires_at": utc_now() + ttl})
                return owner
            except DuplicateKeyError:
                expired = self._coll.delete_one({"_id": name, "expires_at": {"$lt": utc_now()}})
                if not expired.deleted_count:
                    return None
        return None

    def release(self, name: str, owner: str) -> None:
        self._coll.delete_one({"_id": name, "owner": owner})

    def holder(self, name: str) -> str | None:
        doc = self._coll.find_one({"_id": name})
        return str(doc["owner"]) if doc else None

    @contextmanager
    def hold(self, name: str, ttl: timedelta) -> Iterator[bool]:
        """`with leases.hold(name, ttl) as mine:` — mine is False when another process holds it."""
        owner = self.try_acquire(name, ttl)
        try:
            yield owner is not None
        finally:
            if owner is not None:
                self.release(name, owner)
