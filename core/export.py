"""Export a video: shot list (CSV, JSON, CMX 3600 EDL), contact sheet, subtitles, summary, and
(through core.nle) editing-software hand-off.

FORMATS is the one list of formats (with each one's media type and file suffix) and `render` the
one dispatch; core.services.exports.ExportService finds a video's inputs and calls it for the
GUI, `vip export` and the REST API. Rendering blocks (the contact sheet reads keyframes), so
async callers run it through asyncio.to_thread.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core.formatting import format_duration
from core.models import Shot, TextSegment, Video
from core.subtitles import to_srt, to_vtt
from core.models.summary import Summary, to_json, to_markdown

SUBTITLE_FORMATS = ("srt", "vtt")
SUMMARY_FORMATS = ("summary-md", "summary-json")
HAND_OFF_FORMATS = ("otio", "fcpxml", "xmeml", "resolve-markers", "avid-markers", "youtube-chapters")  # core.nle
TRACKS = ("original", "translation", "both")  # subtitles: the transcript, its translation, or one below the other
SHOT_LIST_FORMATS = ("csv", "json", "edl")
FORMATS = (*SHOT_LIST_FORMATS, "contact-sheet", *SUBTITLE_FORMATS, *SUMMARY_FORMATS, *HAND_OFF_FORMATS)
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "edl": "text/plain", "contact-sheet": "image/jpeg",
               "srt": "application/x-subrip", "vtt": "text/vtt", "summary-md": "text/markdown",
               "summary-json": "application/json", "otio": "application/json", "fcpxml": "application/xml",
               "xmeml": "application/xml", "resolve-markers": "text/plain", "avid-markers": "text/plain",
               "youtube-chapters": "text/plain"}
SUFFIXES = {"csv": ".csv", "json": ".json", "edl": ".edl", "contact-sheet": "-contact-sheet.jpg", "srt": ".srt",
            "vtt": ".vtt", "summary-md": "-summary.md", "summary-json": "-summary.json", "otio": ".otio",
            "fcpxml": ".fcpxml", "xmeml": ".xml", "resolve-markers": "-markers.edl", "avid-markers": "-markers.txt",
            "youtube-chapters": "-chapters.txt"}


@dataclass(frozen=True)
class PersonOnScreen:
    """One appearance of a person, as exports carry it (core.services.people.VideoPerson, flattened)."""

    person_id: str
    name: str
    start_s: float
    end_s: float


def timecode(seconds: float, fps: float) -> str:
    """SMPTE non-drop-frame timecode HH:MM:SS:FF at the video's nominal (rounded) frame rate."""
    rate = max(1, round(fps or 25))
    frames = round(max(0.0, seconds) * rate)
    ff = frames % rate
    total_s = frames // rate
    return f"{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}:{ff:02d}"


def _fps(video: Video) -> float:
    return video.media.fps if video.media and video.media.fps else 25.0


def shots_csv(video: Video, shots: list[Shot]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["shot", "start_s", "end_s", "duration_s", "start_tc", "end_tc", "start_frame",
                     "end_frame", "transition", "keyframe_s", "keyframe"])
    fps, origin = _fps(video), video.origin_s
    for shot in shots:
        writer.writerow([shot.index + 1, f"{shot.start_s:.3f}", f"{shot.end_s:.3f}",
                         f"{shot.duration_s:.3f}", timecode(shot.start_s - origin, fps),
                         timecode(shot.end_s - origin, fps), shot.start_frame, shot.end_frame,
                         shot.transition, f"{shot.keyframe_s:.3f}", shot.keyframe_path or ""])
    return out.getvalue()


def shots_json(video: Video, shots: list[Shot], people: Sequence[PersonOnScreen] = ()) -> str:
    """The shot list as JSON; with `people`, each shot lists who is on screen during it and the
    video's `people` lists every appearance (person id, name, times)."""
    def on_screen(shot: Shot) -> list[str]:
        return sorted({p.person_id for p in people if p.start_s < shot.end_s and shot.start_s < p.end_s})

    payload = {
        "video": {"id": video.id, "path": video.path, "name": video.name,
                  "media": video.media.to_doc() if video.media else None},
        "shots": [{**{k: v for k, v in s.to_doc().items() if k not in ("_id", "video_id")},
                   **({"people": on_screen(s)} if people else {})} for s in shots],
        "people": [{"person_id": p.person_id, "name": p.name, "start_s": p.start_s, "end_s": p.end_s}
                   for p in people],
    }
    return json.dumps(payload, indent=2)


def shots_edl(video: Video, shots: list[Shot]) -> str:
    """CMX 3600 EDL: one video event per shot, source and record times equal (a cut list)."""
    fps, origin = _fps(video), video.origin_s
    reel = "AX"
    lines = [f"TITLE: {Path(video.name).stem[:60]}", "FCM: NON-DROP FRAME", ""]
    for number, shot in enumerate(shots, start=1):
        start = timecode(shot.start_s - origin, fps)
        end = timecode(shot.end_s - origin, fps)
        lines.append(f"{number:03d}  {reel:<8} V     C        {start} {end} {start} {end}")
        lines.append(f"* FROM CLIP NAME: {video.name}")
        lines.append("")
    return "\n".join(lines)


