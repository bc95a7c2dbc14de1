"""/api/v1/search: the library by spoken words, on-screen text and meaning (as `vip search`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from api import deps
from core.errors import VipError
from core.models.segment import Modality
from core.search.filters import SearchFilters
from core.search.service import SearchService
from core.search.who import parse_who

router = APIRouter(prefix="/search", tags=["search"])


@router.get("")
async def search(q: str = Query("", description="words or a question; exact phrases in double quotes; "
                                                 "person:NAME and speaker:NAME filter"),
                 project_id: str | None = None, kind: Modality | None = None,
                 person: str | None = None, speaker: str | None = None, limit: int = Query(10, ge=1, le=100),
                 search: SearchService = Depends(deps.search)) -> list[dict[str, Any]]:
    """Videos best first, each with its matching moments (`seek_s`: where the player opens)."""
    words, who_person, _ = parse_who(q)
    if not words and not (who_person or person):
        raise VipError("Give words to search for (q=...), or a person (person=NAME)")
    await search.sync()
    filters = SearchFilters(project_id=project_id, modalities=(str(kind),) if kind else (), person=person,
                            speaker=speaker)
    return [result.to_doc() for result in await search.search(q, filters, limit)]
