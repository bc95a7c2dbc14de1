"""`vip export VIDEO --format ...` and `vip selects`, headless (core.services.exports does the work).

Subtitles: `--track original|translation|both` (the transcript, its translation, or the
translation below each line) and `--no-speakers` (leave out the speaker names, which are shown
by default wherever the transcript has speakers)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from app.settings import Settings
from app.wiring import Services, with_services
from core.errors import VipError
from core.export import SUBTITLE_FORMATS, TRACKS
from core.services.exports import NothingToExport

__all__ = ["SUBTITLE_FORMATS", "TRACKS", "run_export"]


async def run_export(settings: Settings, ref: str, fmt: str, output: Path | None, track: str = "original",
                     speakers: bool = True) -> int:
    """Write the export to `output` (printing its path), or text to standard output; the contact
    sheet goes to NAME-contact-sheet.jpg without `output`. 2: no such video; 1: nothing to export."""
    if track not in TRACKS:
        print(f"vip export: unknown track {track!r}; choose {', '.join(TRACKS)}", file=sys.stderr)
        return 2

    async def body(services: Services) -> int:
        try:
            video = await services.exports.find_one(ref)
        except VipError as exc:
            print(f"vip export: {exc} (`vip jobs` lists analysed videos)", file=sys.stderr)
            return 2
        try:
            exported = await services.exports.export(video, fmt, track, speakers)
        except NothingToExport as exc:
            print(f"vip export: {exc}", file=sys.stderr)
            return 1
        target = output if output is not None or exported.is_text else Path(exported.filename)
        if target is None:
            sys.stdout.write(exported.content.decode("utf-8"))
            return 0
        await asyncio.to_thread(_write, target, exported.content)
        print(target)
        return 0

    return await with_services(settings, body)


async def run_selects(settings: Settings, picks: list[str], fmt: str, handles: int, name: str,
                      output: Path | None) -> int:
    """`vip selects VIDEO@START-END[=NAME]... --format otio|fcpxml|xmeml`; 2 on a bad pick."""
    parsed: list[tuple[str, float, float, str]] = []
    for pick in picks:
        match = re.fullmatch(r"(.+)@(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)(?:=(.*))?", pick)
        if match is None:
            print(f"vip selects: {pick!r} is not VIDEO@START-END[=NAME] (seconds, e.g. clip.mp4@12.5-20)",
                  file=sys.stderr)
            return 2
        ref, start, end, label = match.groups()
        parsed.append((ref, float(start), float(end), label or ""))

    async def body(services: Services) -> int:
        resolved = []
        for ref, start, end, label in parsed:
            try:
                video = await services.exports.find_one(ref)
            except VipError as exc:
                print(f"vip selects: {exc}", file=sys.stderr)
                return 2
            resolved.append((video.id, start, end, label or f"{video.name} {start:g}-{end:g}"))
        exported = await services.exports.selects(resolved, fmt, handles, name)
        if output is None:
            sys.stdout.write(exported.content.decode("utf-8"))
            return 0
        await asyncio.to_thread(_write, output, exported.content)
        print(output)
        return 0

    return await with_services(settings, body)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
