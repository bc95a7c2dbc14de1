"""Domain models: plain dataclasses that convert to and from MongoDB documents."""

from core.models.job import Job, JobError, JobStatus, Stage, StageStatus
from core.models.project import Project
from core.models.segment import Box, TextSegment, Word
from core.models.shot import Segment, Shot, Timeline
from core.models.video import MediaInfo, Video, VideoStatus

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
    "Stage",
    "StageStatus",
    "Timeline",
    "Video",
    "VideoStatus",
]
