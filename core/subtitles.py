"""Subtitles from speech segments: SubRip (SRT) and WebVTT, and parsers for round trips.

A cue may name its speaker ("Speaker 2: ..." in SRT, a `<v Speaker 2>` voice tag in WebVTT)
and may carry a second language: the translation's lines that match it in time, below it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.models.segment import TextSegment

NO_NAMES: Mapping[str, str] = {}
LANGUAGE_NAMES = {  # the language codes Whisper and the app use
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "zh": "Chinese", "ja": "Japanese",
    "ko": "Korean", "ar": "Arabic", "hi": "Hindi", "tr": "Turkish", "pl": "Polish",
    "uk": "Ukrainian", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
    "cs": "Czech", "el": "Greek", "he": "Hebrew", "id": "Indonesian", "vi": "Vietnamese"}


def language_name(code: str) -> str:
    """'de' → 'German'; unknown codes are shown as given."""
    return LANGUAGE_NAMES.get(code.strip().lower(), code)


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str
    speaker: str | None = None  # the display name (WebVTT voice tag); SRT keeps it in the text


def speaker_name(label: str | None, names: Mapping[str, str] = NO_NAMES) -> str:
    """The display name of speaker `label`: the operator's name, else "Speaker N" ("S2" → "Speaker 2")."""
    if not label:
        return ""
    name = (names.get(label) or "").strip()
    if name:
        return name
    number = re.search(r"(\d+)$", label)
    return f"Speaker {int(number.group(1))}" if number else label


def _overlap(a: TextSegment, b: TextSegment) -> float:
    return max(0.0, min(a.end_s, b.end_s) - max(a.start_s, b.start_s))


def align_tracks(primary: Sequence[TextSegment], secondary: Sequence[TextSegment]) -> list[list[TextSegment]]:
    """For each line of `primary` (in the order given), the `secondary` lines that belong to it.

    Each secondary line goes to the primary line it overlaps most (ties: the earlier one); one
    that overlaps none goes to the primary line nearest in time. So every secondary line is
    shown exactly once, whether the tracks share their timings (an LLM translation) or not
    (Whisper's translation, cut by its own windows)."""
    out: list[list[TextSegment]] = [[] for _ in primary]
    if not primary:
        return out
    for line in sorted(secondary, key=lambda s: (s.start_s, s.end_s)):
        best, best_overlap = 0, -1.0
        for i, p in enumerate(primary):
            shared = _overlap(p, line)
            if shared > best_overlap:
                best, best_overlap = i, shared
        if best_overlap <= 0.0:
            middle = (line.start_s + line.end_s) / 2
            best = min(range(len(primary)),
                       key=lambda i: abs((primary[i].start_s + primary[i].end_s) / 2 - middle))
        out[best].append(line)
    return out


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _clean(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _cues(segments: Sequence[TextSegment], translation: Sequence[TextSegment] | None,
          names: Mapping[str, str] | None, speakers: bool) -> list[Cue]:
    ordered = sorted(segments, key=lambda s: (s.start_s, s.end_s))
    below = align_tracks(ordered, translation) if translation else [[] for _ in ordered]
    cues = []
    for seg, matched in zip(ordered, below):
        text = _clean(seg.text)
        second = " ".join(_clean(m.text).replace("\n", " ") for m in matched if _clean(m.text))
        if text and second:
            text = f"{text}\n{second}"
        if text:
            who = speaker_name(seg.speaker, names or NO_NAMES) if speakers and seg.speaker else None
            cues.append(Cue(seg.start_s, max(seg.end_s, seg.start_s + 0.001), text, who or None))
    return cues


def to_srt(segments: Sequence[TextSegment], translation: Sequence[TextSegment] | None = None,
           names: Mapping[str, str] | None = None, speakers: bool = True) -> str:
    """SubRip text of `segments`; with `translation`, its matching lines below each cue (dual language).

    `speakers`: begin each cue with its speaker's display name ("Speaker 2: ...") where the
    line has a speaker label; `names` maps labels to the operator's names."""
    blocks = []
    for i, c in enumerate(_cues(segments, translation, names, speakers), start=1):
        text = f"{c.speaker}: {c.text}" if c.speaker else c.text
        blocks.append(f"{i}\n{_clock(c.start_s, ',')} --> {_clock(c.end_s, ',')}\n{text}\n")
    return "\n".join(blocks)


def to_vtt(segments: Sequence[TextSegment], translation: Sequence[TextSegment] | None = None,
           names: Mapping[str, str] | None = None, speakers: bool = True) -> str:
    """WebVTT text of `segments`, like `to_srt`; the speaker is a voice tag, `<v Speaker 2>...`."""
    blocks = []
    for c in _cues(segments, translation, names, speakers):
        text = html.escape(c.text, quote=False).replace("-->", "--&gt;")
        if c.speaker:
            voice = html.escape(c.speaker, quote=False).replace(">", "&gt;")
            text = f"<v {voice}>{text}"
        blocks.append(f"{_clock(c.start_s, '.')} --> {_clock(c.end_s, '.')}\n{text}\n")
    return "WEBVTT\n\n" + "\n".join(blocks)


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{3})"
_TIMING = re.compile(rf"^{_TIME}\s*-->\s*{_TIME}")
_VOICE = re.compile(r"^<v(?:\.[^\s>]*)?\s+([^>]*)>")


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
    """The cues of a WebVTT file; a leading `<v Name>` voice tag becomes the cue's `speaker`."""
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise ValueError("not a WebVTT file (no WEBVTT header)")
    cues = []
    for cue in _parse(text):
        voice = _VOICE.match(cue.text)
        body = cue.text[voice.end():] if voice else cue.text
        body = re.sub(r"</v>", "", body)
        cues.append(Cue(cue.start_s, cue.end_s, html.unescape(body).strip(),
                        html.unescape(voice.group(1)).strip() if voice else None))
    return cues
