"""Import video files and folders into a project, de-duplicated by content fingerprint.

Async (GUI loop or CLI); file hashing runs in a thread so the loop never blocks.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from core.media.fingerprint import fingerprint, missing_fingerprint
from core.media.formats import VIDEO_EXTENSIONS
from core.models import Video
from core.repositories import AsyncVideoRepository

log = structlog.get_logger(__name__)

@dataclass
class ImportItem:
    path: str
    video: Video
    created: bool


@dataclass
class ImportResult:
    items: list[ImportItem] = field(default_factory=list)

    @property
    def added(self) -> list[Video]:
        return [i.video for i in self.items if i.created]

    @property
    def duplicates(self) -> int:
        return sum(1 for i in self.items if not i.created)


def collect_files(paths: list[Path]) -> list[Path]:
    """Expand folders recursively into their video files (by extension, sorted).

    Files named explicitly are kept whatever their extension or state, so that a missing
    or unreadable file still gets a job that explains the problem.
    """
    files: list[Path] = []
    for path in paths:
        path = path.expanduser().absolute()
        if path.is_dir():
            found = [
                Path(root) / name
                for root, _dirs, names in os.walk(path)
                for name in names
                if Path(name).suffix.lower() in VIDEO_EXTENSIONS and not name.startswith(".")
            ]
            files.extend(sorted(found))
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def _identify(path: Path) -> tuple[str, int]:
    try:
        return fingerprint(path)
    except OSError:
        return missing_fingerprint(path), 0


class ImportService:
    """Import files and folders into a project, one video per distinct content fingerprint. Used by
    AnalysisService (the GUI, `vip analyze`, the REST API, watch folders) and the self-test (async)."""

    def __init__(self, videos: AsyncVideoRepository) -> None:
        self._videos = videos

    async def import_paths(self, project_id: str, paths: list[Path]) -> ImportResult:
        """Add every video under `paths` to the project; re-importing the same content adds nothing."""
        files = await asyncio.to_thread(collect_files, paths)
        result = ImportResult()
        for path in files:
            fp, size = await asyncio.to_thread(_identify, path)
            video, created = await self._videos.add(
                Video(project_id=project_id, path=str(path), fingerprint=fp, size_bytes=size)
            )
            result.items.append(ImportItem(path=str(path), video=video, created=created))
        log.info("import_done", project_id=project_id, files=len(files),
                 added=len(result.added), duplicates=result.duplicates)
        return result
