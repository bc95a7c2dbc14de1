"""Request and response bodies of the API (Pydantic), built from core's models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.models import Job, Project, Video


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str
    budget_usd: float | None
    created_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectOut:
        return cls(id=project.id, name=project.name, description=project.description,
                   budget_usd=project.budget_usd, created_at=project.created_at)


class VideoOut(BaseModel):
    id: str
    project_id: str
    name: str
    path: str
    status: str
    duration_s: float | None
    width: int | None
    height: int | None
    stages: dict[str, str | None] = Field(description="each analysis stage's status on this video")
    speakers: dict[str, str] = Field(description="speaker label → the name shown (\"Speaker 2\" until named)")
    cost_usd: float

    @classmethod
    def of(cls, video: Video) -> VideoOut:
        media = video.media
        return cls(id=video.id, project_id=video.project_id, name=video.name, path=video.path,
                   status=str(video.status), duration_s=media.duration_s if media else None,
                   width=media.width if media else None, height=media.height if media else None,
                   stages={name: info.get("status") for name, info in video.stages.items()},
                   speakers=video.speaker_names(), cost_usd=video.cost_usd)


class StageOut(BaseModel):
    name: str
    status: str
    progress: float
    message: str
    started_at: datetime | None
    finished_at: datetime | None
    error: dict[str, str] | None


class JobOut(BaseModel):
    id: str
    kind: str
    video_id: str
    project_id: str
    status: str
    progress: float
    message: str
    eta_s: float | None
    attempts: int
    worker_id: str | None
    cancel_requested: bool
    error: dict[str, str] | None
    cost_usd: float
    created_at: datetime
    updated_at: datetime
    stages: list[StageOut]

    @classmethod
    def of(cls, job: Job) -> JobOut:
        doc: dict[str, Any] = job.to_doc()
        doc["id"] = doc.pop("_id")
        return cls.model_validate(doc)


class AnalyzeIn(BaseModel):
    paths: list[str] = Field(min_length=1, description="video files or folders (recursive) on the server's disk")
    project: str | None = Field(None, description="project name (default: Default; created if missing)")
    force: bool = Field(False, description="re-run stages that are up to date")
    over_budget_ok: bool = Field(False, description="queue even when the estimated cloud cost passes the budget")


class QueuedItem(BaseModel):
    path: str
    video_id: str
    job_id: str
    status: str


class AnalyzeOut(BaseModel):
    project_id: str
    estimate_usd: float
    estimate: str
    items: list[QueuedItem]
