"""What the search indexes answer: a hit on one passage (core.models.passage), with its score."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexHit:
    """One passage an index found; `score` is higher for better hits within one list."""

    passage_id: str
    video_id: str
    modality: str
    unit: str
    start_s: float
    end_s: float
    text: str
    score: float
