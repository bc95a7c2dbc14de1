"""/api/v1/videos: the library's videos; one video; remove one (not while it is analysed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from api import deps
from api.schemas import VideoOut
from core.errors import NotFound
from core.services.library import LibraryService

router = APIRouter(prefix="/videos", tags=["videos"])


@router.get("", response_model=list[VideoOut])
async def list_videos(project_id: str | None = Query(None, description="only this project's videos"),
                      library: LibraryService = Depends(deps.library)) -> list[VideoOut]:
    return [VideoOut.of(v) for v in await library.videos(project_id)]


@router.get("/{video_id}", response_model=VideoOut)
async def get_video(video_id: str, library: LibraryService = Depends(deps.library)) -> VideoOut:
    video = await library.video(video_id)
    if video is None:
        raise NotFound(f"No video with id {video_id} in the library")
    return VideoOut.of(video)


@router.delete("/{video_id}", status_code=204, response_class=Response)
async def remove_video(video_id: str, library: LibraryService = Depends(deps.library)) -> Response:
    """Remove the video from the library (its file stays); 409 while its analysis is queued or running."""
    await library.remove(video_id)
    return Response(status_code=204)
