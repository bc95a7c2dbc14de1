"""Providers, routing, budgets, costs and estimates, for the GUI's Providers and Costs pages
and the CLI (async; GUI loop or CLI). Blocking work (keyring, HTTP tests) runs on threads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from core.errors import NotFound
from core.models import Project, Video
from core.providers.base import ProviderError
from core.providers.keys import KeyStore, env_var_names
from core.providers.prices import PriceTable, UnknownPrice
from core.models.routing import Route, Routing
from core.repositories import AsyncProjectRepository, AsyncProviderCallRepository
from core.models.costs import CostTotal, ProviderCall
from core.repositories.routing import AsyncRoutingRepository

# Pre-run estimate model (stated on every estimate): speech ~150 words a minute at ~1.3 tokens a
# word, the prompt's overhead, and one keyframe caption per SECONDS_PER_SHOT of video.
TOKENS_PER_MINUTE = 200.0
PROMPT_OVERHEAD_TOKENS = 600.0
SUMMARY_OUTPUT_TOKENS = 1200.0
SECONDS_PER_SHOT = 8.0
CAPTION_TOKENS = {"input_tokens": 100.0, "output_tokens": 80.0}
ESTIMATE_BASIS = (f"assumes {TOKENS_PER_MINUTE:g} transcript tokens a minute and one shot every "
                  f"{SECONDS_PER_SHOT:g} s; cached answers cost nothing")


def is_local_url(url: str) -> bool:
    """Whether `url` points at this machine (a local server may need no key)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass(frozen=True)
class ProviderStatus:
    name: str
    key_source: str | None  # "keyring", "environment" or None
    base_url: str


@dataclass
class Estimate:
    """What a batch would cost in the cloud, per capability, before it is queued."""

    project: Project
    videos: int
    minutes: float
    by_capability: dict[str, float] = field(default_factory=dict)  # USD
    spent_usd: float = 0.0
    problems: list[str] = field(default_factory=list)  # e.g. a model without a price

    @property
    def total_usd(self) -> float:
        return sum(self.by_capability.values())

    @property
    def over_budget(self) -> bool:
        budget = self.project.budget_usd
        return budget is not None and self.total_usd > 0 and self.spent_usd + self.total_usd > budget

    @property
    def routes_to_cloud(self) -> bool:
        """True when a step of the batch runs in the cloud (priced or not): the estimate is worth
        saying. All local: nothing to say, and never over budget."""
        return bool(self.by_capability or self.problems)

    def text(self) -> str:
        """The estimate in one paragraph, the steps it could not price named at the end."""
        return " ".join([self.message(), *(f"Not estimated: {p}." for p in self.problems)])

    def message(self) -> str:
        if not self.by_capability:
            return "All analysis runs locally: no cloud cost."
        parts = ", ".join(f"{cap} ${usd:.4f}" for cap, usd in self.by_capability.items())
        text = (f"Estimated cloud cost for {self.videos} video{'s' if self.videos != 1 else ''} "
                f"({self.minutes:.1f} min): ${self.total_usd:.4f} ({parts}); {ESTIMATE_BASIS}.")
        if self.project.budget_usd is not None:
            text += (f" Project '{self.project.name}' has spent ${self.spent_usd:.4f} of its "
                     f"${self.project.budget_usd:.2f} budget.")
        if self.over_budget:
            text += " This batch would exceed the budget."
        return text


