"""A video in a project, with what the probe stage learned about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core.models.ids import new_id
from core.models.status import VideoStatus
from core.models.shot import Segment, Timeline
from core.timeutil import as_utc, utc_now


@dataclass
class MediaInfo:
    """Container and stream facts read by the probe stage.

    `width`/`height` are the coded size; `display_width`/`display_height` are what a viewer
    sees after the display rotation (`rotation`: degrees clockwise, 0/90/180/270).
    """

    container: str
    duration_s: float
    start_s: float
    fps: float
    width: int
    height: int
    rotation: int
    display_width: int
    display_height: int
    video_codec: str
    has_audio: bool
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    bit_rate: int | None
    frame_count: int | None
    size_bytes: int

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> MediaInfo:
        return cls(**{k: doc.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def fraction_at(self, time_s: float) -> float:
        """How far into the video `time_s` (a PTS time) is, 0..1 (progress by position)."""
        if self.duration_s <= 0:
            return 0.0
        return min(1.0, max(0.0, (time_s - self.start_s) / self.duration_s))

    @property
    def container_label(self) -> str:
        """A readable container name: FFmpeg reports families ("mov,mp4,m4a,3gp,3g2,mj2")."""
        names = self.container.split(",")
        for family, label in (("mp4", "MP4 / QuickTime"), ("matroska", "Matroska / WebM"),
                              ("avi", "AVI"), ("mpegts", "MPEG-TS"), ("mpeg", "MPEG-PS")):
            if family in names:
                return label
        return names[0] if names and names[0] else "—"

    @property
    def resolution(self) -> str:
        return f"{self.display_width}×{self.display_height}"


def default_speaker_name(label: str) -> str:
    """ "S2" -> "Speaker 2" (the name a speaker has until the operator gives one)."""
    number = label[1:] if label[:1] == "S" and label[1:].isdigit() else label
    return f"Speaker {number}"


@dataclass
class Video:
    project_id: str
    path: str
    fingerprint: str
    size_bytes: int
    id: str = field(default_factory=new_id)
    status: VideoStatus = VideoStatus.NEW
    media: MediaInfo | None = None
    poster_path: str | None = None
    error: str | None = None
    # Per-stage results: {stage_name: {"status", "version", "finished_at"}}.
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeline: Timeline | None = None  # thumbnail sprite sheet (visual stage)
    black_segments: list[Segment] = field(default_factory=list)  # black/blank stretches
    imported_at: datetime = field(default_factory=utc_now)
    cost_usd: float = 0.0  # what its provider calls cost, all jobs together (the cost ledger)
    # Speakers of its transcript (speakers stage): label ("S1") -> {"name": str | None,
    # "person_id": str | None}; the operator names them per video.
    speakers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def origin_s(self) -> float:
        """The media time of the first frame, where the player's clock reads 0:00 (0 before probe)."""
        return self.media.start_s if self.media else 0.0

    @property
    def name(self) -> str:
        return Path(self.path).name

    def speaker_names(self) -> dict[str, str]:
        """Label -> display name of every speaker: the operator's name, else "Speaker N"."""
        return {label: (info or {}).get("name") or default_speaker_name(label)
                for label, info in self.speakers.items()}

    def stage_version(self, stage: str) -> int | None:
        """Return the analyzer version that produced this stage's stored output, if any."""
        info = self.stages.get(stage) or {}
        if info.get("status") != "succeeded":
            return None
        version = info.get("version")
        return int(version) if version is not None else None

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "project_id": self.project_id,
            "path": self.path,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "size_bytes": self.size_bytes,
            "status": str(self.status),
            "media": self.media.to_doc() if self.media else None,
            "poster_path": self.poster_path,
            "error": self.error,
            "stages": self.stages,
            "timeline": self.timeline.to_doc() if self.timeline else None,
            "black_segments": [s.to_doc() for s in self.black_segments],
            "imported_at": self.imported_at,
            "cost_usd": self.cost_usd,
            "speakers": self.speakers,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Video:
        media = doc.get("media")
        return cls(
            id=doc["_id"],
            project_id=doc["project_id"],
            path=doc["path"],
            fingerprint=doc["fingerprint"],
            size_bytes=int(doc.get("size_bytes") or 0),
            status=VideoStatus(doc.get("status", "new")),
            media=MediaInfo.from_doc(media) if media else None,
            poster_path=doc.get("poster_path"),
            error=doc.get("error"),
            stages=dict(doc.get("stages") or {}),
            timeline=Timeline.from_doc(doc["timeline"]) if doc.get("timeline") else None,
            black_segments=[Segment.from_doc(s) for s in doc.get("black_segments") or []],
            imported_at=as_utc(doc.get("imported_at")) or utc_now(),
            cost_usd=float(doc.get("cost_usd") or 0.0),
            speakers=dict(doc.get("speakers") or {}),
        )
