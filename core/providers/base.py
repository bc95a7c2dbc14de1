"""What every provider call looks like to the gateway (docs/ARCHITECTURE.md §6).

A provider (local model, OpenAI-compatible endpoint, Gemini) turns a `ProviderRequest`
into a `ProviderResponse`, or raises `ProviderError`. It knows nothing of caching, budgets
or the cost ledger: the gateway (core/providers/gateway.py) wraps every call in those.
Requests are plain data so they can be hashed into a cache key and recorded in the ledger.
Runs in worker processes (sync); the GUI calls providers on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.errors import VipError

# Operations a provider may offer; a price is per unit of one of UNITS.
OPERATIONS = ("chat", "embed", "transcribe", "vision")
UNITS = ("input_tokens", "output_tokens", "audio_minutes", "images", "requests")


@dataclass(frozen=True)
class ProviderRequest:
    provider: str  # "local", "openai" (any OpenAI-compatible endpoint), "gemini"
    model: str
    operation: str  # one of OPERATIONS
    payload: dict[str, Any]  # canonical JSON-able input: the cache key is a hash of it (with the above)
    estimate: dict[str, float] = field(default_factory=dict)  # expected usage, per unit, for the budget check
    project_id: str | None = None
    video_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class ProviderResponse:
    data: dict[str, Any]  # JSON-able result (stored in the cache as is)
    usage: dict[str, float] = field(default_factory=dict)  # measured usage, per unit (tokens, minutes, images)


class ProviderError(VipError):
    """A provider call failed. `retryable`: 429, 5xx, timeouts, connection errors (the gateway
    retries with backoff, honouring `retry_after_s`); not retryable: other 4xx, malformed
    answers, refusals. The message names the provider and what to do; never the key."""

    def __init__(self, provider: str, message: str, *, retryable: bool = False, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        self.provider = provider
        self.retryable = retryable
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(f"{provider}: {message}")


class BudgetExceeded(VipError):
    """A paid call would take a project past its budget: nothing was called."""


class Provider(Protocol):
    name: str

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse: ...
