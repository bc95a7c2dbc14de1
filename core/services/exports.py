"""Export one video in any format, with the reason when there is nothing to export yet: one use
case for `vip export` and the REST API (core.export renders; this finds the inputs)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from core.errors import Conflict, NotFound, VipError
from core.export import (FORMATS, HAND_OFF_FORMATS, MEDIA_TYPES, SUBTITLE_FORMATS, SUFFIXES, SUMMARY_FORMATS, TRACKS,
                         render)
from core.models import Shot, Video
from core.nle import (TIMELINE_FORMATS, HandOffError, Marker, Media, Select, media_of,
                      render_timeline, render_video, selects_timeline, video_markers)
from core.services.library import LibraryService
from core.services.people import PeopleService
from core.models.summary import Summary
from core.models.segment import TextSegment

class NothingToExport(Conflict):
    """The video has no output of this kind yet (not analysed, no speech, no translation...)."""


@dataclass(frozen=True)
class Exported:
    content: bytes
    media_type: str
    filename: str  # the video's name with the format's suffix

    @property
    def is_text(self) -> bool:
        return not self.media_type.startswith("image/")


class ExportService:
    """Export one video in any format (shot lists, contact sheet, subtitles, summary, editing-software
    hand-off) and the selects timeline, finding the inputs through the library. Used by `vip export`
    and `vip selects`, the REST API's export routes and the GUI's selects basket (async)."""

    def __init__(self, library: LibraryService, people: PeopleService | None = None) -> None:
        self._library, self._people = library, people

    async def find_one(self, ref: str) -> Video:
        """The video `ref` names (id, id prefix, path or file name): NotFound, or VipError when several."""
        videos = await self._library.resolve(ref)
        if not videos:
            raise NotFound(f"No video matches {ref!r}: give its path, file name or id")
        if len(videos) > 1:
            listing = "\n".join(f"  {v.id}  {v.path}" for v in videos)
            raise VipError(f"{ref!r} matches {len(videos)} videos; give one id:\n{listing}")
        return videos[0]

    async def export(self, video: Video, fmt: str, track: str = "original", speakers: bool = True) -> Exported:
        """`video` in `fmt` (core.export.FORMATS); subtitles: `track` (TRACKS) and speaker names or
        not. NothingToExport, with the reason, when the video has no such output yet."""
        if fmt not in FORMATS:
            raise VipError(f"Unknown export format {fmt!r}; choose {', '.join(FORMATS)}")
        if track not in TRACKS:
            raise VipError(f"Unknown subtitle track {track!r}; choose {', '.join(TRACKS)}")
        shots: list[Shot] = []
        speech: list[TextSegment] = []
        translation: list[TextSegment] = []
        summary: Summary | None = None
        if fmt in SUMMARY_FORMATS:
            summary = await self._summary(video)
        elif fmt in SUBTITLE_FORMATS:
            speech, translation = await self._transcript(video, track)
        elif fmt in HAND_OFF_FORMATS:
            shots, speech = await self._shots(video), await self._library.segments(video.id, "speech")
            summary = await self._library.summary(video.id)
        else:
            shots = await self._shots(video)
        needs_people = fmt == "json" or fmt in HAND_OFF_FORMATS
        people = ([vp.on_screen() for vp in await self._people.in_video(video.id)]
                  if self._people and needs_people else [])
        on_screen = await self._library.segments(video.id, "ocr") if fmt in HAND_OFF_FORMATS else []
        try:
            content = await asyncio.to_thread(render, fmt, video, shots, speech, summary, translation=translation,
                                              track=track, speakers=speakers, people=people, on_screen=on_screen)
        except HandOffError as exc:
            raise NothingToExport(str(exc)) from exc
        except ValueError as exc:  # e.g. no keyframe files for the contact sheet
            raise NothingToExport(str(exc)) from exc
        return Exported(content, MEDIA_TYPES[fmt], Path(video.name).stem + SUFFIXES[fmt])

    async def _summary(self, video: Video) -> Summary:
        summary = await self._library.summary(video.id)
        if summary is None:
            why = (f"its analysis failed: {video.error}" if video.error
                   else f"analyse it first (vip analyze {video.path})")
            raise NothingToExport(f"{video.name} has no summary — {why}")
        return summary

    async def _transcript(self, video: Video, track: str) -> tuple[list[TextSegment], list[TextSegment]]:
        """The transcript, and its translation for a track that needs one."""
        speech = await self._library.segments(video.id, "speech")
        if not speech:
            stage = video.stages.get("speech", {}).get("status")
            why = ("no speech was found in it" if stage == "succeeded"
                   else f"it has no transcript yet — analyse it first (vip analyze {video.path})")
            raise NothingToExport(f"{video.name} has no subtitles: {why}")
        translation = await self._library.segments(video.id, "translation") if track != "original" else []
        if track != "original" and not translation:
            stage = video.stages.get("translate", {}).get("status")
            why = ("the speech is already in the target language, or no translation language is set"
                   if stage == "succeeded" else f"translate it first (vip analyze {video.path})")
            raise NothingToExport(f"{video.name} has no translation: {why}")
        return speech, translation

    async def markers(self, video: Video) -> list[Marker]:
        """Every marker of `video` for editing software (core.nle.video_markers)."""
        summary = await self._library.summary(video.id)
        people = [vp.on_screen() for vp in await self._people.in_video(video.id)] if self._people else []
        return video_markers(video, await self._shots(video), await self._library.segments(video.id, "speech"),
                             await self._library.segments(video.id, "ocr"), summary.chapters if summary else [],
                             people)

    async def selects(self, picks: list[tuple[str, float, float, str]], fmt: str, handles: int = 0,
                      name: str = "Selects") -> Exported:
        """A timeline of subclips, (video id, start, end, name) each, widened by `handles` frames,
        referencing the original files; `fmt`: TIMELINE_FORMATS."""
        if fmt not in TIMELINE_FORMATS:
            raise VipError(f"Selects are a timeline: choose {', '.join(TIMELINE_FORMATS)}")
        if not picks:
            raise VipError("No selects: give at least one video range")
        if handles < 0:
            raise VipError(f"Handles are frames before and after each select: {handles} is negative")
        videos = {v.id: v for v in await self._library.get_many(sorted({p[0] for p in picks}))}
        missing = [p[0] for p in picks if p[0] not in videos]
        if missing:
            raise NotFound(f"No video with id {missing[0]} in the library")
        selects = []
        for video_id, start_s, end_s, label in picks:
            if end_s <= start_s:
                raise VipError(f"A select ends before it starts ({start_s:g} to {end_s:g} s in {videos[video_id].name})")
            selects.append(Select(self._media(videos[video_id]), start_s, end_s, label))
        timeline = selects_timeline(selects, handles, name)
        text = render_timeline(fmt, timeline, selects[0].media)
        return Exported(text.encode("utf-8"), MEDIA_TYPES[fmt], name + SUFFIXES[fmt])

    @staticmethod
    def _media(video: Video) -> Media:
        try:
            return media_of(video)
        except HandOffError as exc:
            raise NothingToExport(str(exc)) from exc

    async def _shots(self, video: Video) -> list[Shot]:
        shots = await self._library.shots(video.id)
        if not shots:
            raise NothingToExport(f"{video.name} has no shots yet — analyse it first (vip analyze {video.path})")
        return shots
