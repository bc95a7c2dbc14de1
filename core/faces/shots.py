"""Per-shot face counts: the faces found on each shot's keyframe."""

from __future__ import annotations

from collections.abc import Iterable

from core.models.segment import SegmentKind, TextSegment
from core.models.shot import Shot

KEYFRAME_TOLERANCE_S = 0.25  # the decoded frame nearest a keyframe time lies within half a frame of it


def faces_per_shot(shots: Iterable[Shot], segments: Iterable[TextSegment]) -> dict[int, int]:
    """Shot index → number of face segments at that shot's keyframe sample (0 when none)."""
    starts: dict[float, int] = {}
    for segment in segments:
        if segment.kind == SegmentKind.FACE:
            starts[segment.start_s] = starts.get(segment.start_s, 0) + 1
    counts: dict[int, int] = {}
    for shot in shots:
        near = [t for t in starts if abs(t - shot.keyframe_s) <= KEYFRAME_TOLERANCE_S
                and shot.start_s - 1e-3 <= t < max(shot.end_s, shot.start_s + 1e-3)]
        counts[shot.index] = starts[min(near, key=lambda t: abs(t - shot.keyframe_s))] if near else 0
    return counts
