"""Hand-off to editing software: a video's markers, or selects (subclips with handles), as
OpenTimelineIO, FCPXML (Final Cut Pro, DaVinci Resolve), Premiere XML (xmeml), Resolve and Avid
marker lists, and YouTube chapter text.

Times are whole frames of the video's own rate: 23.976, 29.97 and 59.94 are the exact NTSC
rationals (24000/1001…), and 29.97/59.94 timecodes are drop-frame. Marker and select times count
from the video's first frame (a stream that starts at PTS > 0 is shifted), as an editor sees the
clip. Markers are coloured by kind where the format has colours: shot blue, spoken line green,
on-screen text yellow, chapter red, person purple. Every clip references the original media file.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from core.formatting import format_duration
from core.models import Shot, TextSegment, Video
from core.models.summary import Chapter

if TYPE_CHECKING:
    from core.export import PersonOnScreen

KINDS = ("shot", "speech", "text", "chapter", "person")
COLORS = {"shot": otio.schema.MarkerColor.BLUE, "speech": otio.schema.MarkerColor.GREEN,
          "text": otio.schema.MarkerColor.YELLOW, "chapter": otio.schema.MarkerColor.RED,
          "person": otio.schema.MarkerColor.PURPLE}
RESOLVE_COLORS = {"shot": "ResolveColorBlue", "speech": "ResolveColorGreen", "text": "ResolveColorYellow",
                  "chapter": "ResolveColorRed", "person": "ResolveColorPurple"}
AVID_COLORS = {"shot": "blue", "speech": "green", "text": "yellow", "chapter": "red", "person": "magenta"}
TIMELINE_FORMATS = ("otio", "fcpxml", "xmeml")
MARKER_LIST_FORMATS = ("resolve-markers", "avid-markers", "youtube-chapters")  # core.export.HAND_OFF_FORMATS: both
NTSC = {24: Fraction(24000, 1001), 30: Fraction(30000, 1001), 48: Fraction(48000, 1001),
        60: Fraction(60000, 1001)}
YOUTUBE_MIN_CHAPTERS, YOUTUBE_MIN_CHAPTER_S = 3, 10.0


class HandOffError(ValueError):
    """The input cannot make this hand-off (says why: too few chapters for YouTube, no selects...)."""


@dataclass(frozen=True)
class Media:
    """The original file as an editor's project sees it."""

    path: str
    name: str
    fps: float
    duration_s: float
    origin_s: float = 0.0  # the first frame's time on the video's own clock (core's segment times)
    width: int = 1920
    height: int = 1080

    @property
    def rate(self) -> Fraction:
        """The exact frame rate: NTSC rates as their rationals, others as given (0: 25)."""
        fps = self.fps or 25.0
        nominal = round(fps)
        if nominal in NTSC and abs(fps - float(NTSC[nominal])) < 0.01:
            return NTSC[nominal]
        return Fraction(fps).limit_denominator(1001)

    @property
    def drop_frame(self) -> bool:
        return self.rate in (NTSC[30], NTSC[60])

    def frame(self, seconds: float) -> int:
        """The frame shown at `seconds` on the video's clock."""
        return max(0, math.floor((seconds - self.origin_s) * self.rate + 1e-6))

    @property
    def frames(self) -> int:
        return max(1, round(self.duration_s * self.rate))

    @property
    def url(self) -> str:
        return Path(self.path).absolute().as_uri()


@dataclass(frozen=True)
class Marker:
    kind: str  # KINDS
    start_s: float  # on the video's clock
    end_s: float
    text: str


@dataclass(frozen=True)
class Select:
    """A range of a video the operator picked (a search hit, a shot)."""

    media: Media
    start_s: float  # on the video's clock
    end_s: float
    name: str = ""


def media_of(video: Video) -> Media:
    """The video as a clip for editing software (HandOffError before it was probed)."""
    info = video.media
    if info is None:
        raise HandOffError(f"{video.name} has not been probed yet — analyse it first (vip analyze {video.path})")
    return Media(path=video.path, name=video.name, fps=info.fps, duration_s=info.duration_s, origin_s=info.start_s,
                 width=info.display_width or 1920, height=info.display_height or 1080)


