"""`vip providers`, `vip route`, `vip budget`, `vip costs`: cloud providers and what they cost, headless."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TextIO

from app.settings import Settings
from app.wiring import Services, with_services
from core.errors import VipError
from core.models import Project
from core.models.routing import CAPABILITIES, LOCAL, Route


async def _project(services: Services, name: str) -> Project:
    project = await services.projects.find(name)
    if project is None:
        raise VipError(f"no project named {name!r}")
    return project


async def run_providers(settings: Settings, action: str, name: str | None, model: str | None, as_json: bool,
                        out: TextIO = sys.stdout) -> int:
    """List providers and key sources; set-key (from standard input), remove-key, test."""
    async def body(services: Services) -> int:
        if action == "list":
            for status in await services.providers.statuses():
                if as_json:
                    out.write(json.dumps({"name": status.name, "key": status.key_source,
                                          "base_url": status.base_url}) + "\n")
                else:
                    out.write(f"{status.name:<8} key: {status.key_source or 'not set':<12} {status.base_url}\n")
            return 0
        if name is None:
            raise VipError(f"`vip providers {action}` needs a provider name (openai or gemini)")
        if action == "set-key":
            key = sys.stdin.readline().strip()  # never on the command line: it would land in shell history
            if not key:
                raise VipError("no key on standard input: `read -s KEY; echo \"$KEY\" | vip providers set-key NAME`")
            await services.providers.set_key(name, key)
            out.write(f"{name}: key saved in the system keyring\n")
        elif action == "remove-key":
            await services.providers.remove_key(name)
            out.write(f"{name}: key removed\n")
        else:
            out.write(await services.providers.test(name, model) + "\n")
        return 0

    return await with_services(settings, body)


async def run_route(settings: Settings, project_name: str, capability: str | None, target: str | None,
                    out: TextIO = sys.stdout) -> int:
    """Show the project's routing, or route one capability to `local` or `PROVIDER/MODEL`."""
    async def body(services: Services) -> int:
        project = await _project(services, project_name)
        if capability is not None and target is not None:
            provider, _, model = target.partition("/")
            await services.providers.set_route(project.id, capability, Route(provider or LOCAL, model))
        routing = await services.providers.routing(project.id)
        for cap, title in CAPABILITIES.items():
            route = routing.route(cap)
            where = "local" if route.is_local else f"{route.provider}/{route.model}"
            out.write(f"{cap:<12} {where:<28} {title}\n")
        return 0

    return await with_services(settings, body)


async def run_budget(settings: Settings, project_name: str, amount: str | None, out: TextIO = sys.stdout) -> int:
    """Show or set a project's budget in USD (`none`: no cap)."""
    async def body(services: Services) -> int:
        project = await _project(services, project_name)
        if amount is not None:
            try:
                value = None if amount.lower() == "none" else float(amount)
            except ValueError:
                raise VipError(f"{amount!r} is not an amount in USD (or `none`)") from None
            project = await services.projects.set_budget(project.id, value)
        spent = await services.providers.spent(project.id)
        cap = "no cap" if project.budget_usd is None else f"${project.budget_usd:.2f}"
        out.write(f"{project.name}: budget {cap}, spent ${spent:.4f}\n")
        return 0

    return await with_services(settings, body)


async def run_costs(settings: Settings, by: str, project_name: str | None, as_json: bool,
                    out: TextIO = sys.stdout) -> int:
    """Totals of the cost ledger per project, provider or day, with cache savings."""
    async def body(services: Services) -> int:
        project_id = (await _project(services, project_name)).id if project_name else None
        names = {p.id: p.name for p in await services.projects.all()}
        totals = await services.providers.costs(by, project_id)
        for t in totals:
            key = names.get(t.key, t.key) if by == "project" else t.key
            if as_json:
                out.write(json.dumps({by: key, "cost_usd": t.cost_usd, "saved_usd": t.saved_usd, "calls": t.calls,
                                      "cached_calls": t.cached_calls, "failed_calls": t.failed_calls}) + "\n")
            else:
                out.write(f"{key:<24} ${t.cost_usd:>10.4f}  saved ${t.saved_usd:>8.4f}  {t.calls} calls "
                          f"({t.cached_calls} cached, {t.failed_calls} failed)\n")
        if not totals and not as_json:
            out.write("No provider calls yet.\n")
        return 0

    return await with_services(settings, body)
