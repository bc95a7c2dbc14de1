"""A worker process as the `workers` collection records it: who is alive, on which host,
running what (written by the worker itself, read by the GUI's status bar and `vip status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.timeutil import as_utc, utc_now


@dataclass
class WorkerRecord:
    id: str
    host: str
    pid: int
    heartbeat_at: datetime
    current_job: str | None
    started_at: datetime

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> WorkerRecord:
        return cls(
            id=doc["_id"],
            host=doc.get("host", ""),
            pid=int(doc.get("pid") or 0),
            heartbeat_at=as_utc(doc.get("heartbeat_at")) or utc_now(),
            current_job=doc.get("current_job"),
            started_at=as_utc(doc.get("started_at")) or utc_now(),
        )
