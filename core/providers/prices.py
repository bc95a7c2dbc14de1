"""The price table: what one unit of a provider's model costs, versioned and editable.

Defaults live in code (DEFAULT_PRICES, DEFAULT_VERSION); an operator overrides or extends them
with `<data dir>/prices.json`:

    {"version": "2026-03-01",
     "prices": {"openai": {"gpt-4o-mini": {"input_tokens": 0.15, "output_tokens": 0.60}},
                "openai-local": {"*": {}}}}

Prices are in USD per *billing unit*: per 1M tokens for `input_tokens`/`output_tokens`, per
minute for `audio_minutes`, per image for `images`, per request for `requests` (UNIT_SCALE).
A file entry replaces the listed units of that model and keeps the others. A model named "*"
prices every model of that provider (an empty "*" entry makes the provider free, e.g. a local
LLM server behind the OpenAI-compatible provider). The "local" provider is always free.
A paid provider's model that is in neither table has no price: asking for it raises
UnknownPrice, so nothing is ever billed silently at zero. Pure code: no I/O besides `load`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import VipError
from core.providers.base import UNITS

LOCAL_PROVIDER = "local"
WILDCARD = "*"

# How many measured units one priced unit holds (prices of tokens are per 1M tokens).
UNIT_SCALE: dict[str, float] = {
    "input_tokens": 1_000_000.0,
    "output_tokens": 1_000_000.0,
    "audio_minutes": 1.0,
    "images": 1.0,
    "requests": 1.0,
}

# As published by the providers in January 2025 — check your provider's pricing page and put
# the current prices in <data dir>/prices.json.
DEFAULT_VERSION = "2025-01 (as published; check your provider)"
DEFAULT_PRICES: dict[str, dict[str, dict[str, float]]] = {
    "openai": {
        "gpt-4o-mini": {"input_tokens": 0.15, "output_tokens": 0.60},
        "gpt-4o": {"input_tokens": 2.50, "output_tokens": 10.00},
        "text-embedding-3-small": {"input_tokens": 0.02},
        "whisper-1": {"audio_minutes": 0.006},
    },
    "gemini": {
        "gemini-1.5-flash": {"input_tokens": 0.075, "output_tokens": 0.30},
        "gemini-2.0-flash": {"input_tokens": 0.10, "output_tokens": 0.40},
    },
    LOCAL_PROVIDER: {WILDCARD: {}},
}

# Vision models bill an image as input tokens, and the providers report those tokens in their
# usage (next to `images: 1`). So `images` carries no price of its own unless prices.json gives
# one; an estimate turns expected images into input tokens with these counts (one high-detail
# 1024x1024 image on gpt-4o: 765 tokens, about $0.0019; one image on Gemini: 258 tokens).
IMAGE_INPUT_TOKENS: dict[str, dict[str, float]] = {
    "openai": {"gpt-4o": 765.0},
    "gemini": {"gemini-1.5-flash": 258.0, "gemini-2.0-flash": 258.0},
}


class UnknownPrice(VipError):
    """A paid provider's model has no price in the table: the call is refused, not billed at 0."""


class PriceFileError(VipError):
    """`prices.json` cannot be read: names the file and what is wrong with it."""


