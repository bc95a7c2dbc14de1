"""Face appearances: consecutive detections of a face at about the same place become one.

The faces stage stores one segment per face per sample (every 2 s, plus keyframes), so a
person on screen for a minute is ~30 segments. The review screen shows one thumbnail per
appearance instead: the span of time, the clearest (largest) crop, and how often it was seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.models.segment import Box, SegmentKind, TextSegment

SAME_PLACE_IOU = 0.3  # boxes of one face in consecutive samples overlap at least this much
GAP_S = 0.05  # a sample that starts within this of the previous one's end continues it


@dataclass
class FaceAppearance:
    start_s: float
    end_s: float
    box: Box  # the largest box seen, in upright display pixels
    image_path: str | None  # its crop
    detections: int = 1
    last_box: Box | None = field(default=None, repr=False)  # where it was in the latest sample
    segments: list[TextSegment] = field(default_factory=list, repr=False, compare=False)  # its detections


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / float(a.w * a.h + b.w * b.h - inter)


def face_appearances(segments: Iterable[TextSegment]) -> list[FaceAppearance]:
    """Appearances of the face segments among `segments`, ordered by start time."""
    samples: dict[float, list[TextSegment]] = {}
    for s in segments:
        if s.kind == SegmentKind.FACE and s.boxes:
            samples.setdefault(s.start_s, []).append(s)
    done: list[FaceAppearance] = []
    current: list[FaceAppearance] = []
    for start_s in sorted(samples):
        done += [a for a in current if start_s > a.end_s + GAP_S]  # not seen since: ended
        candidates = [a for a in current if start_s <= a.end_s + GAP_S]
        current = list(candidates)
        # the best-overlapping pairs first, each appearance takes at most one face per sample
        pairs = sorted(((iou(a.last_box or a.box, s.boxes[0]), i, j) for i, a in enumerate(candidates)
                        for j, s in enumerate(samples[start_s])), reverse=True)
        taken_a: set[int] = set()
        taken_s: set[int] = set()
        for overlap, i, j in pairs:
            if overlap < SAME_PLACE_IOU or i in taken_a or j in taken_s:
                continue
            taken_a.add(i)
            taken_s.add(j)
            _extend(candidates[i], samples[start_s][j])
        for j, s in enumerate(samples[start_s]):
            if j not in taken_s:
                current.append(FaceAppearance(s.start_s, s.end_s, s.boxes[0], s.image_path, last_box=s.boxes[0],
                                              segments=[s]))
    return sorted(done + current, key=lambda a: (a.start_s, a.box.x))


def _extend(appearance: FaceAppearance, segment: TextSegment) -> None:
    box = segment.boxes[0]
    appearance.end_s = max(appearance.end_s, segment.end_s)
    appearance.detections += 1
    appearance.last_box = box
    appearance.segments.append(segment)
    if box.w * box.h > appearance.box.w * appearance.box.h:
        appearance.box, appearance.image_path = box, segment.image_path
