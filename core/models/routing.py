"""Which provider does each capability, per project: local models by default, cloud when chosen.

Stored per project in the `project_settings` collection (core/repositories/routing.py). The
text embedder stays local: its vectors must match the ones already in the search index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import VipError

class RoutingError(VipError, ValueError):
    """A route the operator asked for cannot be used (says why)."""


LOCAL = "local"
CAPABILITIES: dict[str, str] = {  # capability -> what it does (shown in the Providers page)
    "transcriber": "Speech transcript",
    "ocr": "On-screen text",
    "faces": "Faces",
    "embedder": "Search embeddings",
    "captioner": "Keyframe captions and labels",
    "summarizer": "Summary and commentary",
}
CLOUD_CAPABLE = ("transcriber", "captioner", "summarizer")  # the others run locally only, for now


@dataclass(frozen=True)
class Route:
    provider: str = LOCAL  # "local" or a provider name ("openai", "gemini")
    model: str = ""

    @property
    def is_local(self) -> bool:
        return self.provider == LOCAL


@dataclass
class Routing:
    routes: dict[str, Route] = field(default_factory=dict)

    def route(self, capability: str) -> Route:
        if capability not in CAPABILITIES:
            raise KeyError(f"unknown capability {capability!r}")
        return self.routes.get(capability, Route())

    def with_route(self, capability: str, route: Route) -> Routing:
        if capability not in CAPABILITIES:
            raise RoutingError(f"unknown capability {capability!r}: one of {', '.join(CAPABILITIES)}")
        if not route.is_local and capability not in CLOUD_CAPABLE:
            raise RoutingError(f"{CAPABILITIES[capability]} runs locally only")
        if not route.is_local and not route.model:
            raise RoutingError(f"choose a model for {CAPABILITIES[capability]} on {route.provider} "
                               f"(PROVIDER/MODEL, e.g. {route.provider}/gpt-4o-mini)")
        return Routing({**self.routes, capability: route})

    def to_doc(self) -> dict[str, Any]:
        return {cap: {"provider": r.provider, "model": r.model} for cap, r in self.routes.items()}

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Routing:
        routes = {}
        for cap, value in (doc or {}).items():
            if cap in CAPABILITIES and isinstance(value, dict):
                routes[cap] = Route(str(value.get("provider") or LOCAL), str(value.get("model") or ""))
        return cls(routes)
