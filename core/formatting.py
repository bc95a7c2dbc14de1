"""Human-readable text for durations, ETAs and job progress (shared by the GUI and the CLI); the
one m:ss clock is core.timeutil.format_timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.models import JobStatus
from core.timeutil import format_timestamp

if TYPE_CHECKING:
    from core.models import Job


def format_duration(seconds: float | None) -> str:
    """Return 'm:ss' or 'h:mm:ss'; '—' when unknown."""
    if seconds is None:
        return "—"
    return format_timestamp(round(seconds))


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA —"
    if seconds < 1:
        return "ETA <1 s"
    if seconds < 60:
        return f"ETA {seconds:.0f} s"
    return f"ETA {format_duration(seconds)}"


def job_progress_text(job: Job) -> str:
    """One line an operator reads on a progress bar: stage, percent, ETA or outcome."""
    stage = job.current_stage
    stage_name = stage.name if stage else job.kind
    percent = f"{job.progress * 100:.0f}%"
    if job.status == JobStatus.RUNNING:
        return f"{stage_name} · {percent} · {format_eta(job.eta_s)}"
    if job.status == JobStatus.QUEUED:
        return f"Queued · {percent}" if job.progress > 0 else "Queued"
    if job.status == JobStatus.SUCCEEDED:
        return "Done · 100%"
    if job.status == JobStatus.CANCELED:
        return f"Canceled at {percent}"
    return f"Failed in {stage_name}: {job.error.message if job.error else job.message}"
