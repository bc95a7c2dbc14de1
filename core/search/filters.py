"""What a search is limited to (project, modality, video length, import date, person, speaker).

Its own module, free of NumPy, so the GUI's search box can be built before the search index
is imported (start-up time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SearchFilters:
    project_id: str | None = None
    modalities: tuple[str, ...] = ()  # empty: all
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    imported_after: datetime | None = None
    imported_before: datetime | None = None
    # Only these videos (None: all). Set by the `person:` filter: the videos a person appears in.
    video_ids: frozenset[str] | None = None
    # `person:NAME` / `speaker:NAME`: moments where that person is on screen / that speaker talks.
    person: str | None = None
    speaker: str | None = None
