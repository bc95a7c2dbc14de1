"""Use cases the GUI and the CLI call (async), and the worker-side recovery (sync)."""

from core.services.client import ClientServices
from core.media.formats import VIDEO_EXTENSIONS
from core.services.importing import ImportItem, ImportResult, ImportService
from core.services.jobs import JobLauncher, JobService
from core.services.library import LibraryService
from core.services.projects import ProjectService
from core.services.recovery import StaleJobReaper

__all__ = [
    "ClientServices",
    "VIDEO_EXTENSIONS",
    "ImportItem",
    "ImportResult",
    "ImportService",
    "JobLauncher",
    "JobService",
    "LibraryService",
    "ProjectService",
    "StaleJobReaper",
]
