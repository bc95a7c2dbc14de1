"""The one gateway every provider call goes through (docs/ARCHITECTURE.md §6).

`ProviderGateway.call` does, in this order: cache lookup → (on a hit: a ledger entry at zero
cost with the cost saved, and return) → budget check for paid providers, holding the call's
estimate against the budget → the call, with a timeout and retries of transient failures → a
ledger entry (success or failure) → cache store → the hold is released.
Runs in worker processes (sync, one gateway per process); the GUI calls it on a worker thread.
It must not be shared across processes (it holds a MongoDB client's repositories).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec

import structlog

from core.providers.base import Provider, ProviderError, ProviderRequest, ProviderResponse
from core.providers.budgets import BudgetChecker
from core.providers.cache import cache_key
from core.providers.prices import PriceTable, UnknownPrice
from core.repositories import ApiCacheRepository, CachedResponse, ProviderCallRepository
from core.models.costs import ProviderCall
from core.timeutil import utc_now

log = structlog.get_logger(__name__)

P = ParamSpec("P")

DEFAULT_TTL_HOURS = 24 * 30


@dataclass(frozen=True)
class GatewayResult:
    data: dict[str, Any]
    cached: bool
    cost_usd: float  # what this call cost (0 for a cache hit)
    saved_usd: float  # what a cache hit would have cost (0 for a call)
    attempts: int  # provider calls made (0 for a cache hit)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: base·2^(n-1) seconds, capped, times a factor in [0.5, 1)."""

    max_attempts: int = 4
    base_s: float = 1.0
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0  # a longer Retry-After is waited only this long

    def delay(self, attempt: int, error: ProviderError, jitter: float) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if error.retry_after_s is not None and error.retry_after_s >= 0:
            return min(error.retry_after_s, self.max_retry_after_s)
        return min(self.cap_s, self.base_s * 2.0 ** (attempt - 1)) * (0.5 + jitter / 2)


