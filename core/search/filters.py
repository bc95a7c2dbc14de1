"""What a search is limited to (project, modality, video length, import date).

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
