"""Providers: local models and cloud APIs behind one gateway (cache, budget, retries, ledger)."""

from core.providers.base import BudgetExceeded, Provider, ProviderError, ProviderRequest, ProviderResponse
from core.providers.gateway import GatewayResult, ProviderGateway
from core.providers.prices import PriceTable, UnknownPrice
from core.providers.routing import CAPABILITIES, CLOUD_CAPABLE, LOCAL, Route, Routing

__all__ = ["CAPABILITIES", "CLOUD_CAPABLE", "LOCAL", "BudgetExceeded", "GatewayResult", "PriceTable", "Provider",
           "ProviderError", "ProviderGateway", "ProviderRequest", "ProviderResponse", "Route", "Routing",
           "UnknownPrice"]