class ProviderService:
    """Cloud providers and their keys, per-project routing, budgets, costs and estimates. Used by the
    GUI's Providers and Costs pages, `vip providers|route|budget|costs`, the REST API's providers
    and costs routes, and AnalysisService's estimate (async; blocking work on threads)."""

    def __init__(self, projects: AsyncProjectRepository, routing: AsyncRoutingRepository,
                 ledger: AsyncProviderCallRepository, prices: Callable[[], PriceTable],
                 keys: KeyStore, base_urls: dict[str, str],
                 make_provider: Callable[[str], Any]) -> None:
        """`make_provider(name)` builds a provider with its current key (for the Test button)."""
        self._projects = projects
        self._routing = routing
        self._ledger = ledger
        self._prices = prices
        self._keys = keys
        self._base_urls = base_urls
        self._make_provider = make_provider

    # -- keys -------------------------------------------------------------------------------
    async def statuses(self) -> list[ProviderStatus]:
        def read() -> list[ProviderStatus]:
            return [ProviderStatus(name, self._keys.source(name), url) for name, url in self._base_urls.items()]

        return await asyncio.to_thread(read)

    async def set_key(self, provider: str, key: str) -> None:
        await asyncio.to_thread(self._keys.set, provider, key)

    async def remove_key(self, provider: str) -> None:
        await asyncio.to_thread(self._keys.delete, provider)

    async def test(self, provider: str, model: str | None = None) -> str:
        """A cheap call to the provider; a short human answer, or ProviderError.

        Without a key nothing is sent to a remote server: the answer says that no key is set
        (a server on this machine, e.g. a local OpenAI-compatible one, is tried without one)."""
        def call() -> str:
            base_url = self._base_urls.get(provider, "")
            if self._keys.source(provider) is None and not is_local_url(base_url):
                names = " or ".join(env_var_names(provider))
                raise ProviderError(provider, f"no key set for this provider: paste one and press Save, "
                                              f"or set {names}")
            return str(self._make_provider(provider).test(model))

        return await asyncio.to_thread(call)

    # -- routing and budgets ------------------------------------------------------------------
    async def routing(self, project_id: str) -> Routing:
        return await self._routing.get(project_id)

    async def set_route(self, project_id: str, capability: str, route: Route) -> Routing:
        routing = (await self._routing.get(project_id)).with_route(capability, route)
        await self._routing.set(project_id, routing)
        return routing

    async def spent(self, project_id: str) -> float:
        return await self._ledger.spent(project_id)

    # -- costs ------------------------------------------------------------------------------
    async def costs(self, by: str, project_id: str | None = None, since: datetime | None = None) -> list[CostTotal]:
        return await self._ledger.totals(by, project_id=project_id, since=since)  # type: ignore[arg-type]

    async def recent_calls(self, limit: int = 100, project_id: str | None = None) -> list[ProviderCall]:
        return await self._ledger.recent(limit, project_id=project_id)

    # -- estimates --------------------------------------------------------------------------
    async def estimate(self, project_id: str, videos: Sequence[Video]) -> Estimate:
        """The cloud cost of analysing `videos` with the project's routing (durations from the probe,
        or the file size at ~1 MB a second when not probed yet)."""
        project = await self._projects.get(project_id)
        if project is None:
            raise NotFound(f"No project with id {project_id}")
        routing = await self._routing.get(project_id)
        seconds = [v.media.duration_s if v.media else v.size_bytes / 1_000_000 for v in videos]
        estimate = Estimate(project=project, videos=len(videos), minutes=sum(seconds) / 60,
                            spent_usd=await self._ledger.spent(project_id))
        prices = self._prices()
        for capability, usage in (
                ("transcriber", [{"audio_minutes": s / 60} for s in seconds]),
                ("summarizer", [{"input_tokens": PROMPT_OVERHEAD_TOKENS + TOKENS_PER_MINUTE * s / 60,
                                 "output_tokens": SUMMARY_OUTPUT_TOKENS} for s in seconds]),
                ("captioner", [{k: v * max(1.0, s / SECONDS_PER_SHOT) for k, v in
                                {**CAPTION_TOKENS, "images": 1.0}.items()} for s in seconds])):
            route = routing.route(capability)
            if route.is_local:
                continue
            try:
                estimate.by_capability[capability] = sum(prices.estimate(route.provider, route.model, u) for u in usage)
            except UnknownPrice as exc:
                estimate.problems.append(str(exc))
        return estimate
