"""/api/v1/videos/{id}/export: a video as a file (shot list, contact sheet, subtitles, summary, or for
editing software); /api/v1/selects: the basket as a timeline of subclips with handles."""

from __future__ import annotations

from urllib.parse import quote

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api import deps
from core.export import FORMATS, MEDIA_TYPES, TRACKS
from core.services.exports import Exported, ExportService

router = APIRouter(tags=["exports"])


class SelectIn(BaseModel):
    video_id: str
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    name: str = ""


class SelectsIn(BaseModel):
    items: list[SelectIn] = Field(min_length=1, description="the basket: ranges of videos, in timeline order")
    format: Literal["otio", "fcpxml", "xmeml"]
    handles: int = Field(0, ge=0, le=10_000, description="frames before and after each range")
    name: str = Field("Selects", min_length=1, max_length=200)


@router.get("/videos/{video_id}/export", response_class=Response,
            responses={200: {"content": {media: {} for media in sorted(set(MEDIA_TYPES.values()))}}})
async def export(video_id: str, format: str = Query(..., pattern="^(" + "|".join(FORMATS) + ")$"),
                 track: str = Query("original", pattern="^(" + "|".join(TRACKS) + ")$"),
                 speakers: bool = Query(True, description="subtitles: name each line's speaker"),
                 exports: ExportService = Depends(deps.exports)) -> Response:
    """The file, as an attachment named after the video; 409 `conflict` when the video has nothing
    of this kind yet (not analysed, no speech, no translation), with the reason."""
    video = await exports.find_one(video_id)
    return _file(await exports.export(video, format, track, speakers))


@router.post("/selects", response_class=Response,
             responses={200: {"content": {"application/json": {}, "application/xml": {}}}})
async def selects(body: SelectsIn, exports: ExportService = Depends(deps.exports)) -> Response:
    """The basket as a timeline of subclips of the original files, with handles."""
    picks = [(item.video_id, item.start_s, item.end_s, item.name) for item in body.items]
    return _file(await exports.selects(picks, body.format, body.handles, body.name))


def _file(exported: Exported) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(exported.filename)}"
    media_type = exported.media_type + ("; charset=utf-8" if exported.is_text else "")
    return Response(exported.content, media_type=media_type, headers={"Content-Disposition": disposition})
