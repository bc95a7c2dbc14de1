"""Subtitles from speech segments: SubRip (SRT) and WebVTT, and parsers for round trips."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.models.segment import TextSegment


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cues(segments: Sequence[TextSegment]) -> list[Cue]:
    cues = []
    for seg in sorted(segments, key=lambda s: (s.start_s, s.end_s)):
        text = "\n".join(line.strip() for line in seg.text.strip().splitlines() if line.strip())
        if text:
            cues.append(Cue(seg.start_s, max(seg.end_s, seg.start_s + 0.001), text))
    return cues


def to_srt(segments: Sequence[TextSegment]) -> str:
    blocks = [f"{i}\n{_clock(c.start_s, ',')} --> {_clock(c.end_s, ',')}\n{c.text}\n"
              for i, c in enumerate(_cues(segments), start=1)]
    return "\n".join(blocks)


def to_vtt(segments: Sequence[TextSegment]) -> str:
    blocks = [f"{_clock(c.start_s, '.')} --> {_clock(c.end_s, '.')}\n{c.text.replace('-->', '->')}\n"
              for c in _cues(segments)]
    return "WEBVTT\n\n" + "\n".join(blocks)


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{3})"
_TIMING = re.compile(rf"^{_TIME}\s*-->\s*{_TIME}")


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _parse(text: str) -> list[Cue]:
    cues = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            match = _TIMING.match(line.strip())
            if match:
                g = match.groups()
                cues.append(Cue(_seconds(*g[:4]), _seconds(*g[4:]), "\n".join(lines[i + 1:]).strip()))
                break
    return cues


def parse_srt(text: str) -> list[Cue]:
    return _parse(text)


def parse_vtt(text: str) -> list[Cue]:
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise ValueError("not a WebVTT file (no WEBVTT header)")
    return _parse(text)
