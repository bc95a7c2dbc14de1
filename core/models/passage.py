"""Passages: the search units of a video (searchable text with a time range and a vector), and
the per-video facts search filters on.

A passage is one search unit of one video: a transcript line, a transcript window
(~20-40 s of consecutive lines), an on-screen text segment, or a caption/label. The embed
stage writes them to MongoDB (one `segment_sets` document per video, kind "passage", vectors
as float32 bytes: core.repositories.segment_sets); the local search indexes (core.search.index)
are caches rebuilt from there. Models, so the repositories and search share them without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from core.models.segment import Modality

DIM = 384  # all-MiniLM-L6-v2
MODALITIES: tuple[str, ...] = tuple(m.value for m in Modality)  # index order of the search index's columns


@dataclass(frozen=True)
class VideoFacts:
    """What search filters on, per video (copied into the index with its passages)."""

    video_id: str
    project_id: str
    duration_s: float
    imported_at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class SearchState:
    """A video as the search index sees it; `rev` is None until its passages are ready."""

    facts: VideoFacts
    rev: str | None


@dataclass
class Passage:
    id: str  # the segment _id in MongoDB
    video_id: str
    modality: str  # a Modality
    unit: str  # a Unit
    start_s: float
    end_s: float
    text: str
    vector: npt.NDArray[np.float32] = field(repr=False, default_factory=lambda: np.zeros(DIM, np.float32))
