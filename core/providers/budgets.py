"""Budget caps: a paid provider call that would take a project past its budget is refused.

Runs in the process that calls the gateway (workers; the GUI's worker threads). The budget is
the project's `budget_usd` (None: no cap); what was spent is the sum of the project's ledger.
Several workers may check at once, so a project can overshoot by the calls in flight.
"""

from __future__ import annotations

from core.providers.base import BudgetExceeded
from core.repositories import ProjectRepository, ProviderCallRepository


def usd(amount: float) -> str:
    """`$1.50`, `$0.00045`: cents for amounts of a dollar or more, up to six decimals below."""
    if amount == 0 or abs(amount) >= 1:
        return f"${amount:,.2f}"
    text = f"{amount:.6f}".rstrip("0")
    return "$" + (text if len(text.split(".")[1]) >= 2 else f"{amount:.2f}")


class BudgetChecker:
    def __init__(self, projects: ProjectRepository, ledger: ProviderCallRepository) -> None:
        self._projects = projects
        self._ledger = ledger

    def check(self, project_id: str | None, estimate_usd: float) -> None:
        """Raise BudgetExceeded when a paid call estimated at `estimate_usd` would pass the cap.

        A project that has already spent its whole budget refuses every paid call, even one
        whose estimate is 0 (a budget of 0 means: local providers only).
        """
        if project_id is None:
            return
        project = self._projects.get(project_id)
        if project is None or project.budget_usd is None:
            return
        budget = float(project.budget_usd)
        spent = self._ledger.spent(project_id)
        if spent >= budget or spent + estimate_usd > budget:
            raise BudgetExceeded(
                f"Project {project.name!r} has a budget of {usd(budget)} and has spent {usd(spent)}; "
                f"this call is estimated at {usd(estimate_usd)}, which would exceed it. Nothing was "
                f"called: raise the project's budget or route this stage to a local provider."
            )
