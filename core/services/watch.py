"""Watch folders: video files dropped into a folder are analysed without a click.

A scan lists each folder's video files (by extension, recursively or not) and compares them with
what the database remembers of that folder. A file is taken only once its size and mtime have
stayed the same for the folder's settle time, so a copy in progress is never analysed half
written. Taking a file imports it into the folder's project and queues it with that project's
analysis profile, unless its content (the import's fingerprint) is in the project already: a
renamed or copied file is not analysed again. A folder that is missing (a drive unplugged) gets
a clear status and is scanned again later; nothing stops. The GUI session runs scans on its loop;
`vip watch` runs them headless.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from core.errors import Conflict, NotFound, VipError
from core.models.watch import WatchedFile, WatchFolder
from core.repositories.watch import AsyncWatchRepository
from core.services.analysis import AnalysisService, OverBudget
from core.services.projects import ProjectService
from core.timeutil import utc_now

log = structlog.get_logger(__name__)
SCAN_EVERY_S = 2.0


@dataclass(frozen=True)
class Taken:
    """A file a scan handed to analysis (job None: its content was in the project already)."""

    folder_id: str
    path: str
    video_id: str
    job_id: str | None


def _listing(folder: WatchFolder) -> dict[str, tuple[int, float]]:
    """The folder's video files: path -> (size, mtime). Blocking (run in a thread)."""
    found: dict[str, tuple[int, float]] = {}
    root = Path(folder.path)
    walker = os.walk(root) if folder.recursive else [(str(root), [], os.listdir(root))]
    for directory, subdirs, names in walker:
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        for name in names:
            if not folder.wants(name):
                continue
            path = os.path.join(directory, name)
            try:
                info = os.stat(path)
            except OSError:  # gone between the listing and the stat
                continue
            if os.path.isfile(path):
                found[path] = (info.st_size, info.st_mtime)
    return found


class WatchService:
    """Add, list and remove watch folders and scan them (see the module docstring); what it takes is
    queued through AnalysisService. Used by the GUI session's watch page and scans and by `vip watch`
    (async, on their event loop)."""

    def __init__(self, repo: AsyncWatchRepository, analysis: AnalysisService, projects: ProjectService,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._repo, self._analysis, self._projects, self._clock = repo, analysis, projects, clock

    async def folders(self) -> list[WatchFolder]:
        return await self._repo.folders()

    async def add(self, path: Path, project: str | None = None, recursive: bool = True,
                  extensions: tuple[str, ...] | None = None, settle_s: float = 10.0) -> WatchFolder:
        """Watch `path` for videos for `project` (created if missing; None: Default)."""
        folder_path = path.expanduser().absolute()
        if not folder_path.is_dir():
            raise VipError(f"{folder_path} is not a folder: give an existing folder to watch")
        if settle_s < 0:
            raise VipError(f"The settle time is how long a file must stay unchanged: {settle_s:g} s is negative")
        if any(Path(f.path) == folder_path for f in await self._repo.folders()):
            raise Conflict(f"{folder_path} is watched already")
        name = (await self._projects.ensure(project)).name  # listed at once: its profile can be set first
        folder = WatchFolder(path=str(folder_path), project=name, recursive=recursive, settle_s=settle_s,
                             status="Waiting for the first scan")
        if extensions:
            folder.extensions = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        await self._repo.save_folder(folder)
        log.info("watch_folder_added", path=folder.path, project=name)
        return folder

    async def remove(self, ref: str) -> WatchFolder:
        """Stop watching the folder with this id or path (its files stay in the library)."""
        for folder in await self._repo.folders():
            if ref in (folder.id, folder.path) or Path(ref).expanduser().absolute() == Path(folder.path):
                await self._repo.remove_folder(folder.id)
                return folder
        raise NotFound(f"No watch folder {ref}: `vip watch list` shows them")

    async def scan(self) -> list[Taken]:
        """One pass over every folder; what it handed to analysis."""
        taken: list[Taken] = []
        for folder in await self._repo.folders():
            try:
                taken += await self._scan(folder)
            except VipError as exc:
                await self._repo.set_status(folder.id, str(exc), False)
        return taken

    async def run(self, stop: asyncio.Event, every_s: float = SCAN_EVERY_S) -> None:
        """Scan until `stop` is set; a scan that fails (the database away) is logged and retried."""
        while not stop.is_set():
            try:
                await self.scan()
            except Exception:  # noqa: BLE001 - a watch loop must outlive one bad scan
                log.exception("watch_scan_failed")
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except TimeoutError:
                pass

    async def _scan(self, folder: WatchFolder) -> list[Taken]:
        if not await asyncio.to_thread(os.path.isdir, folder.path):
            status = f"Folder not found: {folder.path} — reconnect its drive, or remove this watch folder"
            if status != folder.status:
                log.warning("watch_folder_missing", path=folder.path)
                await self._repo.set_status(folder.id, status, False)
            return []
        listing = await asyncio.to_thread(_listing, folder)
        known = await self._repo.files(folder.id)
        now = self._clock()
        taken: list[Taken] = []
        for path, (size, mtime) in sorted(listing.items()):
            seen = known.get(path)
            if seen is None or (seen.size, seen.mtime) != (size, mtime):  # new, or still being written
                await self._repo.save_file(WatchedFile(folder.id, path, size, mtime, now))
                continue
            if seen.state == "settling" and (now - seen.stable_since).total_seconds() >= folder.settle_s:
                taken += await self._take(folder, seen)
        for path, seen in known.items():
            if path not in listing:  # deleted or renamed away: a file at its new name is judged by content
                await self._repo.forget_file(seen)
        files = await self._repo.files(folder.id)
        analysed = sum(1 for f in files.values() if f.state == "taken")
        settling = sum(1 for f in files.values() if f.state == "settling")
        status = f"Watching: {analysed} file{'s' if analysed != 1 else ''} analysed" + (
            f", {settling} settling" if settling else "")
        if status != folder.status or not folder.ok:
            await self._repo.set_status(folder.id, status, True)
        return taken

    async def _take(self, folder: WatchFolder, file: WatchedFile) -> list[Taken]:
        try:
            queued = await self._analysis.analyze_paths([Path(file.path)], folder.project, only_new=True)
        except OverBudget as exc:
            file.state = "refused"
            await self._repo.save_file(file)
            await self._repo.set_status(folder.id, f"{Path(file.path).name} not queued: {exc}", False)
            return []
        item = queued.items[0]
        job = queued.job_of(item) if queued.queued(item) else None
        file.state, file.video_id, file.job_id = ("taken" if job else "same-content"), item.video.id, job.id if job else None
        await self._repo.save_file(file)
        log.info("watch_file_taken", path=file.path, video_id=item.video.id, job_id=file.job_id)
        return [Taken(folder.id, file.path, item.video.id, file.job_id)]