def video_markers(video: Video, shots: Sequence[Shot], speech: Sequence[TextSegment] = (),
                  on_screen: Sequence[TextSegment] = (), chapters: Sequence[Chapter] = (),
                  people: Sequence[PersonOnScreen] = ()) -> list[Marker]:
    """Everything an editor wants marked: each cut, spoken line (with its speaker's name), on-screen
    text, summary chapter and person's appearance."""
    names = video.speaker_names()
    markers = [Marker("shot", shot.start_s, shot.start_s, f"Shot {shot.index + 1}") for shot in shots]
    for line in speech:
        speaker = names.get(line.speaker) if line.speaker else None
        markers.append(Marker("speech", line.start_s, line.end_s, f"{speaker}: {line.text}" if speaker else line.text))
    markers += [Marker("text", t.start_s, t.end_s, t.text) for t in on_screen]
    markers += [Marker("chapter", c.start_s, c.end_s, c.title) for c in chapters]
    markers += [Marker("person", p.start_s, p.end_s, p.name) for p in people]
    return markers


def render_video(fmt: str, video: Video, markers: Sequence[Marker]) -> str:
    """`video` with `markers` in a hand-off format (TIMELINE_FORMATS or MARKER_LIST_FORMATS)."""
    media = media_of(video)
    if fmt in TIMELINE_FORMATS:
        return render_timeline(fmt, markers_timeline(media, markers), media)
    return render_marker_list(fmt, media, markers)


def _time(frames: int, media: Media) -> RationalTime:
    return RationalTime(frames, float(media.rate))


def _range(first: int, count: int, media: Media) -> TimeRange:
    return TimeRange(_time(first, media), _time(max(1, count), media))


def _reference(media: Media) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(target_url=media.url, available_range=_range(0, media.frames, media))


def markers_timeline(media: Media, markers: Sequence[Marker]) -> otio.schema.Timeline:
    """One clip (the whole video) carrying the markers."""
    clip = otio.schema.Clip(name=media.name, media_reference=_reference(media),
                            source_range=_range(0, media.frames, media))
    for marker in sorted(markers, key=lambda m: (m.start_s, KINDS.index(m.kind))):
        first = min(media.frame(marker.start_s), media.frames - 1)
        count = max(1, min(media.frame(marker.end_s), media.frames) - first)
        clip.markers.append(otio.schema.Marker(name=marker.text, marked_range=_range(first, count, media),
                                               color=COLORS[marker.kind], metadata={"vip": {"kind": marker.kind}}))
    return _timeline(Path(media.name).stem + " markers", [clip], media)


def selects_timeline(selects: Sequence[Select], handles: int = 0, name: str = "Selects") -> otio.schema.Timeline:
    """The selects one after another, each a subclip of its original file widened by `handles`
    frames on both sides (as far as the file allows)."""
    if not selects:
        raise HandOffError("No selects: add search hits or shots to the basket first")
    clips = []
    for select in selects:
        media = select.media
        first = max(0, media.frame(select.start_s) - handles)
        last = min(media.frames, max(media.frame(select.end_s), media.frame(select.start_s) + 1) + handles)
        clips.append(otio.schema.Clip(name=select.name or media.name, media_reference=_reference(media),
                                      source_range=_range(first, last - first, media)))
    return _timeline(name, clips, selects[0].media)


def _timeline(name: str, clips: list[otio.schema.Clip], media: Media) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name=name, global_start_time=_time(0, media))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for clip in clips:
        track.append(clip)
    timeline.tracks.append(track)
    return timeline


def render_timeline(fmt: str, timeline: otio.schema.Timeline, media: Media) -> str:
    """`timeline` as OTIO JSON, FCPXML 1.8 or xmeml (Final Cut Pro 7 XML, which Premiere imports).
    `media`: the rate of the sequence (the first clip's)."""
    if fmt == "otio":
        return str(otio.adapters.write_to_string(timeline, "otio_json"))
    if fmt == "xmeml":
        return str(otio.adapters.write_to_string(timeline, "fcp_xml"))
    if fmt == "fcpxml":
        return _fcpxml(timeline, media)
    raise HandOffError(f"Unknown timeline format {fmt!r}; choose {', '.join(TIMELINE_FORMATS)}")


def _seconds(frames: int, rate: Fraction) -> str:
    """FCPXML's rational seconds: 1001/24000s, 0s."""
    value = Fraction(frames) / rate
    return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"


def _frames(time: RationalTime) -> int:
    return int(round(time.value))