def parse_edl(text: str) -> list[tuple[int, str, str]]:
    """Read back (event number, record in, record out) from a CMX 3600 EDL."""
    events = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0].isdigit() and parts[2] == "V":
            events.append((int(parts[0]), parts[-2], parts[-1]))
    return events


def contact_sheet(video: Video, shots: list[Shot], columns: int = 5, tile_width: int = 256) -> Image.Image:
    """A grid of the shots' keyframes with their number and start time."""
    tiles = [s for s in shots if s.keyframe_path and Path(s.keyframe_path).is_file()]
    if not tiles:
        raise ValueError(f"{video.name} has no keyframes yet: run the analysis first")
    aspect = 9 / 16
    if video.media and video.media.display_width:
        aspect = video.media.display_height / video.media.display_width
    tile_height = round(tile_width * aspect)
    label_h, pad, header = 22, 8, 40
    rows = math.ceil(len(tiles) / columns)
    sheet = Image.new("RGB", (pad + columns * (tile_width + pad),
                              header + rows * (tile_height + label_h + pad)), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    title = f"{video.name} — {len(shots)} shots"
    if video.media:
        title += f", {format_duration(video.media.duration_s)}"
    draw.text((pad, 12), title, fill=(235, 235, 235), font=ImageFont.load_default(size=18))
    for i, shot in enumerate(tiles):
        x = pad + (i % columns) * (tile_width + pad)
        y = header + (i // columns) * (tile_height + label_h + pad)
        with Image.open(str(shot.keyframe_path)) as image:
            thumb = image.convert("RGB")
            thumb.thumbnail((tile_width, tile_height))
            sheet.paste(thumb, (x + (tile_width - thumb.width) // 2, y + (tile_height - thumb.height) // 2))
        draw.text((x, y + tile_height + 3), f"#{shot.index + 1}  {format_duration(shot.start_s)}",
                  fill=(220, 220, 220), font=font)
    return sheet


def subtitles(fmt: str, video: Video, transcript: list[TextSegment] | None,
              translation: list[TextSegment] | None = None, track: str = "original",
              names: Mapping[str, str] | None = None, speakers: bool = True) -> str:
    """SRT or VTT of the transcript (`track="original"`), its translation, or both (the translation's
    lines below each original line). `speakers`: name each line's speaker where it has one
    (`names`, by default the video's)."""
    if fmt not in SUBTITLE_FORMATS:
        raise ValueError(f"unknown subtitle format {fmt!r}; choose srt or vtt")
    if track not in TRACKS:
        raise ValueError(f"unknown subtitle track {track!r}; choose {', '.join(TRACKS)}")
    if track in ("translation", "both") and not translation:
        raise ValueError(f"{video.name} has no translation (the translate stage has not stored one)")
    primary = translation if track == "translation" else transcript
    if not primary:
        raise ValueError(f"{video.name} has no transcript")
    second = translation if track == "both" else None
    names = video.speaker_names() if names is None else names
    write = to_srt if fmt == "srt" else to_vtt
    return write(primary, second, names, speakers)


def render(fmt: str, video: Video, shots: list[Shot], transcript: list[TextSegment] | None = None,
           summary: Summary | None = None, *, translation: list[TextSegment] | None = None,
           track: str = "original", speakers: bool = True, people: Sequence[PersonOnScreen] = (),
           on_screen: Sequence[TextSegment] = ()) -> bytes:
    """`video` in `fmt` (FORMATS), as the file's bytes: the shot list (csv, json with the people on
    screen, edl), the contact sheet (JPEG), subtitles (srt, vtt; see `subtitles`), the summary
    (summary-md, summary-json; times on the player's clock), or the video with its markers for
    editing software (core.nle's formats). ValueError for an unknown format or a missing input."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose {', '.join(FORMATS)}")
    if fmt == "contact-sheet":
        out = io.BytesIO()
        contact_sheet(video, shots).save(out, format="JPEG", quality=90)
        return out.getvalue()
    if fmt in HAND_OFF_FORMATS:
        from core.nle import render_video, video_markers  # OpenTimelineIO: loaded on the first hand-off

        markers = video_markers(video, shots, transcript or [], on_screen, summary.chapters if summary else [], people)
        text = render_video(fmt, video, markers)
    elif fmt in SUBTITLE_FORMATS:
        text = subtitles(fmt, video, transcript, translation, track, speakers=speakers)
    elif fmt in SUMMARY_FORMATS:
        if summary is None:
            raise ValueError(f"{video.name} has no summary yet")
        text = to_markdown(video.name, summary, video.origin_s) if fmt == "summary-md" else to_json(summary)
    elif fmt == "csv":
        text = shots_csv(video, shots)
    elif fmt == "json":
        text = shots_json(video, shots, people)
    else:
        text = shots_edl(video, shots)
    return text.encode("utf-8")
