"""Watch folders: folders whose new video files are analysed without a click, and what each
folder has seen (state kept in the database, so watching survives restarts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.models.ids import new_id
from core.timeutil import as_utc

DEFAULT_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".mxf", ".m4v", ".webm", ".mts", ".ts", ".wmv", ".mpg")


@dataclass
class WatchFolder:
    path: str
    project: str  # the project's name: its analysis profile applies (`vip profile --project NAME`)
    recursive: bool = True
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS  # lower case, with the dot
    settle_s: float = 10.0  # a file is taken once its size and mtime stayed the same this long
    id: str = field(default_factory=new_id)
    status: str = ""  # what the last scan found, in words ("Watching: 3 files analysed", "Folder not found: …")
    ok: bool = True

    def wants(self, name: str) -> bool:
        return name.lower().endswith(self.extensions) and not name.startswith(".")

    def to_doc(self) -> dict[str, Any]:
        return {"_id": self.id, "path": self.path, "project": self.project, "recursive": self.recursive,
                "extensions": list(self.extensions), "settle_s": self.settle_s, "status": self.status, "ok": self.ok}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> WatchFolder:
        return cls(path=doc["path"], project=doc["project"], recursive=bool(doc.get("recursive", True)),
                   extensions=tuple(doc.get("extensions") or DEFAULT_EXTENSIONS),
                   settle_s=float(doc.get("settle_s", 10.0)), id=doc["_id"], status=doc.get("status", ""),
                   ok=bool(doc.get("ok", True)))


@dataclass
class WatchedFile:
    """A file a folder has seen: waiting to settle, or taken (its video and job), or skipped."""

    folder_id: str
    path: str
    size: int
    mtime: float
    stable_since: datetime
    state: str = "settling"  # settling | taken | same-content (already in the library: not analysed again)
    video_id: str | None = None
    job_id: str | None = None

    @property
    def id(self) -> str:
        return f"{self.folder_id}:{self.path}"

    def to_doc(self) -> dict[str, Any]:
        return {"_id": self.id, "folder_id": self.folder_id, "path": self.path, "size": self.size, "mtime": self.mtime,
                "stable_since": self.stable_since, "state": self.state, "video_id": self.video_id,
                "job_id": self.job_id}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> WatchedFile:
        return cls(folder_id=doc["folder_id"], path=doc["path"], size=int(doc["size"]), mtime=float(doc["mtime"]),
                   stable_since=as_utc(doc["stable_since"]) or doc["stable_since"], state=doc.get("state", "settling"),
                   video_id=doc.get("video_id"), job_id=doc.get("job_id"))
