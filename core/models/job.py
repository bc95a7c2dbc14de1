"""A job record: the single source of truth for a unit of work and its live progress.

Shape (docs/ARCHITECTURE.md §4): {_id, kind, video_id, project_id, status, stages[], progress,
message, eta_s, attempts, worker_id, heartbeat_at, cancel_requested, error, cost_usd, force,
created_at, updated_at}; the repository adds the `updated_minute`, `created_day` and
`project_day` stamps. Only the worker that owns a running job writes its progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.models.ids import new_id
from core.models.status import JobStatus, StageStatus
from core.timeutil import as_utc, utc_now


@dataclass
class JobError:
    type: str
    message: str
    detail: str = ""

    def to_doc(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "detail": self.detail}

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> JobError | None:
        if not doc:
            return None
        return cls(type=doc.get("type", ""), message=doc.get("message", ""), detail=doc.get("detail", ""))


@dataclass
class StageRecord:
    """One stage of a job as the job record holds it (its status, progress and message); the
    pipeline's stage itself is core.pipeline.stage.Stage."""

    name: str
    status: StageStatus = StageStatus.PENDING
    progress: float = 0.0
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: JobError | None = None

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "progress": self.progress,
            "message": self.message,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error.to_doc() if self.error else None,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> StageRecord:
        return cls(
            name=doc["name"],
            status=StageStatus(doc.get("status", "pending")),
            progress=float(doc.get("progress") or 0.0),
            message=doc.get("message", ""),
            started_at=as_utc(doc.get("started_at")),
            finished_at=as_utc(doc.get("finished_at")),
            error=JobError.from_doc(doc.get("error")),
        )


@dataclass
class Job:
    kind: str
    video_id: str
    project_id: str
    stages: list[StageRecord]
    id: str = field(default_factory=new_id)
    status: JobStatus = JobStatus.QUEUED
    progress: float = 0.0
    message: str = "Waiting for a worker"
    eta_s: float | None = None
    attempts: int = 0
    worker_id: str | None = None
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False
    error: JobError | None = None
    cost_usd: float = 0.0
    force: bool = False
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)

    @property
    def current_stage(self) -> StageRecord | None:
        """Return the stage that is running, or the next one to run, or the last one."""
        for stage in self.stages:
            if stage.status in (StageStatus.RUNNING, StageStatus.FAILED, StageStatus.CANCELED):
                return stage
        for stage in self.stages:
            if not stage.status.done:
                return stage
        return self.stages[-1] if self.stages else None

    def back_to_queue(self, message: str) -> None:
        """Make the job queued again: unfinished stages start over, finished ones are kept."""
        for stage in self.stages:
            if not stage.status.done:
                stage.status, stage.progress, stage.error = StageStatus.PENDING, 0.0, None
                stage.message = ""
        self.status, self.worker_id, self.eta_s, self.error = JobStatus.QUEUED, None, None, None
        self.progress = round(sum(s.progress for s in self.stages) / max(1, len(self.stages)), 4)
        self.message = message

    def stage_index(self, name: str) -> int:
        for i, stage in enumerate(self.stages):
            if stage.name == name:
                return i
        raise KeyError(name)

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "kind": self.kind,
            "video_id": self.video_id,
            "project_id": self.project_id,
            "status": str(self.status),
            "stages": [s.to_doc() for s in self.stages],
            "progress": self.progress,
            "message": self.message,
            "eta_s": self.eta_s,
            "attempts": self.attempts,
            "worker_id": self.worker_id,
            "heartbeat_at": self.heartbeat_at,
            "cancel_requested": self.cancel_requested,
            "error": self.error.to_doc() if self.error else None,
            "cost_usd": self.cost_usd,
            "force": self.force,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Job:
        return cls(
            id=doc["_id"],
            kind=doc.get("kind", "analyze"),
            video_id=doc["video_id"],
            project_id=doc["project_id"],
            stages=[StageRecord.from_doc(s) for s in doc.get("stages") or []],
            status=JobStatus(doc.get("status", "queued")),
            progress=float(doc.get("progress") or 0.0),
            message=doc.get("message", ""),
            eta_s=doc.get("eta_s"),
            attempts=int(doc.get("attempts") or 0),
            worker_id=doc.get("worker_id"),
            heartbeat_at=as_utc(doc.get("heartbeat_at")),
            cancel_requested=bool(doc.get("cancel_requested")),
            error=JobError.from_doc(doc.get("error")),
            cost_usd=float(doc.get("cost_usd") or 0.0),
            force=bool(doc.get("force")),
            created_at=as_utc(doc.get("created_at")) or utc_now(),
            updated_at=as_utc(doc.get("updated_at")) or utc_now(),
        )
