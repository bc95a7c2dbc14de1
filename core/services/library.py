"""Read the video library (async; GUI loop or CLI)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import structlog

from core.errors import Conflict, NotFound, VipError
from core.faces.rejections import FaceRejection, without_rejected
from core.repositories.people import AsyncPeopleRepository
from core.media.fingerprint import fingerprint
from core.models import Shot, TextSegment, Video
from core.services.listing_cache import ListingCache
from core.models.summary import Summary
from core.repositories import (
    AsyncFaceRejectionRepository,
    AsyncJobRepository,
    AsyncSegmentRepository,
    AsyncShotRepository,
    AsyncVideoRepository,
    AsyncWorkerRepository,
)
from core.models.worker import WorkerRecord

log = structlog.get_logger(__name__)


class LibraryService:
    """Read the library: videos, shots, segments, summaries, faces, workers, and remove videos. Used by
    the GUI's pages, the CLI commands, the REST API's video routes and ExportService (async)."""

    def __init__(
        self,
        videos: AsyncVideoRepository,
        workers: AsyncWorkerRepository,
        shots: AsyncShotRepository,
        segments: AsyncSegmentRepository,
        jobs: AsyncJobRepository,
        face_rejections: AsyncFaceRejectionRepository,
        listing: ListingCache | None = None,
        people: AsyncPeopleRepository | None = None,
    ) -> None:
        self._people = people
        self._videos = videos
        self._listing = listing
        self._jobs = jobs
        self._workers = workers
        self._shots = shots
        self._segments = segments
        self._face_rejections = face_rejections

    async def segments(self, video_id: str, kind: str | None = None) -> list[TextSegment]:
        """The video's segments of one kind ("speech", "ocr", "face", ...) in time order; faces
        include those marked "Not a face" (the review screen can show them again): see `faces`."""
        return await self._segments.for_video(video_id, kind)

    async def faces(self, video_id: str) -> list[TextSegment]:
        """The video's face segments in time order, less those the operator marked "Not a face"."""
        segments = await self._segments.for_video(video_id, "face")
        return without_rejected(segments, await self._face_rejections.for_video(video_id))

    async def face_rejections(self, video_id: str) -> list[FaceRejection]:
        """The video's "Not a face" marks; they outlive re-analyses (matched by time and place)."""
        return await self._face_rejections.for_video(video_id)

    async def reject_face(self, rejection: FaceRejection) -> None:
        """Mark a face "Not a face" (core.faces.reject builds the mark from its appearance)."""
        await self._face_rejections.add(rejection)
        log.info("face_rejected", video_id=rejection.video_id, rejection_id=rejection.id,
                 start_s=rejection.start_s, end_s=rejection.end_s)

    async def restore_face(self, rejection: FaceRejection) -> None:
        """Take a "Not a face" mark back: the face shows again."""
        await self._face_rejections.remove(rejection.id)
        log.info("face_restored", video_id=rejection.video_id, rejection_id=rejection.id)

    async def summary(self, video_id: str) -> Summary | None:
        """The video's summary (overview, chapters, commentary), or None before the summary stage ran."""
        return await self._segments.summaries.for_video(video_id)

    async def video(self, video_id: str) -> Video | None:
        return await self._videos.get(video_id)

    async def resolve(self, ref: str) -> list[Video]:
        """Find videos by id, id prefix (6+ characters), file path or file name."""
        if video := await self._videos.get(ref):
            return [video]
        path = Path(ref).expanduser()
        if path.exists():
            found = await self._videos.find(path=str(path.absolute()))
            if not found and path.is_file():
                fp, _ = await asyncio.to_thread(fingerprint, path)
                found = await self._videos.find(fingerprint=fp)
            if found:
                return found
        by_name = await self._videos.find(name=Path(ref).name)
        if by_name:
            return by_name
        if len(ref) >= 6:
            return [v for v in await self._videos.in_project(None) if v.id.startswith(ref)]
        return []

    async def shots(self, video_id: str) -> list[Shot]:
        """The video's shots in time order (empty until the visual stage has run)."""
        return await self._shots.for_video(video_id)

    async def videos(self, project_id: str | None = None) -> list[Video]:
        return await self._videos.in_project(project_id)

    def video_pages(self, project_id: str | None = None) -> AsyncIterator[list[Video]]:
        """The project's videos a page at a time, the first page small (shown while the rest is read)."""
        return self._videos.pages_in_project(project_id)

    async def listed_pages(self, project_id: str) -> list[list[Video]]:
        """The project's videos as this host last listed them (core/services/listing_cache.py):
        shown while `video_pages` reads the database; [] when there is no copy."""
        if self._listing is None:
            return []
        return await asyncio.to_thread(self._listing.load, project_id)

    async def remember_listing(self, project_id: str, videos: list[Video]) -> None:
        """Keep `videos` (all of the project's, just read from the database) for the next listing."""
        if self._listing is not None:
            await asyncio.to_thread(self._listing.save, project_id, videos)

    async def get_many(self, video_ids: list[str]) -> list[Video]:
        return await self._videos.get_many(video_ids)

    async def remove(self, video_id: str) -> Video:
        """Take a video out of the library: its record, shots, transcript, text, faces (and their
        "Not a face" marks), search passages, jobs and cached images. The video file itself is
        not touched. Refused while its analysis is queued or running (cancel it first). The
        search indexes drop it at their next sync."""
        video = await self._videos.get(video_id)
        if video is None:
            raise NotFound(f"No video with id {video_id} in the library")
        if await self._jobs.find_open_for_video(video_id):
            raise Conflict(f"{video.name} is being analysed: cancel its job first, then remove it")
        shots = await self._shots.for_video(video_id)
        await self._segments.delete_for_video(video_id)
        await self._face_rejections.delete_for_video(video_id)
        if self._people is not None:
            await self._people.forget_video(video_id)  # its appearances leave their people
        await self._shots.delete_for_video(video_id)
        await self._jobs.delete_for_video(video_id)
        await self._videos.delete(video_id)
        await asyncio.to_thread(_remove_cached_images, video, shots)
        return video

    async def name_speaker(self, video_id: str, label: str, name: str, person_id: str | None = None) -> Video:
        """Give one video's speaker `label` ("S2") a name ("" gives back "Speaker 2"), and
        optionally link it to a person of the People page."""
        video = await self._videos.get(video_id)
        if video is None:
            raise NotFound(f"No video with id {video_id} in the library")
        if label not in video.speakers:
            known = ", ".join(sorted(video.speakers)) or "none: its speakers stage has not run"
            raise VipError(f"{video.name} has no speaker {label!r} (its speakers: {known})")
        clean = " ".join(name.split()) or None
        await self._videos.name_speaker(video_id, label, clean, person_id)
        video.speakers[label] = {"name": clean, "person_id": person_id}
        return video

    async def is_empty(self) -> bool:
        return await self._videos.count() == 0

    async def database_responds(self) -> bool:
        """True when the database answers within 2 s (False: down, restarting, cut off)."""
        return await self._workers.database_responds()

    async def workers_alive(self, within_s: float = 10.0) -> list[WorkerRecord]:
        """Workers on any host that sent a heartbeat in the last `within_s` seconds."""
        return await self._workers.list_alive(timedelta(seconds=within_s))


def _remove_cached_images(video: Video, shots: list[Shot]) -> None:
    """The poster and the video's folder in the media cache (keyframes, sprite, face crops)."""
    if video.poster_path:
        Path(video.poster_path).unlink(missing_ok=True)
    for shot in shots[:1]:
        if shot.keyframe_path:
            folder = next((p for p in Path(shot.keyframe_path).parents if p.name == video.id), None)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
