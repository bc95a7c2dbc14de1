"""Prepare a database before the GUI or a CLI command uses it: indexes, then one-off migrations.

Runs in a thread (`app.wiring.build_services` calls `prepare_database` through
asyncio.to_thread). When an older release's data needs converting, the embedded database is
first backed up (`app.db_backup.make_backup(settings, "pre-migration")`, kept: `vip db backups`
lists it) and the steps in core/repositories/migrations.py run, reporting progress to the
caller: the GUI shows it in its status bar, the CLI as a bar on stderr (`TerminalProgress`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import structlog

from app.settings import Settings
from core.repositories import (
    DatabaseAddress,
    MigrationOutcome,
    Step,
    connect,
    ensure_indexes,
    has_data,
    mark_all_done,
    pending_migrations,
    run_migrations,
)

log = structlog.get_logger(__name__)

# (what is happening, done, total): total 0 when the step has no count; done == total == -1 at the end
MigrationProgress = Callable[[str, int, int], None]
FINISHED = -1


def prepare_database(settings: Settings, database: DatabaseAddress, holder: str,
                     progress: MigrationProgress | None = None) -> MigrationOutcome | None:
    """Create the indexes and run the migrations this database still needs (sync).

    Returns None when there was nothing to migrate."""
    client, db = connect(database)
    try:
        ensure_indexes(db)
        steps = pending_migrations(db)
        if not steps:
            return None
        if not has_data(db):
            mark_all_done(db, steps)
            return None
        report = progress or (lambda text, done, total: None)
        report(f"Backing up the library before upgrading its storage ({len(steps)} step(s))", 0, 0)
        if settings.mongo_uri is None:
            from app.db_backup import make_backup

            backup = make_backup(settings, "pre-migration")
            log.info("migration_backup", path=str(backup))
        numbered = {step.mark: f"Upgrading the library's storage, step {i} of {len(steps)}: {step.title}"
                    for i, step in enumerate(steps, 1)}

        def on_step(step: Step, done: int, total: int) -> None:
            report(numbered[step.mark], done, total)

        outcome = run_migrations(db, steps, holder, on_step)
        report("Library storage upgraded" if not outcome.unfinished else "Library storage partly upgraded",
               FINISHED, FINISHED)
        return outcome
    finally:
        client.close()


class TerminalProgress:
    """The CLI's migration progress on stderr: a redrawn bar on a terminal, one line per step
    (and per 10 %) elsewhere (logs, CI)."""

    WIDTH = 30

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stderr
        self._tty = self._out.isatty()
        self._text = ""
        self._tenth = -1
        self._drawn = 0.0

    def __call__(self, text: str, done: int, total: int) -> None:
        if done == FINISHED:
            self._line(f"{text}.", final=True)
            return
        new_step = text != self._text
        if new_step and self._tty and self._text:
            self._out.write("\n")  # keep the finished step's last line
        self._text = text
        if total <= 0:
            if new_step:
                self._line(f"{text}…")
            return
        tenth = done * 10 // total
        now = time.monotonic()
        if self._tty:
            if new_step or done == total or now - self._drawn >= 0.1:
                self._drawn = now
                filled = self.WIDTH * done // total
                bar = "█" * filled + "·" * (self.WIDTH - filled)
                self._line(f"{text} {bar} {done:,}/{total:,} videos")
        elif new_step or tenth != self._tenth:
            self._line(f"{text}: {done:,}/{total:,} videos")
        self._tenth = tenth

    def _line(self, text: str, final: bool = False) -> None:
        if self._tty:
            self._out.write("\r\x1b[K" + text + ("\n" if final else ""))
        else:
            self._out.write(text + "\n")
        self._out.flush()
