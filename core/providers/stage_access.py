"""ProviderAccess for worker processes: routing from MongoDB, calls through the gateway."""

from __future__ import annotations

from typing import Any

from core.providers.base import ProviderRequest
from core.providers.gateway import ProviderGateway
from core.models.routing import Route
from core.repositories.routing import RoutingRepository


class GatewayAccess:
    def __init__(self, routing: RoutingRepository, gateway: ProviderGateway) -> None:
        self._routing = routing
        self._gateway = gateway

    def route(self, project_id: str, capability: str) -> Route:
        return self._routing.get(project_id).route(capability)

    def call(self, request: ProviderRequest) -> dict[str, Any]:
        return self._gateway.call(request).data
