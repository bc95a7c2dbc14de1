"""A searchable piece of a video with a time range: speech, on-screen text, faces, labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.models.ids import new_id


class SegmentKind(StrEnum):
    """What a stored segment holds. Which kinds search reads, as which modality and unit, is
    PASSAGE_OF below."""

    SPEECH = "speech"  # a transcript line: words with times, a speaker
    TRANSLATION = "translation"  # a transcript line in another language (a second track)
    OCR = "ocr"  # on-screen text with its boxes
    FACE = "face"  # a face appearance: boxes, image_path
    CAPTION = "caption"  # a keyframe caption or label from a vision provider
    SUMMARY = "summary"  # the overview and chapters (core.repositories.summaries)
    COMMENTARY = "commentary"  # an LLM's commentary lines


class Modality(StrEnum):
    """What a passage is, as search filters it (the GUI's kind menu, `vip search --kind`, the
    REST API's `kind`)."""

    SPEECH = "speech"  # spoken words
    TEXT = "text"  # on-screen text
    VISUAL = "visual"  # captions and labels of keyframes


class Unit(StrEnum):
    """How much of a video one passage covers."""

    LINE = "line"  # one transcript line
    WINDOW = "window"  # ~20-40 s of consecutive transcript lines
    OCR = "ocr"  # one on-screen text segment
    CAPTION = "caption"  # one keyframe caption


# The one mapping from a stored segment's kind to the passage search makes of it (transcript
# lines also make WINDOW passages, core.search.passage_builder).
PASSAGE_OF: dict[SegmentKind, tuple[Modality, Unit]] = {
    SegmentKind.SPEECH: (Modality.SPEECH, Unit.LINE),
    SegmentKind.OCR: (Modality.TEXT, Unit.OCR),
    SegmentKind.CAPTION: (Modality.VISUAL, Unit.CAPTION),
}


@dataclass
class Word:
    text: str
    start_s: float
    end_s: float
    probability: float = 1.0

    def to_doc(self) -> dict[str, Any]:
        return {"text": self.text, "start_s": self.start_s, "end_s": self.end_s, "p": self.probability}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Word:
        return cls(doc["text"], float(doc["start_s"]), float(doc["end_s"]), float(doc.get("p", 1.0)))


@dataclass
class Box:
    """A rectangle in display (upright) pixel coordinates of the video."""

    x: int
    y: int
    w: int
    h: int
    score: float = 1.0

    def to_doc(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h, "score": self.score}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Box:
        return cls(int(doc["x"]), int(doc["y"]), int(doc["w"]), int(doc["h"]), float(doc.get("score", 1.0)))


@dataclass
class TextSegment:
    """One segment (docs/ARCHITECTURE.md §3): a row of a `segment_sets` document (a document of
    its own in `segments` for summaries and in the old layout).

    kind: a SegmentKind ("speech" words with times, "ocr" boxes, "face" boxes and image_path, ...).
    `stage` and `version` say which analyzer produced it, so a re-run replaces exactly
    its own output. No nested arrays: words and boxes are lists of documents.
    """

    video_id: str
    kind: str
    start_s: float
    end_s: float
    text: str = ""
    stage: str = ""
    version: int = 0
    language: str | None = None
    confidence: float = 1.0
    words: list[Word] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    image_path: str | None = None
    speaker: str | None = None  # speech: the speakers stage's label ("S1", "S2"...; names live on the video)
    id: str = field(default_factory=new_id)

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "video_id": self.video_id,
            "kind": str(self.kind),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "text": self.text,
            "stage": self.stage,
            "version": self.version,
            "language": self.language,
            "confidence": self.confidence,
            "words": [w.to_doc() for w in self.words],
            "boxes": [b.to_doc() for b in self.boxes],
            "image_path": self.image_path,
            "speaker": self.speaker,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TextSegment:
        return cls(
            id=doc["_id"],
            video_id=doc["video_id"],
            kind=doc["kind"],
            start_s=float(doc["start_s"]),
            end_s=float(doc["end_s"]),
            text=doc.get("text", ""),
            stage=doc.get("stage", ""),
            version=int(doc.get("version") or 0),
            language=doc.get("language"),
            confidence=float(doc.get("confidence", 1.0)),
            words=[Word.from_doc(w) for w in doc.get("words") or []],
            boxes=[Box.from_doc(b) for b in doc.get("boxes") or []],
            image_path=doc.get("image_path"),
            speaker=doc.get("speaker"),
        )
