"""The states of jobs, their stages and videos (plain enums, no dataclasses: the GUI needs them
before its first paint, see app/gui.py)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class StageStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def done(self) -> bool:
        return self in (StageStatus.SUCCEEDED, StageStatus.SKIPPED)


class VideoStatus(StrEnum):
    NEW = "new"
    QUEUED = "queued"
    ANALYZING = "analyzing"
    READY = "ready"
    FAILED = "failed"
    CANCELED = "canceled"
