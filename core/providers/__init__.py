"""Providers: local models and cloud APIs behind one gateway (cache, budget, retries, ledger).

The names below are imported on first use (PEP 562), so `core.providers.redaction`, which
every process's logging needs at start-up, does not pull in the gateway, pymongo and HTTP.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.providers.base import BudgetExceeded, Provider, ProviderError, ProviderRequest, ProviderResponse
    from core.providers.gateway import GatewayResult, ProviderGateway
    from core.providers.prices import PriceTable, UnknownPrice

_HOMES = {
    "BudgetExceeded": "base", "Provider": "base", "ProviderError": "base", "ProviderRequest": "base",
    "ProviderResponse": "base", "GatewayResult": "gateway", "ProviderGateway": "gateway", "PriceTable": "prices",
    "UnknownPrice": "prices",
}

__all__ = ["BudgetExceeded", "GatewayResult", "PriceTable", "Provider",
           "ProviderError", "ProviderGateway", "ProviderRequest", "ProviderResponse", "UnknownPrice"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'core.providers' has no attribute {name!r}")
    return getattr(importlib.import_module(f"core.providers.{_HOMES[name]}"), name)
