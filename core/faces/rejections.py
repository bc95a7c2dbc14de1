"""'Not a face' marks: the operator's verdict on a detection, kept apart from the detections.

The faces stage replaces a video's face segments on every run (new ids each time), so a mark
names what was rejected instead: the video, the appearance's time range and its box. A face
found again later — by a re-analysis, or a future detector that places boxes a little
differently — is hidden when it overlaps a mark in time at about the same place. Pure
functions; the GUI, the CLI and the library service all filter the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.faces.appearances import FaceAppearance, face_appearances, iou
from core.models.ids import new_id
from core.models.segment import Box, SegmentKind, TextSegment
from core.timeutil import utc_now

SAME_FACE_IOU = 0.5  # a detection at least this close to a marked box, at an overlapping time, is that face


@dataclass
class FaceRejection:
    """One appearance the operator marked "Not a face"."""

    video_id: str
    start_s: float
    end_s: float
    box: Box  # the appearance's largest box, in upright display pixels
    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utc_now)

    def to_doc(self) -> dict[str, Any]:
        return {"_id": self.id, "video_id": self.video_id, "start_s": self.start_s, "end_s": self.end_s,
                "box": self.box.to_doc(), "at": self.at}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FaceRejection:
        return cls(video_id=str(doc["video_id"]), start_s=float(doc["start_s"]), end_s=float(doc["end_s"]),
                   box=Box.from_doc(doc["box"]), id=str(doc["_id"]), at=doc.get("at") or utc_now())

    def covers(self, segment: TextSegment) -> bool:
        """Whether this mark names `segment`: same video, overlapping time, about the same place."""
        return (segment.video_id == self.video_id and segment.kind == SegmentKind.FACE and bool(segment.boxes)
                and segment.start_s < self.end_s and self.start_s < segment.end_s
                and iou(segment.boxes[0], self.box) >= SAME_FACE_IOU)


def reject(video_id: str, appearance: FaceAppearance) -> FaceRejection:
    """The mark that hides `appearance` (and the same face found again by a re-analysis)."""
    box = appearance.box
    return FaceRejection(video_id, appearance.start_s, appearance.end_s, Box(box.x, box.y, box.w, box.h))


def rejection_of(appearance: FaceAppearance, rejections: Iterable[FaceRejection]) -> FaceRejection | None:
    """The mark that hides `appearance`, if any: one that covers any of its detections."""
    for rejection in rejections:
        if any(rejection.covers(s) for s in appearance.segments):
            return rejection
    return None


def without_rejected(segments: Sequence[TextSegment], rejections: Sequence[FaceRejection]) -> list[TextSegment]:
    """`segments` less the face segments of every appearance a mark hides (other kinds stay).

    A whole appearance goes when any of its detections is covered, so a face that moved a little
    during the marked span does not leave stray thumbnails behind."""
    if not rejections:
        return list(segments)
    hidden = {id(s) for a in face_appearances(segments) if rejection_of(a, rejections)
              for s in a.segments}
    return [s for s in segments if id(s) not in hidden]