@dataclass(frozen=True)
class PriceTable:
    """Prices per provider, model and unit (USD per billing unit, see UNIT_SCALE)."""

    prices: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=lambda: DEFAULT_PRICES)
    version: str = DEFAULT_VERSION
    source: str = "built-in defaults"

    @classmethod
    def load(cls, data_dir: Path | None) -> PriceTable:
        """The defaults, overridden by `<data_dir>/prices.json` when that file exists."""
        if data_dir is None or not (data_dir / "prices.json").is_file():
            return cls()
        return cls.from_file(data_dir / "prices.json")

    @classmethod
    def from_file(cls, path: Path) -> PriceTable:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PriceFileError(f"{path}: cannot read the price table ({exc}) — fix or delete the file") from exc
        return cls.from_dict(doc, source=str(path))

    @classmethod
    def from_dict(cls, doc: Any, source: str = "prices.json") -> PriceTable:
        """Merge an override document (`{"version", "prices"}`) over the defaults."""
        if not isinstance(doc, dict) or not isinstance(doc.get("version"), str) or not doc["version"]:
            raise PriceFileError(f"{source}: needs a \"version\" string and a \"prices\" object")
        overrides = doc.get("prices", {})
        if not isinstance(overrides, dict):
            raise PriceFileError(f"{source}: \"prices\" must be an object of provider -> model -> unit -> USD")
        merged: dict[str, dict[str, dict[str, float]]] = {
            p: {m: dict(units) for m, units in models.items()} for p, models in DEFAULT_PRICES.items()
        }
        for provider, models in overrides.items():
            if not isinstance(models, dict):
                raise PriceFileError(f"{source}: prices of {provider!r} must be an object of model -> unit -> USD")
            for model, units in models.items():
                if not isinstance(units, dict):
                    raise PriceFileError(f"{source}: {provider}/{model} must be an object of unit -> USD")
                checked: dict[str, float] = {}
                for unit, value in units.items():
                    if unit not in UNITS:
                        raise PriceFileError(
                            f"{source}: {provider}/{model}: unknown unit {unit!r} (one of {', '.join(UNITS)})")
                    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                        raise PriceFileError(f"{source}: {provider}/{model}/{unit}: price must be a number >= 0")
                    checked[unit] = float(value)
                merged.setdefault(provider, {}).setdefault(model, {}).update(checked)
        return cls(prices=merged, version=doc["version"], source=source)

    def _model_prices(self, provider: str, model: str) -> Mapping[str, float]:
        models = self.prices.get(provider)
        if provider == LOCAL_PROVIDER:
            return (models or {}).get(model, {})
        if models is not None:
            if model in models:
                return models[model]
            if WILDCARD in models:
                return models[WILDCARD]
        raise UnknownPrice(
            f"No price for {provider}/{model} in the price table ({self.source}, version {self.version}): "
            f"add it to prices.json in the data folder (use 0 for a free local server)"
        )

    def price(self, provider: str, model: str, unit: str) -> float:
        """USD per billing unit (per 1M tokens, per minute, per image, per request); 0 if unpriced."""
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r} (one of {', '.join(UNITS)})")
        return float(self._model_prices(provider, model).get(unit, 0.0))

    def unit_prices(self, provider: str, model: str, units: Mapping[str, float]) -> dict[str, float]:
        """The price of each unit in `units` (what the ledger records next to the usage)."""
        return {unit: self.price(provider, model, unit) for unit in units}

    def cost(self, provider: str, model: str, usage: Mapping[str, float]) -> float:
        """USD for a measured usage: units × price per billing unit / units per billing unit."""
        total = 0.0
        for unit, amount in usage.items():
            total += float(amount) * self.price(provider, model, unit) / UNIT_SCALE[unit]
        return total

    def estimate(self, provider: str, model: str, expected: Mapping[str, float]) -> float:
        """USD that an expected usage would cost (budget checks and pre-run estimates).

        Expected `images` of a model that bills images as input tokens count as those tokens
        (IMAGE_INPUT_TOKENS), unless the table prices `images` itself.
        """
        usage = dict(expected)
        per_image = IMAGE_INPUT_TOKENS.get(provider, {}).get(model)
        if usage.get("images") and per_image and self.price(provider, model, "images") == 0:
            usage["input_tokens"] = usage.get("input_tokens", 0.0) + usage.pop("images") * per_image
        return self.cost(provider, model, usage)

    def is_free(self, provider: str, model: str) -> bool:
        """True for local providers and models priced at 0 for every unit."""
        return all(v == 0 for v in self._model_prices(provider, model).values())
