"""/api/v1/jobs: queue analyses (returns at once), list, read one, follow one (Server-Sent
Events from the job records, the source the GUI polls), cancel, retry."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api import deps
from api.schemas import AnalyzeIn, AnalyzeOut, JobOut, QueuedItem
from core.models import Job, JobStatus
from core.services.analysis import AnalysisService
from core.services.jobs import JobService

router = APIRouter(prefix="/jobs", tags=["jobs"])
EVENT_POLL_S = 0.5


@router.post("", response_model=AnalyzeOut, status_code=202)
async def analyze(body: AnalyzeIn, analysis: AnalysisService = Depends(deps.analysis)) -> AnalyzeOut:
    """Import the paths into the project and queue their analysis; returns once queued."""
    queued = await analysis.analyze_paths([Path(p) for p in body.paths], body.project, body.force,
                                          body.over_budget_ok)
    items = [QueuedItem(path=item.path, video_id=item.video.id, job_id=queued.job_of(item).id,
                        status=str(queued.job_of(item).status)) for item in queued.items]
    return AnalyzeOut(project_id=queued.project.id, estimate_usd=queued.estimate.total_usd,
                      estimate=queued.estimate.message(), items=items)


@router.get("", response_model=list[JobOut])
async def list_jobs(status: JobStatus | None = Query(None), project_id: str | None = Query(None),
                    limit: int = Query(50, ge=1, le=1000), jobs: JobService = Depends(deps.jobs)) -> list[JobOut]:
    """The newest jobs first."""
    return [JobOut.of(j) for j in await jobs.recent(project_id, limit, status)]


@router.get("/{job_id}", response_model=JobOut)
async def get_job(job_id: str, jobs: JobService = Depends(deps.jobs)) -> JobOut:
    """The job record (the id, or its first 8 or more characters)."""
    return JobOut.of(await jobs.find(job_id))


@router.post("/{job_id}/cancel", response_model=JobOut)
async def cancel_job(job_id: str, jobs: JobService = Depends(deps.jobs)) -> JobOut:
    job = await jobs.find(job_id)
    await jobs.cancel(job.id)
    return JobOut.of(await jobs.find(job.id))


@router.post("/{job_id}/retry", response_model=JobOut)
async def retry_job(job_id: str, jobs: JobService = Depends(deps.jobs)) -> JobOut:
    """Queue a failed or canceled job again (409 otherwise)."""
    return JobOut.of(await jobs.retry((await jobs.find(job_id)).id))


@router.get("/{job_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def job_events(job_id: str, request: Request, jobs: JobService = Depends(deps.jobs)) -> StreamingResponse:
    """Server-Sent Events: a `progress` event with the job record whenever it changes, then one
    `end` event with the final record; the stream closes when the job has finished."""
    job = await jobs.find(job_id)

    async def stream() -> AsyncIterator[str]:
        last: Job = job
        async for changed in jobs.watch([job.id], EVENT_POLL_S):
            for current in changed:
                last = current
                if not current.status.finished:
                    yield _event("progress", JobOut.of(current).model_dump_json())
            if await request.is_disconnected():
                return
        if last.status.finished:
            yield _event("end", JobOut.of(last).model_dump_json())
        else:  # the watch ended without the job finishing: its record is gone
            yield _event("end", json.dumps({"error": {"code": "not_found", "message": f"Job {job.id} was removed"}}))

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"
