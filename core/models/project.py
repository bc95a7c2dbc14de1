"""A project: a named collection of videos with an optional budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.models.ids import new_id
from core.timeutil import as_utc, utc_now


@dataclass
class Project:
    name: str
    description: str = ""
    budget_usd: float | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utc_now)

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "name": self.name,
            "description": self.description,
            "budget_usd": self.budget_usd,
            "created_at": self.created_at,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Project:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            description=doc.get("description", ""),
            budget_usd=doc.get("budget_usd"),
            created_at=as_utc(doc.get("created_at")) or utc_now(),
        )