class _CallFailed(Exception):
    """Carries the error that ended a call and how many attempts it took (inside the gateway)."""

    def __init__(self, error: Exception, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


class ProviderGateway:
    """Cache, budget, retries and ledger around a set of providers (keyed by provider name)."""

    def __init__(
        self,
        providers: dict[str, Provider],
        cache: ApiCacheRepository,
        ledger: ProviderCallRepository,
        prices: PriceTable,
        budgets: BudgetChecker,
        *,
        timeout_s: float = 60,
        max_attempts: int = 4,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._providers = providers
        self._cache = cache
        self._ledger = ledger
        self._prices = prices
        self._budgets = budgets
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy(max_attempts=max_attempts)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    def call(self, request: ProviderRequest, ttl_hours: float | None = DEFAULT_TTL_HOURS) -> GatewayResult:
        """Answer `request` from the cache or its provider; record it in the ledger.

        `ttl_hours`: how long the answer stays cached (None: until purged by hand; 0: neither
        read nor write the cache). Raises BudgetExceeded before any call when a paid call would
        pass the project's budget, UnknownPrice for a paid model without a price, and
        ProviderError when the provider fails (after retries, for transient failures).
        """
        provider = self._providers.get(request.provider)
        if provider is None:
            raise ProviderError(request.provider, f"no such provider is configured (known: "
                                f"{', '.join(sorted(self._providers)) or 'none'})")
        key = cache_key(request)
        use_cache = ttl_hours is None or ttl_hours > 0
        if use_cache:
            hit = self._cache.get(key, self._clock())
            if hit is not None:
                return self._record_hit(request, key, hit)

        hold = None
        free = self._prices.is_free(request.provider, request.model)  # UnknownPrice: refused here
        if not free:
            estimate = self._prices.estimate(request.provider, request.model, request.estimate)
            hold = self._budgets.reserve(request.project_id, estimate)  # counts until it is in the ledger
        try:
            return self._call_and_record(provider, request, key, use_cache, ttl_hours)
        finally:
            self._budgets.release(hold)

    def _call_and_record(self, provider: Provider, request: ProviderRequest, key: str, use_cache: bool,
                         ttl_hours: float | None) -> GatewayResult:
        started = time.perf_counter()
        try:
            response, attempts = self._call_with_retries(provider, request)
        except _CallFailed as failed:
            self._record_failure(request, key, failed.error, failed.attempts, started)
            raise failed.error from failed.error.__cause__
        latency_ms = (time.perf_counter() - started) * 1000

        usage, estimated = (response.usage, False) if response.usage else (dict(request.estimate), True)
        cost = self._prices.cost(request.provider, request.model, usage)
        self._ledger.record(ProviderCall(
            provider=request.provider, model=request.model, operation=request.operation, ok=True,
            units=dict(usage), unit_prices=self._prices.unit_prices(request.provider, request.model, usage),
            cost_usd=cost, estimated=estimated, attempts=attempts, latency_ms=latency_ms,
            project_id=request.project_id, video_id=request.video_id, job_id=request.job_id,
            cache_key=key, price_version=self._prices.version, at=self._clock(),
        ))
        log.info("provider_call", provider=request.provider, model=request.model,
                 operation=request.operation, cost_usd=cost, attempts=attempts, latency_ms=round(latency_ms))
        if use_cache:
            now = self._clock()
            self._cache.put(
                key, provider=request.provider, model=request.model, operation=request.operation,
                data=response.data, usage=dict(usage), cost_usd=cost, created_at=now,
                expires_at=None if ttl_hours is None else now + timedelta(hours=ttl_hours),
            )
        return GatewayResult(data=response.data, cached=False, cost_usd=cost, saved_usd=0.0, attempts=attempts)

    def _call_with_retries(self, provider: Provider, request: ProviderRequest) -> tuple[ProviderResponse, int]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return provider.call(request, self._timeout_s), attempt
            except TimeoutError as exc:
                error = ProviderError(request.provider, f"no answer within {self._timeout_s:g} s ({exc})",
                                      retryable=True)
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # a provider bug: ledgered as a failure, raised as it is
                raise _CallFailed(exc, attempt) from exc
            if not error.retryable:
                raise _CallFailed(error, attempt)
            if attempt >= self._retry.max_attempts:
                detail = str(error).removeprefix(f"{request.provider}: ")
                final = ProviderError(
                    request.provider,
                    f"{request.operation} with {request.model} failed after {attempt} attempts: {detail}",
                    retryable=True, status=error.status, retry_after_s=error.retry_after_s,
                )
                final.__cause__ = error
                raise _CallFailed(final, attempt)
            delay = self._retry.delay(attempt, error, self._jitter())
            log.warning("provider_call_retry", provider=request.provider, model=request.model,
                        attempt=attempt, status=error.status, delay_s=round(delay, 3), error=str(error))
            self._sleep(delay)

    def _record_hit(self, request: ProviderRequest, key: str, hit: CachedResponse) -> GatewayResult:
        try:
            saved = self._prices.cost(request.provider, request.model, hit.usage)
        except UnknownPrice:
            saved = hit.cost_usd  # priced when it was stored; the model has left the table since
        self._ledger.record(ProviderCall(
            provider=request.provider, model=request.model, operation=request.operation, ok=True,
            cached=True, units=dict(hit.usage), cost_usd=0.0, saved_usd=saved, attempts=0,
            project_id=request.project_id, video_id=request.video_id, job_id=request.job_id,
            cache_key=key, price_version=self._prices.version, at=self._clock(),
        ))
        log.info("provider_cache_hit", provider=request.provider, model=request.model,
                 operation=request.operation, saved_usd=saved)
        return GatewayResult(data=hit.data, cached=True, cost_usd=0.0, saved_usd=saved, attempts=0)

    def _record_failure(self, request: ProviderRequest, key: str, error: Exception, attempts: int,
                        started: float) -> None:
        self._ledger.record(ProviderCall(
            provider=request.provider, model=request.model, operation=request.operation, ok=False,
            error=str(error), attempts=attempts, latency_ms=(time.perf_counter() - started) * 1000,
            project_id=request.project_id, video_id=request.video_id, job_id=request.job_id,
            cache_key=key, price_version=self._prices.version, at=self._clock(),
        ))
        log.warning("provider_call_failed", provider=request.provider, model=request.model,
                    operation=request.operation, attempts=attempts, status=getattr(error, "status", None), error=str(error))


def cache_api_call(
    gateway: ProviderGateway, service: str, ttl_hours: float | None = DEFAULT_TTL_HOURS,
) -> Callable[[Callable[P, ProviderRequest]], Callable[P, GatewayResult]]:
    """Decorate a function that builds a request for `service` so that calling it sends the
    request through the gateway (cached for `ttl_hours`, budgeted, retried, ledgered)."""

    def decorate(build: Callable[P, ProviderRequest]) -> Callable[P, GatewayResult]:
        @functools.wraps(build)
        def send(*args: P.args, **kwargs: P.kwargs) -> GatewayResult:
            request = build(*args, **kwargs)
            if request.provider != service:
                raise ValueError(f"{build.__name__} built a request for {request.provider!r}, "
                                 f"but is declared for {service!r}")
            return gateway.call(request, ttl_hours=ttl_hours)

        return send

    return decorate
