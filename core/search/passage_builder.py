"""Cut a video's transcript and on-screen text into search passages (before embedding).

- every transcript line is a passage (unit "line"): a hit on it opens the player at that line;
- windows of consecutive lines (unit "window", WINDOW_MIN_S-WINDOW_MAX_S long, a new one every
  WINDOW_STRIDE_S, so they overlap) carry the topic a single line may not;
- every on-screen text segment is a passage (modality "text", unit "ocr");
- every keyframe caption from a vision provider is a passage (modality "visual", unit "caption").
Passage ids derive from the video and the unit's position, so re-embedding the same
analysis gives the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from core.models.passage import Passage
from core.models.segment import PASSAGE_OF, Modality, SegmentKind, TextSegment, Unit

WINDOW_MIN_S = 20.0
WINDOW_MAX_S = 40.0
WINDOW_STRIDE_S = 15.0
MIN_CHARS = 3


def passage_id(video_id: str, unit: str, start_s: float, text: str) -> str:
    digest = hashlib.blake2b(f"{video_id}|{unit}|{start_s:.3f}|{text}".encode(), digest_size=12).hexdigest()
    return f"p-{digest}"


def _passage(video_id: str, modality: Modality, unit: Unit, start_s: float, end_s: float, text: str) -> Passage:
    return Passage(id=passage_id(video_id, unit, start_s, text), video_id=video_id, modality=str(modality),
                   unit=str(unit), start_s=round(start_s, 3), end_s=round(end_s, 3), text=text)


def transcript_windows(lines: Sequence[TextSegment]) -> list[tuple[float, float, str]]:
    """(start_s, end_s, text) windows over `lines` (sorted by time); none when all fit in one line."""
    windows: list[tuple[float, float, str]] = []
    if len(lines) < 2:
        return windows
    first = 0
    while first < len(lines):
        start = lines[first].start_s
        last = first
        while (last + 1 < len(lines) and lines[last + 1].end_s - start <= WINDOW_MAX_S
               and lines[last].end_s - start < WINDOW_MIN_S):
            last += 1
        if last > first:
            windows.append((start, lines[last].end_s, " ".join(s.text for s in lines[first:last + 1])))
        if last + 1 >= len(lines):
            break
        following = next((i for i in range(first + 1, len(lines)) if lines[i].start_s >= start + WINDOW_STRIDE_S),
                         last + 1)
        first = min(following, last + 1)
    return windows


def build_passages(video_id: str, speech: Sequence[TextSegment], on_screen: Sequence[TextSegment],
                   captions: Sequence[TextSegment] = ()) -> list[Passage]:
    """The passages of one video, vectors not yet filled in; `captions` are keyframe captions
    from a vision provider (modality "visual")."""
    lines = sorted((s for s in speech if len(s.text.strip()) >= MIN_CHARS), key=lambda s: s.start_s)
    passages = [_passage(video_id, *PASSAGE_OF[SegmentKind.SPEECH], s.start_s, s.end_s, s.text.strip())
                for s in lines]
    passages += [_passage(video_id, Modality.SPEECH, Unit.WINDOW, start, end, text)
                 for start, end, text in transcript_windows(lines)]
    for kind, segments in ((SegmentKind.OCR, on_screen), (SegmentKind.CAPTION, captions)):
        passages += [_passage(video_id, *PASSAGE_OF[kind], s.start_s, s.end_s, s.text.strip())
                     for s in segments if len(s.text.strip()) >= MIN_CHARS]
    unique = {p.id: p for p in passages}  # the same text at the same time only once
    return sorted(unique.values(), key=lambda p: (p.start_s, p.unit, p.id))
