"""People: faces seen across the whole library, grouped by identity (the people stage).

A `Person` is one cluster of face appearances, library-wide (the same person appears in
several projects). Its `centroid` is the mean of its appearances' face embeddings, so a
new video's appearance joins the nearest person within the threshold
(core.faces.clustering). The operator names a person once; merging folds one person into
another (`merged_into`, so ids stored on older segments still resolve); "Not a face" hides a
whole cluster and keeps catching look-alike detections later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.models.ids import new_id
from core.models.segment import Box
from core.timeutil import utc_now


@dataclass
class Person:
    number: int  # stable, shown as "Person 7" until named
    centroid: list[float] = field(repr=False)
    name: str | None = None
    count: int = 0  # appearances
    videos: int = 0  # videos it appears in
    cover_path: str | None = None  # the clearest face crop seen
    cover_area: int = 0  # that crop's box area, so a clearer one can replace it
    not_a_face: bool = False
    merged_into: str | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utc_now)

    @property
    def display_name(self) -> str:
        return self.name or f"Person {self.number}"

    def to_doc(self) -> dict[str, Any]:
        return {"_id": self.id, "number": self.number, "centroid": self.centroid, "name": self.name,
                "name_lc": (self.name or "").lower(), "count": self.count, "videos": self.videos,
                "cover_path": self.cover_path, "cover_area": self.cover_area, "not_a_face": self.not_a_face,
                "merged_into": self.merged_into, "created_at": self.created_at}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Person:
        return cls(number=int(doc.get("number") or 0), centroid=[float(v) for v in doc.get("centroid") or []],
                   name=doc.get("name"), count=int(doc.get("count") or 0), videos=int(doc.get("videos") or 0),
                   cover_path=doc.get("cover_path"), cover_area=int(doc.get("cover_area") or 0),
                   not_a_face=bool(doc.get("not_a_face")), merged_into=doc.get("merged_into"),
                   id=str(doc["_id"]), created_at=doc.get("created_at") or utc_now())


@dataclass
class PersonAppearance:
    """One appearance of a person in one video: a face tracked over consecutive samples."""

    video_id: str
    index: int  # its position among the video's appearances (the people stage's order)
    start_s: float
    end_s: float
    box: Box  # the largest box seen, upright display pixels
    image_path: str | None
    person_id: str
    detections: int = 1

    def to_row(self) -> dict[str, Any]:
        """A compact document (FerretDB stores no arrays inside arrays)."""
        b = self.box
        return {"s": self.start_s, "e": self.end_s, "x": b.x, "y": b.y, "w": b.w, "h": b.h,
                "img": self.image_path, "p": self.person_id, "n": self.detections}

    @classmethod
    def from_row(cls, video_id: str, index: int, row: dict[str, Any]) -> PersonAppearance:
        return cls(video_id, index, float(row["s"]), float(row["e"]),
                   Box(int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"])),
                   row.get("img"), str(row["p"]), int(row.get("n") or 1))
