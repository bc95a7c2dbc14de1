"""What a pipeline stage sees of the providers: the project's routing and the gateway."""

from __future__ import annotations

from typing import Any, Protocol

from core.providers.base import ProviderRequest
from core.models.routing import Route


class ProviderAccess(Protocol):
    def route(self, project_id: str, capability: str) -> Route:
        """Which provider and model do `capability` for this project ("local" by default)."""

    def call(self, request: ProviderRequest) -> dict[str, Any]:
        """The answer's data, through the gateway (cache, budget, retries, ledger).

        Raises ProviderError, BudgetExceeded (nothing was called) or UnknownPrice."""
