"""This host's copy of each project's library listing, so a 5,000-video library shows at once.

Run by the GUI (MainController.select_project, on worker threads). The embedded database
reads ~0.6 ms per video document whatever the projection, so reading a 5,000-video project
takes 3-4 s; this file is read in ~0.1 s. The window shows the listing from here, then reads
the project from the database page by page and corrects it (added, changed and removed
videos), and writes it here again. The database stays the source of truth: the copy only
decides what is shown for the few seconds before the database has answered.

Stored as pickled pages of `Video` records (one file per project under `<data dir>/cache/`),
so loading gives the interpreter back between pages; any file that does not load (another
release's records, a damaged file) is ignored and rewritten.
"""

from __future__ import annotations

import os
import pickle
import uuid
from pathlib import Path

import structlog

from core.models import Video

log = structlog.get_logger(__name__)

FORMAT = 1
PAGE = 250


class ListingCache:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, project_id: str) -> Path:
        return self._folder / f"listing-{project_id}.pickle"

    def load(self, project_id: str) -> list[list[Video]]:
        """The project's videos as last listed, in pages ([] when there is no usable copy)."""
        path = self._path(project_id)
        try:
            with path.open("rb") as f:
                header = pickle.load(f)
                if header != ("vip-listing", FORMAT, project_id):
                    return []
                pages: list[list[Video]] = []
                count = pickle.load(f)
                for _ in range(count):
                    page = pickle.loads(pickle.load(f))  # one page per call: the GIL is let go between
                    if not all(isinstance(v, Video) and v.project_id == project_id for v in page):
                        return []
                    pages.append(page)
                return pages
        except FileNotFoundError:
            return []
        except Exception as exc:  # noqa: BLE001 - a copy that does not load is only a slower start
            log.warning("listing_cache_unreadable", path=str(path), error=f"{type(exc).__name__}: {exc}")
            return []

    def save(self, project_id: str, videos: list[Video]) -> None:
        """Replace the copy (atomically: a reader sees the old file or the new one)."""
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._path(project_id)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        pages = [videos[i:i + PAGE] for i in range(0, len(videos), PAGE)]
        try:
            with tmp.open("wb") as f:
                pickle.dump(("vip-listing", FORMAT, project_id), f)
                pickle.dump(len(pages), f)
                for page in pages:
                    pickle.dump(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL), f)
            os.replace(tmp, path)
        except OSError as exc:  # a full disk: the next start reads the database instead
            tmp.unlink(missing_ok=True)
            log.warning("listing_cache_not_saved", path=str(path), error=str(exc))

    def forget(self, project_id: str) -> None:
        self._path(project_id).unlink(missing_ok=True)
