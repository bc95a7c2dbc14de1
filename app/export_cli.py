"""`vip export VIDEO --format csv|json|edl|contact-sheet|srt|vtt|summary-md|summary-json`, headless.

Subtitles: `--track original|translation|both` (the transcript, its translation, or the
translation below each line) and `--no-speakers` (leave out the speaker names, which are shown
by default wherever the transcript has speakers)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from app.settings import Settings
from app.wiring import Services, with_services
from core.export import SUBTITLE_FORMATS, TRACKS, contact_sheet, export_text, subtitles
from core.summary.model import to_json, to_markdown

__all__ = ["SUBTITLE_FORMATS", "TRACKS", "run_export"]


async def run_export(settings: Settings, ref: str, fmt: str, output: Path | None, track: str = "original",
                     speakers: bool = True) -> int:
    if track not in TRACKS:
        print(f"vip export: unknown track {track!r}; choose {', '.join(TRACKS)}", file=sys.stderr)
        return 2

    async def body(services: Services) -> int:
        videos = await services.library.resolve(ref)
        if not videos:
            print(f"vip export: no video matches {ref!r} (give its path, file name or id; "
                  "`vip jobs` lists analysed videos)", file=sys.stderr)
            return 2
        if len(videos) > 1:
            listing = "\n".join(f"  {v.id}  {v.path}" for v in videos)
            print(f"vip export: {ref!r} matches {len(videos)} videos; give one id:\n{listing}", file=sys.stderr)
            return 2
        video = videos[0]
        if fmt in ("summary-md", "summary-json"):
            summary = await services.library.summary(video.id)
            if summary is None:
                why = (f"its analysis failed: {video.error}" if video.error
                       else f"analyse it first (vip analyze {video.path})")
                print(f"vip export: {video.name} has no summary — {why}", file=sys.stderr)
                return 1
            origin = video.media.start_s if video.media else 0.0
            text = to_markdown(video.name, summary, origin) if fmt == "summary-md" else to_json(summary)
            return await _write_text(text, output)
        if fmt in SUBTITLE_FORMATS:
            speech = await services.library.segments(video.id, "speech")
            if not speech:
                stage = video.stages.get("speech", {}).get("status")
                why = ("no speech was found in it" if stage == "succeeded"
                       else f"it has no transcript yet — analyse it first (vip analyze {video.path})")
                print(f"vip export: {video.name} has no subtitles: {why}", file=sys.stderr)
                return 1
            translation = await services.library.segments(video.id, "translation") if track != "original" else []
            if track != "original" and not translation:
                stage = video.stages.get("translate", {}).get("status")
                why = ("the speech is already in the target language, or no translation language is set"
                       if stage == "succeeded" else f"translate it first (vip analyze {video.path})")
                print(f"vip export: {video.name} has no translation: {why}", file=sys.stderr)
                return 1
            text = subtitles(fmt, video, speech, translation, track, speakers=speakers)
            return await _write_text(text, output)
        shots = await services.library.shots(video.id)
        if not shots:
            print(f"vip export: {video.name} has no shots yet — analyse it first (vip analyze {video.path})",
                  file=sys.stderr)
            return 1
        if fmt == "contact-sheet":
            target = output or Path(f"{Path(video.name).stem}-contact-sheet.jpg")
            await asyncio.to_thread(contact_sheet, video, shots, target)
            print(target)
            return 0
        people = [vp.on_screen() for vp in await services.people.in_video(video.id)] if services.people else []
        return await _write_text(export_text(fmt, video, shots, people), output)

    return await with_services(settings, body)


async def _write_text(text: str, output: Path | None) -> int:
    if output:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        print(output)
    else:
        sys.stdout.write(text)
    return 0
