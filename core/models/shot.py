"""A shot: a continuous run of frames between two boundaries, with its keyframe and features."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Shot:
    video_id: str
    index: int  # 0-based, in time order
    start_s: float  # PTS time of the first frame
    end_s: float  # PTS time where the next shot starts (or the video ends)
    start_frame: int  # index of the first frame (decode order)
    end_frame: int  # index one past the last frame
    transition: str  # how the shot begins: "start" | "cut" | "fade" | "dissolve"
    keyframe_path: str | None = None
    keyframe_s: float = 0.0
    mean_rgb: list[int] = field(default_factory=lambda: [0, 0, 0])
    brightness: float = 0.0  # mean luma 0..1
    motion: float = 0.0  # mean absolute frame-to-frame change 0..1

    @property
    def id(self) -> str:
        return f"{self.video_id}-{self.index:05d}"

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "video_id": self.video_id,
            "index": self.index,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "transition": self.transition,
            "keyframe_path": self.keyframe_path,
            "keyframe_s": self.keyframe_s,
            "mean_rgb": list(self.mean_rgb),
            "brightness": self.brightness,
            "motion": self.motion,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Shot:
        return cls(
            video_id=doc["video_id"],
            index=int(doc["index"]),
            start_s=float(doc["start_s"]),
            end_s=float(doc["end_s"]),
            start_frame=int(doc["start_frame"]),
            end_frame=int(doc["end_frame"]),
            transition=doc.get("transition", "cut"),
            keyframe_path=doc.get("keyframe_path"),
            keyframe_s=float(doc.get("keyframe_s") or 0.0),
            mean_rgb=[int(c) for c in doc.get("mean_rgb") or [0, 0, 0]],
            brightness=float(doc.get("brightness") or 0.0),
            motion=float(doc.get("motion") or 0.0),
        )


@dataclass
class Timeline:
    """A sprite sheet of thumbnails taken every `interval_s` seconds (row-major tiles)."""

    sprite_path: str
    interval_s: float
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    count: int

    def tile_at(self, time_s: float) -> int:
        """Return the index of the thumbnail that shows `time_s`."""
        return max(0, min(self.count - 1, int(time_s / self.interval_s))) if self.count else 0

    def to_doc(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Timeline:
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__})


@dataclass
class Segment:
    """A span of time with a label, e.g. a black or blank stretch."""

    start_s: float
    end_s: float

    def to_doc(self) -> dict[str, float]:
        return {"start_s": self.start_s, "end_s": self.end_s}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Segment:
        return cls(float(doc["start_s"]), float(doc["end_s"]))
