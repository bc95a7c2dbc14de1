"""Domain models: plain dataclasses that convert to and from MongoDB documents.

The status enums load with the package; the dataclasses on first use (PEP 562): the GUI's
widgets need the enums before the main window's first paint, and building a dozen dataclasses
takes ~5-9 ms of that (app/gui.py, benchmarks/bench_startup.py). Importing a name from here
works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from core.models.status import JobStatus, StageStatus, VideoStatus

if TYPE_CHECKING:
    from core.models.job import Job, JobError, StageRecord
    from core.models.project import Project
    from core.models.segment import Box, TextSegment, Word
    from core.models.shot import Segment, Shot, Timeline
    from core.models.video import MediaInfo, Video

_HOMES = {
    "Job": "job", "JobError": "job", "StageRecord": "job", "Project": "project", "Box": "segment",
    "TextSegment": "segment", "Word": "segment", "Segment": "shot", "Shot": "shot", "Timeline": "shot",
    "MediaInfo": "video", "Video": "video",
}

__all__ = [
    "Box",
    "TextSegment",
    "Word",
    "Job",
    "JobError",
    "JobStatus",
    "MediaInfo",
    "Project",
    "Segment",
    "Shot",
    "StageRecord",
    "StageStatus",
    "Timeline",
    "Video",
    "VideoStatus",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'core.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"core.models.{_HOMES[name]}"), name)
