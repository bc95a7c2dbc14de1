"""One-off data migrations: bring a database an older release wrote to the current layout.

Run by the GUI and the CLI at start (`app.wiring.build_services`, in a thread, after the
indexes) before their services read anything; the caller shows the progress. Workers do not
run them: every repository still reads the older layouts until a step has converted them, so
a worker (or an older release on another machine) that starts first stays correct, only slower.

Each step is idempotent and resumable, and marks itself done in the `migrations` collection,
so on a current database the check costs one `_id $in` lookup. A step that could not finish
(one video it could not convert keeps its old documents) is not marked and is tried again at
the next start. One process migrates at a time (a lease); another that starts meanwhile goes
on without waiting, on the fallback reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from pymongo.database import Database as SyncDatabase

from core.repositories.jobs import JOB_DAYS_MARK, MIGRATIONS, backfill_job_days, mark_migration
from core.repositories.leases import LeaseRepository
from core.repositories.provider_calls import LEDGER_DAYS_MARK, backfill_ledger_days
from core.repositories.segment_sets import SEGMENT_SETS_MARK, migrate_segment_sets

log = structlog.get_logger(__name__)

Db = SyncDatabase[dict[str, Any]]
Progress = Callable[[int, int], None]  # (done, total); total 0: no count known yet
LEASE = "vip-migrate"
LEASE_TTL = timedelta(hours=2)


@dataclass(frozen=True)
class Step:
    """One migration: its mark in `migrations`, what the operator is told, and the work.

    `run(db, progress)` returns None when done (the step is then marked), or why not."""

    mark: str
    title: str
    run: Callable[[Db, Progress], str | None]


def _segment_sets(db: Db, progress: Progress) -> str | None:
    report = migrate_segment_sets(db, progress)
    if report.failed:
        first = next(iter(report.failed.items()))
        return (f"{len(report.failed)} video(s) kept their transcripts in the older layout "
                f"(they still read correctly; tried again at the next start), e.g. {first[0]}: {first[1]}")
    return None


def _job_days(db: Db, progress: Progress) -> str | None:
    progress(0, 0)
    backfill_job_days(db)
    done = db[MIGRATIONS].find_one({"_id": JOB_DAYS_MARK}) is not None
    return None if done else "jobs kept changing while they were stamped; tried again at the next start"


def _ledger_days(db: Db, progress: Progress) -> str | None:
    progress(0, 0)
    backfill_ledger_days(db)
    return None


STEPS: tuple[Step, ...] = (
    Step(SEGMENT_SETS_MARK, "Converting transcripts, on-screen text and search passages", _segment_sets),
    Step(JOB_DAYS_MARK, "Indexing the job history by day", _job_days),
    Step(LEDGER_DAYS_MARK, "Indexing the cost ledger by day", _ledger_days),
)


def pending_migrations(db: Db, steps: tuple[Step, ...] = STEPS) -> list[Step]:
    """The steps this database still needs, in order (one query)."""
    marks = [s.mark for s in steps]
    done = {d["_id"] for d in db[MIGRATIONS].find({"_id": {"$in": marks}}, {"_id": 1})}
    return [s for s in steps if s.mark not in done]


def has_data(db: Db) -> bool:
    """Anything an older release may have written (a new data dir has no videos, jobs or ledger)."""
    return any(db[name].find_one({}, {"_id": 1}) is not None for name in ("videos", "jobs", "provider_calls"))


@dataclass
class MigrationOutcome:
    """What `run_migrations` did: steps finished, steps left for the next start (and why),
    and whether another process was migrating (then nothing was done here)."""

    finished: list[str]
    unfinished: dict[str, str]
    busy_elsewhere: bool = False


def run_migrations(db: Db, steps: list[Step], holder: str,
                   progress: Callable[[Step, int, int], None]) -> MigrationOutcome:
    """Run `steps` in order under the migration lease; `progress(step, done, total)` as they go."""
    outcome = MigrationOutcome([], {})
    with LeaseRepository(db, holder).hold(LEASE, LEASE_TTL) as mine:
        if not mine:
            log.info("migration_running_elsewhere")
            outcome.busy_elsewhere = True
            return outcome
        for step in steps:
            log.info("migration_started", step=step.mark)
            why = step.run(db, _reporter(step, progress))
            if why is None:
                mark_migration(db, step.mark)
                outcome.finished.append(step.mark)
                log.info("migration_finished", step=step.mark)
            else:
                outcome.unfinished[step.mark] = why
                log.warning("migration_unfinished", step=step.mark, reason=why)
    return outcome


def _reporter(step: Step, progress: Callable[[Step, int, int], None]) -> Progress:
    def report(done: int, total: int) -> None:
        progress(step, done, total)

    return report


def mark_all_done(db: Db, steps: list[Step]) -> None:
    """A new database: nothing to convert, every current layout holds from the first write."""
    for step in steps:
        mark_migration(db, step.mark)
