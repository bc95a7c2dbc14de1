"""Budget caps: a paid provider call that would take a project past its budget is refused.

Runs in the process that calls the gateway (workers; the GUI's worker threads). The budget is
the project's `budget_usd` (None: no cap); what was spent is the sum of the project's ledger
plus what the calls in flight are expected to cost (`reserve` holds a call's estimate until
`release`; see core.repositories.budget_holds), so workers calling at once cannot together
overshoot it by more than their estimates were off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.providers.base import BudgetExceeded
from core.repositories import BudgetHoldRepository, ProjectRepository, ProviderCallRepository
from core.timeutil import utc_now

HOLD_TTL = timedelta(minutes=30)  # a hold older than this (its worker died mid-call) no longer counts


def usd(amount: float) -> str:
    """`$1.50`, `$0.00045`: cents for amounts of a dollar or more, up to six decimals below."""
    if amount == 0 or abs(amount) >= 1:
        return f"${amount:,.2f}"
    text = f"{amount:.6f}".rstrip("0")
    return "$" + (text if len(text.split(".")[1]) >= 2 else f"{amount:.2f}")


class BudgetChecker:
    def __init__(self, projects: ProjectRepository, ledger: ProviderCallRepository,
                 holds: BudgetHoldRepository | None = None, *, hold_ttl: timedelta = HOLD_TTL,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._projects = projects
        self._ledger = ledger
        self._holds = holds
        self._hold_ttl = hold_ttl
        self._clock = clock

    def reserve(self, project_id: str | None, estimate_usd: float) -> str | None:
        """Raise BudgetExceeded when a paid call estimated at `estimate_usd` would pass the cap;
        else hold the estimate against the budget until `release`. Returns the hold's id, or None
        when nothing is held (no project, no cap, or no hold repository).

        A project that has already spent its whole budget refuses every paid call, even one
        whose estimate is 0 (a budget of 0 means: local providers only).
        """
        if project_id is None:
            return None
        project = self._projects.get(project_id)
        if project is None or project.budget_usd is None:
            return None
        hold = self._holds.add(project_id, estimate_usd, self._clock()) if self._holds else None
        budget = float(project.budget_usd)
        spent = self._ledger.spent(project_id)
        in_flight = (self._holds.total(project_id, self._clock() - self._hold_ttl) - estimate_usd
                     if self._holds else 0.0)  # the others' calls, not yet in the ledger
        if spent >= budget or spent + in_flight + estimate_usd > budget:
            self.release(hold)
            others = f" and {usd(in_flight)} is held by calls in progress" if in_flight > 0 else ""
            raise BudgetExceeded(
                f"Project {project.name!r} has a budget of {usd(budget)} and has spent {usd(spent)}{others}; "
                f"this call is estimated at {usd(estimate_usd)}, which would exceed it. Nothing was "
                f"called: raise the project's budget or route this stage to a local provider."
            )
        return hold

    def release(self, hold: str | None) -> None:
        """Drop a hold from `reserve` (once its call is in the ledger, or failed)."""
        if hold is not None and self._holds is not None:
            self._holds.remove(hold)