def _fcpxml(timeline: otio.schema.Timeline, media: Media) -> str:
    """FCPXML 1.8 (Final Cut Pro 10.4+, DaVinci Resolve): one asset per file, one asset-clip per
    clip in the spine, markers on the clips (chapters as chapter-markers)."""
    rate = media.rate
    root = ET.Element("fcpxml", version="1.8")
    resources = ET.SubElement(root, "resources")
    ET.SubElement(resources, "format", id="r1", frameDuration=_seconds(1, rate), width=str(media.width),
                  height=str(media.height))
    assets: dict[str, str] = {}
    clips = list(timeline.find_clips())
    for clip in clips:
        reference = clip.media_reference
        if reference.target_url not in assets:
            assets[reference.target_url] = f"r{len(assets) + 2}"
            available = reference.available_range
            ET.SubElement(resources, "asset", id=assets[reference.target_url],
                          name=Path(reference.target_url).name, src=reference.target_url, start="0s",
                          duration=_seconds(_frames(available.duration), rate), hasVideo="1", hasAudio="1",
                          format="r1")
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name="VIP Desktop")
    project = ET.SubElement(event, "project", name=timeline.name)
    total = sum(_frames(clip.source_range.duration) for clip in clips)
    sequence = ET.SubElement(project, "sequence", format="r1", duration=_seconds(total, rate), tcStart="0s",
                             tcFormat="DF" if media.drop_frame else "NDF")
    spine = ET.SubElement(sequence, "spine")
    offset = 0
    for clip in clips:
        source = clip.source_range
        element = ET.SubElement(spine, "asset-clip", name=clip.name, ref=assets[clip.media_reference.target_url],
                                offset=_seconds(offset, rate), start=_seconds(_frames(source.start_time), rate),
                                duration=_seconds(_frames(source.duration), rate), format="r1")
        for marker in clip.markers:
            kind = marker.metadata.get("vip", {}).get("kind", "")
            ET.SubElement(element, "chapter-marker" if kind == "chapter" else "marker",
                          start=_seconds(_frames(marker.marked_range.start_time), rate),
                          duration=_seconds(_frames(marker.marked_range.duration), rate), value=marker.name)
        offset += _frames(source.duration)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + ET.tostring(root, encoding="unicode") + "\n"


def timecode(frames: int, media: Media) -> str:
    """HH:MM:SS:FF, drop-frame (HH:MM:SS;FF) at 29.97 and 59.94."""
    return str(otio.opentime.to_timecode(_time(frames, media), float(media.rate), media.drop_frame))


def render_marker_list(fmt: str, media: Media, markers: Sequence[Marker]) -> str:
    """Resolve's marker EDL, Avid's marker text, or YouTube chapter lines."""
    ordered = sorted(markers, key=lambda m: (m.start_s, KINDS.index(m.kind)))
    if fmt == "resolve-markers":
        lines = [f"TITLE: {Path(media.name).stem[:60]}", f"FCM: {'DROP FRAME' if media.drop_frame else 'NON-DROP FRAME'}", ""]
        for number, marker in enumerate(ordered, start=1):
            first = media.frame(marker.start_s)
            length = max(1, media.frame(marker.end_s) - first)
            start, end = timecode(first, media), timecode(first + 1, media)
            lines.append(f"{number:03d}  001      V     C        {start} {end} {start} {end}  ")
            lines.append(f" |C:{RESOLVE_COLORS[marker.kind]} |M:{_one_line(marker.text)} |D:{length}")
            lines.append("")
        return "\n".join(lines)
    if fmt == "avid-markers":
        rows = []
        for marker in ordered:
            first = media.frame(marker.start_s)
            length = max(1, media.frame(marker.end_s) - first)
            rows.append("\t".join(["VIP Desktop", timecode(first, media), "V1", AVID_COLORS[marker.kind],
                                   _one_line(marker.text), str(length)]))
        return "\n".join(rows) + ("\n" if rows else "")
    if fmt == "youtube-chapters":
        chapters = [m for m in ordered if m.kind == "chapter"]
        long_enough = all(b.start_s - a.start_s >= YOUTUBE_MIN_CHAPTER_S for a, b in zip(chapters, chapters[1:]))
        if len(chapters) < YOUTUBE_MIN_CHAPTERS or not long_enough:
            raise HandOffError(f"YouTube needs at least {YOUTUBE_MIN_CHAPTERS} chapters of "
                               f"{YOUTUBE_MIN_CHAPTER_S:.0f} s or more; {media.name} has {len(chapters)} "
                               f"chapter{'s' if len(chapters) != 1 else ''}{'' if long_enough else ', some shorter'}")
        lines = []
        for index, chapter in enumerate(chapters):
            at = 0.0 if index == 0 else chapter.start_s - media.origin_s  # YouTube's first chapter is 0:00
            lines.append(f"{format_duration(at)} {_one_line(chapter.text)}")
        return "\n".join(lines) + "\n"
    raise HandOffError(f"Unknown marker list format {fmt!r}; choose {', '.join(MARKER_LIST_FORMATS)}")


def _one_line(text: str) -> str:
    return " ".join(text.replace("|", "/").split())
